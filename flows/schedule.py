"""Scheduled retraining: ``python -m flows.schedule`` (or ``embedlab schedule``).

Serves a Prefect deployment ``retrain/embedlab`` whose cron comes from
``params.yaml: schedule``. Each run of the ``retrain`` flow:

1. checks whether the configured data source (``data.source``, a path or glob)
   changed since the last successful run; if so the ``prepare`` stage is forced;
2. runs ``dvc repro`` through DVC's Python API, one Prefect task per stage in
   DVC's order, so DVC decides what is stale: each task reports ``ran`` or
   ``skipped`` (nothing changed: a cheap no-op), or fails;
3. publishes the results (stage outcomes, grid table, registry decision) as the
   Prefect markdown artifact ``embedlab-results``.

The champion gate itself runs inside the ``evaluate`` stage; this flow reports
its decision from ``reports/metrics.json``. A stage that fails because a server
was unreachable (tracking server restarting) is retried with backoff; any
other failure fails the flow run with the stage's own message.
"""

from __future__ import annotations

import contextlib
import glob as globlib
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from embedlab import fileio
from embedlab.config import load_prepare, load_schedule
from embedlab.errors import ConfigError, EmbedlabError
from embedlab.runtime import ERROR_FILE_ENV, configure_env, run_entry

DEPLOYMENT = "embedlab"          # full name: retrain/embedlab
ARTIFACT_KEY = "embedlab-results"
SOURCE_STAGE = "prepare"         # the stage that reads data.source
STATE_FILE = Path(".dvc") / "tmp" / "embedlab-schedule.json"


class StageFailed(EmbedlabError):
    """A DVC stage failed for a reason a retry will not fix."""


class TransientStageFailure(Exception):
    """A DVC stage failed because a server was unreachable; worth retrying."""


# ------------------------------------------------------------------ data source
def source_files(root: Path, source: str) -> list[Path] | None:
    """Files behind ``data.source``; None for the embedded dataset."""
    if source.startswith("embedded:"):
        return None
    pattern = source if os.path.isabs(source) else str(root / source)
    files: list[Path] = []
    for hit in sorted(globlib.glob(pattern, recursive=True)):
        p = Path(hit)
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return files


def source_fingerprint(root: Path, source: str) -> str | None:
    """Cheap fingerprint (name, size, mtime) of the source files, like DVC's own
    state cache: a nightly run never re-reads gigabytes to find nothing changed."""
    files = source_files(root, source)
    if files is None:
        return None
    h = hashlib.sha256(source.encode())
    for f in files:
        st = f.stat()
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def _read_state(root: Path) -> dict:
    try:
        return json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


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
    record = root / ".dvc" / "tmp" / "embedlab-stage-error.json"
    try:
        info = json.loads(record.read_text())
        return info["message"], bool(info.get("transient"))
    except (OSError, ValueError, KeyError):
        pass
    parts, cur = [], exc
    while cur is not None:
        parts.append(str(cur))
        cur = cur.__cause__
    return "; ".join(p for p in parts if p), False


def _retry_if_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TransientStageFailure:
        return True
    except BaseException:
        return False
    return False


@task(name="dvc-stage", task_run_name="stage-{name}", cache_policy=None, retries=2,
      retry_delay_seconds=[15, 60], retry_condition_fn=_retry_if_transient)
def stage_task(name: str, root: str, force: bool = False) -> dict:
    """``dvc repro <name> --single-item``: DVC runs the stage only if it is stale."""
    from dvc.exceptions import ReproductionError
    from dvc.repo import Repo

    project = Path(root)
    record = project / ".dvc" / "tmp" / "embedlab-stage-error.json"
    record.unlink(missing_ok=True)
    record.parent.mkdir(parents=True, exist_ok=True)
    os.environ[ERROR_FILE_ENV] = str(record)
    # Stage commands say `python -m flows.<stage>`: run them with this interpreter.
    bindir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    start = time.monotonic()
    try:
        with contextlib.chdir(project), Repo(root) as repo:
            ran = repo.reproduce(name, single_item=True, force=force)
    except ReproductionError as exc:
        message, transient = _stage_error(project, exc)
        if transient:
            raise TransientStageFailure(f"stage {name}: {message}") from None
        raise StageFailed(f"stage {name} failed: {message}") from None
    finally:
        os.environ.pop(ERROR_FILE_ENV, None)
    outcome = "ran" if ran else "skipped"
    seconds = round(time.monotonic() - start, 2)
    print(f"stage {name}: {outcome} ({seconds:.1f} s)" + (" [forced: data source changed]" if force else ""))
    return {"stage": name, "outcome": outcome, "seconds": seconds, "forced": force}


# ---------------------------------------------------------------------- results
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
    metrics_path = root / "reports" / "metrics.json"
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text())
        reg = metrics.get("registry")
        if reg:
            fresh = any(o["stage"] == "evaluate" and o["outcome"] == "ran" for o in outcomes)
            verdict = "promoted to champion" if reg.get("promoted") else "not promoted (champion kept)"
            lines += ["", f"**Registry:** version {reg.get('version')} {verdict}"
                      + ("" if fresh else " (from an earlier run; evaluate was up to date)") + "."]
    grid_csv = root / "reports" / "grid.csv"
    if grid_csv.exists():
        import pandas as pd

        table = pd.read_csv(grid_csv)
        # Identity and headline numbers only: the full table is reports/grid.csv.
        keep = [c for c in table.columns if c in {"strategy", "architecture", "seed", "status"}
                or c in {"best_val_accuracy", "val_accuracy", "test_accuracy", "test_f1_macro",
                         "test_roc_auc"}]
        lines += ["", "## Grid", "", (table[keep] if keep else table).to_markdown(index=False,
                                                                                floatfmt=".4f")]
    return "\n".join(lines) + "\n"


@flow(name="retrain", log_prints=True)
def retrain(project: str = ".", retry_delay_seconds: float = 15.0) -> dict:
    """dvc repro (DVC decides what is stale), stage by stage, with the results
    published as a Prefect artifact."""
    root = Path(project).resolve()
    if not (root / "dvc.yaml").exists():
        raise EmbedlabError(f"{root / 'dvc.yaml'}: not found. Serve the schedule from the "
                            "project root or pass --project.")
    data = load_prepare(root / "params.yaml").data
    fingerprint = source_fingerprint(root, data.source)
    state = _read_state(root)
    source_changed = fingerprint is not None and state.get("source_fingerprint") != fingerprint
    if source_changed:
        print(f"data source {data.source!r} changed since the last successful run: "
              f"the {SOURCE_STAGE} stage will run")

    delays = [retry_delay_seconds, retry_delay_seconds * 4]
    runner = stage_task.with_options(retry_delay_seconds=delays)
    names = pipeline_stages(root)
    outcomes: list[dict] = []
    error = None
    for i, name in enumerate(names):
        state_ = runner(name, str(root), force=source_changed and name == SOURCE_STAGE,
                        return_state=True)
        if state_.is_completed():
            outcomes.append(state_.result())
            continue
        try:
            state_.result()
        except BaseException as exc:  # noqa: BLE001 - reported, then re-raised below
            error = str(exc)
        outcomes.append({"stage": name, "outcome": "failed", "message": error})
        outcomes += [{"stage": n, "outcome": "not run", "message": f"{name} failed"}
                     for n in names[i + 1:]]
        break

    create_markdown_artifact(key=ARTIFACT_KEY, markdown=results_markdown(root, outcomes, error),
                             description="embedlab: stage outcomes, grid and registry decision")
    if error:
        raise StageFailed(error)
    if fingerprint is not None:
        fileio.write_json(root / STATE_FILE, {"source": data.source, "source_fingerprint": fingerprint})
    registry = None
    metrics_path = root / "reports" / "metrics.json"
    if metrics_path.exists():
        registry = json.loads(metrics_path.read_text()).get("registry")
    ran = [o["stage"] for o in outcomes if o["outcome"] == "ran"]
    print(f"stages ran: {', '.join(ran) or 'none (no-op)'}; registry: {registry}")
    return {"stages": outcomes, "registry": registry}


# ------------------------------------------------------------------------ serve
def schedule_from(params_path: Path):
    """The Prefect Cron schedule from params.yaml, validated with a clear error."""
    from prefect.schedules import Cron

    params = load_schedule(params_path)
    try:
        schedule = Cron(params.cron, timezone=params.timezone)
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron=params.cron, timezone=params.timezone)  # validates both
    except Exception as exc:
        raise ConfigError(f"{params_path}: schedule.cron / schedule.timezone: "
                          f"{params.cron!r} in {params.timezone!r} is not a valid schedule "
                          f"({exc}). Use five cron fields, e.g. \"0 2 * * *\", and an IANA "
                          "timezone such as UTC or Europe/Berlin.") from None
    return params, schedule


def serve(params_path: Path | str = "params.yaml", name: str = DEPLOYMENT,
          project: Path | str | None = None) -> None:
    """Register the cron deployment ``retrain/<name>`` and run its scheduled runs
    in this process until interrupted."""
    configure_env()
    params_path = Path(params_path)
    params, schedule = schedule_from(params_path)
    root = Path(project or params_path.resolve().parent).resolve()
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():
            print("warning: PREFECT_API_URL is not set, so Prefect uses a temporary server "
                  "that lives only as long as this process. For a schedule that survives, "
                  "run `prefect server start --host 127.0.0.1` and "
                  "`export PREFECT_API_URL=http://127.0.0.1:4200/api` first.", file=sys.stderr)
    print(f"serving deployment retrain/{name}: cron {params.cron!r} ({params.timezone}) "
          f"on project {root}")
    retrain.serve(name=name, schedules=[schedule], parameters={"project": str(root)},
                  tags=["embedlab"], description="dvc repro on a schedule: DVC decides what is "
                  "stale; results as the artifact " + ARTIFACT_KEY)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the scheduled retraining deployment.")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--name", default=DEPLOYMENT, help="deployment name (default: embedlab)")
    parser.add_argument("--project", type=Path, default=None,
                        help="project root (default: the folder of --params)")
    parser.add_argument("--once", action="store_true",
                        help="run the retrain flow once now instead of serving the schedule")
    args = parser.parse_args()
    configure_env()
    if args.once:
        schedule_from(args.params)
        retrain(str(args.project or args.params.resolve().parent))
        return
    serve(args.params, args.name, args.project)


if __name__ == "__main__":
    run_entry(main)
