"""Shared helpers: machine facts, timing, results files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = ROOT / "benchmarks" / ".cache"   # scratch projects (git-ignored)

# The data section (params.yaml: data) each curve dataset runs with: the curves
# (benchmarks.curves.PRESETS) and the peers on the same split (benchmarks.peers) read it
# here, so neither imports the other for it. Amazon: params.yaml's own (the committed
# run's split). IMDB at the source's own length cap (data.max_len_percentile: null =
# IMDB's 99th percentile, docs/data.md: Length and vocabulary): the curve runs at the defaults.
DATASET_DATA = {"amazon": {}, "imdb": {"source": "embedded:imdb-50k"}}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem,
            "python": platform.python_version(), "platform": platform.platform()}


def save(name: str, figures: dict, command: str) -> Path:
    """Write benchmarks/results/<name>.json atomically and print the figures."""
    from embedlab import fileio

    payload = {"benchmark": name, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "command": command, "machine": machine(), "figures": figures}
    path = RESULTS / f"{name}.json"
    fileio.write_json(path, payload)
    print(json.dumps(figures, indent=2))
    print(f"-> {path.relative_to(ROOT)}")
    return path


def dvc(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env.setdefault("DVC_SITE_CACHE_DIR", str(cwd / ".dvc" / "tmp" / "site_cache"))
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=check)


def train_results(project: Path = ROOT) -> dict:
    """A project's reports/train.json with each cell's and reference's run record
    (run id, trained or reused, seconds) from reports/train_runs.json merged in:
    benchmarks time cells, and the tracked report keeps no timings. (A project at a
    commit older than that file has them in train.json already.)"""
    from embedlab.layout import Layout

    layout = Layout(project)
    numbers = json.loads(layout.train_report.read_text())
    if not layout.train_runs.exists():
        return numbers
    runs = json.loads(layout.train_runs.read_text())
    for key in ("cells", "baselines"):
        record = {r["name"]: r for r in runs[key]}
        numbers[key] = [{**row, **record.get(row["name"], {})} for row in numbers[key]]
    return {**runs, **numbers}


def staged_project(project: Path, overrides: dict, target: str = "prepare") -> Path:
    """A scratch project at ``project`` (this project's pipeline with ``overrides``,
    created when missing) after `dvc repro <target>`: the real stages up to
    ``target`` have run on its params; a second call reuses what DVC finds done."""
    from harness.scaffold import new_project, stage_env

    if not (project / "dvc.yaml").exists():
        new_project(project, overrides)
    proc = subprocess.run([sys.executable, "-m", "dvc", "repro", target], cwd=project,
                          env=stage_env(project), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"dvc repro {target} failed in {project}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return project


def estimate_seconds(done: dict[str, list[float]], todo: list[str], cost: dict[str, float]) -> float:
    """Seconds the ``todo`` jobs (each named by its kind) will take: a kind already
    seen at the mean of its finished jobs; a kind not yet seen at the seen kinds'
    seconds per unit of relative ``cost`` times its own (kinds missing from ``cost``
    count 1). Nothing seen yet: 0, no estimate."""
    seen = {kind: sum(s) / len(s) for kind, s in done.items() if s}
    if not seen:
        return 0.0
    per_unit = sum(seen[k] / cost.get(k, 1.0) for k in seen) / len(seen)
    return sum(seen.get(k, per_unit * cost.get(k, 1.0)) for k in todo)
