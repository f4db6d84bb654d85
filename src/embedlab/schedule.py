"""Scheduled retraining: what the ``retrain`` flow (``flows/schedule.py``) does.
No Prefect here: the flow, its retry condition and the cron schedule live in
``flows/schedule.py``.

Each run: find out whether the configured data source (``data.source``) changed
since the last successful run (then ``prepare`` is forced); run ``dvc repro``
stage by stage through DVC's Python API, so DVC decides what is stale (each
stage ``ran``, ``skipped`` or failed); publish the outcomes, grid table and
registry decision as markdown. A stage that failed because a server was
unreachable is worth a retry; any other failure carries the stage's own message.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from embedlab import fileio, sources
from embedlab.config import load_prepare
from embedlab.errors import EmbedlabError
from embedlab.input_files import resolve_sources
from embedlab.layout import Layout
from embedlab.runtime import ERROR_FILE_ENV

DEPLOYMENT = "embedlab"          # full name: retrain/embedlab
ARTIFACT_KEY = "embedlab-results"
SOURCE_STAGE = "prepare"         # the stage that reads data.source


class StageFailed(EmbedlabError):
    """A DVC stage failed for a reason a retry will not fix."""


class TransientStageFailure(Exception):
    """A DVC stage failed because a server was unreachable; worth retrying."""


# ------------------------------------------------------------------ data source
def source_fingerprint(root: Path, source: str) -> str | None:
    """Cheap fingerprint (name, size, mtime) of the source files, like DVC's own
    state cache: a nightly run never re-reads gigabytes to find nothing changed.
    None for an embedded dataset."""
    if sources.is_embedded(source):
        return None
    h = hashlib.sha256(source.encode())
    for f in resolve_sources(source, root):
        st = f.stat()
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def source_changed(root: Path) -> tuple[bool, str | None]:
    """(changed since the last successful run, the current fingerprint)."""
    data = load_prepare(root / "params.yaml").data
    fingerprint = source_fingerprint(root, data.source)
    try:
        state = json.loads(Layout(root).schedule_state.read_text())
    except (OSError, ValueError):
        state = {}
    return fingerprint is not None and state.get("source_fingerprint") != fingerprint, fingerprint


def project_root(project: str) -> Path:
    root = Path(project).resolve()
    if not (root / "dvc.yaml").exists():
        raise EmbedlabError(f"{root / 'dvc.yaml'}: not found. Serve the schedule from the "
                            "project root or pass --project.")
    return root


# ------------------------------------------------------------------------ stages
def pipeline_stages(root: Path) -> list[str]:
    """The stages ``dvc repro`` would consider, in the order it runs them."""
    from dvc.repo import Repo
    from dvc.repo.reproduce import collect_stages, get_active_graph, plan_repro

    with contextlib.chdir(root), Repo(str(root)) as repo:
        stages = collect_stages(repo, ["dvc.yaml"])
        return [s.addressing for s in plan_repro(get_active_graph(repo.index.graph), stages)]


def _stage_error(root: Path, exc: Exception) -> tuple[str, bool]:
    """(message, transient) for a failed stage: the stage's own record if it left
    one (see embedlab.runtime.record_failure), else DVC's message."""
    try:
        info = json.loads(Layout(root).stage_error.read_text())
        return info["message"], bool(info.get("transient"))
    except (OSError, ValueError, KeyError):
        pass
    parts, cur = [], exc
    while cur is not None:
        parts.append(str(cur))
        cur = cur.__cause__
    return "; ".join(p for p in parts if p), False


def run_stage(name: str, root: Path, force: bool = False) -> dict:
    """``dvc repro <name> --single-item``: DVC runs the stage only if it is stale."""
    from dvc.exceptions import ReproductionError
    from dvc.repo import Repo

    record = Layout(root).stage_error
    record.unlink(missing_ok=True)
    record.parent.mkdir(parents=True, exist_ok=True)
    os.environ[ERROR_FILE_ENV] = str(record)
    # Stage commands say `python -m flows.<stage>`: run them with this interpreter.
    bindir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    start = time.monotonic()
    try:
        with contextlib.chdir(root), Repo(str(root)) as repo:
            ran = repo.reproduce(name, single_item=True, force=force)
    except ReproductionError as exc:
        message, transient = _stage_error(root, exc)
        if transient:
            raise TransientStageFailure(f"stage {name}: {message}") from None
        raise StageFailed(f"stage {name} failed: {message}") from None
    finally:
        os.environ.pop(ERROR_FILE_ENV, None)
    outcome = "ran" if ran else "skipped"
    seconds = round(time.monotonic() - start, 2)
    print(f"stage {name}: {outcome} ({seconds:.1f} s)" + (" [forced: data source changed]" if force else ""))
    return {"stage": name, "outcome": outcome, "seconds": seconds, "forced": force}


def failed_outcomes(names: list[str], i: int, error: str) -> list[dict]:
    """Stage ``names[i]`` failed: it and every later stage, as outcomes."""
    return [{"stage": names[i], "outcome": "failed", "message": error},
            *({"stage": n, "outcome": "not run", "message": f"{names[i]} failed"} for n in names[i + 1:])]


# ---------------------------------------------------------------------- results
def _registry(root: Path) -> dict | None:
    metrics = Layout(root).metrics
    return json.loads(metrics.read_text()).get("registry") if metrics.exists() else None


def results_markdown(root: Path, outcomes: list[dict], error: str | None = None) -> str:
    lines = ["# embedlab retrain", ""]
    if error:
        lines += [f"**Failed:** {error}", ""]
    elif all(o["outcome"] == "skipped" for o in outcomes):
        lines += ["Nothing changed: every stage was up to date (no-op).", ""]
    lines += ["| stage | outcome | seconds | note |", "|---|---|---|---|"]
    for o in outcomes:
        note = "data source changed" if o.get("forced") else o.get("message", "")
        note = note.replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| {o['stage']} | {o['outcome']} | {o.get('seconds', '')} | {note} |")
    reg = _registry(root)
    if reg:
        fresh = any(o["stage"] == "evaluate" and o["outcome"] == "ran" for o in outcomes)
        verdict = "promoted to champion" if reg.get("promoted") else "not promoted (champion kept)"
        lines += ["", f"**Registry:** version {reg.get('version')} {verdict}"
                  + ("" if fresh else " (from an earlier run; evaluate was up to date)") + "."]
    grid_csv = Layout(root).grid_csv
    if grid_csv.exists():
        import pandas as pd

        table = pd.read_csv(grid_csv)
        # Identity and headline numbers only: the full table is reports/grid.csv.
        keep = [c for c in ("strategy", "architecture", "seed", "best_val_accuracy",
                            "test_accuracy", "test_f1_macro", "test_roc_auc") if c in table.columns]
        lines += ["", "## Grid", "", table[keep].to_markdown(index=False, floatfmt=".4f")]
    return "\n".join(lines) + "\n"


def finish(root: Path, outcomes: list[dict], fingerprint: str | None) -> dict:
    """After a successful run: remember the source fingerprint; say what ran."""
    if fingerprint is not None:
        fileio.write_json(Layout(root).schedule_state, {"source_fingerprint": fingerprint})
    registry = _registry(root)
    ran = [o["stage"] for o in outcomes if o["outcome"] == "ran"]
    print(f"stages ran: {', '.join(ran) or 'none (no-op)'}; registry: {registry}")
    return {"stages": outcomes, "registry": registry}
