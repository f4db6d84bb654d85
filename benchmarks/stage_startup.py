"""What a stage pays around its work: Prefect's temporary server, imports, exit.

Runs two real stages, ``prepare`` (about 2 s of work) and ``train`` on a
one-cell grid (``learned/meanpool``, one epoch, no baseline), in scratch projects
with this project's prepared data, three ways, alternating:

- ``baseline``: the baseline commit's code (``--baseline-ref``), as DVC runs it;
- ``new``: this code, as DVC runs it (each stage starts its own server);
- ``new_shared``: this code under one Prefect server shared by the stages
  (what ``python3.11 dev.py repro`` does through ``flows.shared_server``); the
  server's own start is paid once per pipeline and reported separately.

Per run: wall time, and the flow's own span (from Prefect's "Beginning flow run"
to "Finished in state" log lines); their difference is the stage's overhead.

    python -m benchmarks.stage_startup [--baseline-ref REF] [--repeats 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, save
from benchmarks.throughput import BASELINE_REF, export_tree
from benchmarks.train_stage import scratch_project

TINY_GRID = ("{grid: {strategies: [learned], architectures: [meanpool], seeds: [1], baseline: false}, "
             "train: {epochs: 1}}")
STAMP = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) \| INFO .*(Beginning flow run|Finished in state)")


def flow_span(log: str) -> float | None:
    """Seconds from the flow's first to its last state line (Prefect's own clock)."""
    stamps = [dt.datetime.strptime(m.group(1), "%H:%M:%S.%f") for m in map(STAMP.match, log.splitlines()) if m]
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) >= 2 else None


def run(project: Path, stage: str, api_url: str | None) -> dict:
    from harness.scaffold import stage_env

    if stage == "train":   # a fresh MLflow store: the cell trains, it is not reused
        shutil.rmtree(project / "mlruns", ignore_errors=True)
        (project / "mlruns").mkdir()
    env = stage_env(project)
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", f"flows.{stage}"], cwd=project, env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{stage} failed in {project}:\n{(out.stdout + out.stderr)[-3000:]}")
    span = flow_span(out.stdout + out.stderr)
    return {"wall": round(wall, 2), "flow": round(span, 2) if span is not None else None,
            "overhead": round(wall - span, 2) if span is not None else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    from prefect.server.api.server import SubprocessASGIServer

    tmp = Path(tempfile.mkdtemp(prefix="embedlab-startup-"))
    sources = {"baseline": export_tree(args.baseline_ref, tmp / "baseline-src"), "new": ROOT, "new_shared": ROOT}
    projects = {m: scratch_project(tmp / m, src, TINY_GRID) for m, src in sources.items()}
    os.environ.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    server = SubprocessASGIServer()
    server.start()
    shared_start = time.perf_counter() - t0
    results: dict = {stage: {m: [] for m in sources} for stage in ("prepare", "train")}
    try:
        for _ in range(args.repeats):
            for stage in results:
                for mode, project in projects.items():
                    r = run(project, stage, server.api_url if mode == "new_shared" else None)
                    results[stage][mode].append(r)
                    print(f"{stage} {mode}: {r}", flush=True)
    finally:
        server.stop()
    summary = {stage: {mode: {"wall_median": statistics.median(r["wall"] for r in rs),
                              "overhead_median": statistics.median(r["overhead"] for r in rs if r["overhead"] is not None),
                              "runs": rs}
                       for mode, rs in by_mode.items()}
               for stage, by_mode in results.items()}
    save("stage_startup", {
        "baseline_ref": args.baseline_ref, "repeats": args.repeats,
        "shared_server_start_seconds": round(shared_start, 2),
        "load_average_end": [round(v, 2) for v in os.getloadavg()], "stages": summary,
    }, "python -m benchmarks.stage_startup " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
