"""Does running cells side by side beat one at a time on this machine?

The real `train` stage of this code on one grid (default: two strategies × three
architectures × one seed), once per `runner` setting, alternating, each in its
own scratch project with this project's prepared data: `sequential` (the
default: one cell at a time, TensorFlow's own threads on every core), two worker
processes, two threads. Figures: stage wall time, and whether every cell's test
accuracy equals the sequential run's (threads share Keras' global seed, set when
each cell builds its model, so cells in threads can race for it).

    python -m benchmarks.runner_parallelism [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, save
from benchmarks.train_speed import run_stage, scratch_project

GRID = "{strategies: [learned, w2v_frozen], architectures: [lstm, cnn, meanpool], seeds: [1], baseline: false}"
RUNNERS = {"sequential": "{kind: sequential, workers: 1}", "processes_2": "{kind: processes, workers: 2}",
           "threads_2": "{kind: threads, workers: 2}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--grid", default=GRID, help="the grid section (YAML)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-runners-"))
    runs: dict[str, list[dict]] = {name: [] for name in RUNNERS}
    try:
        for rep in range(args.repeats):
            for name, runner in RUNNERS.items():
                project = scratch_project(tmp / f"{name}-{rep}", ROOT, f"{{grid: {args.grid}, runner: {runner}}}")
                r = run_stage(project)
                runs[name].append({"seconds": round(r["seconds"], 1), "load_before": round(r["load_before"][0], 2),
                                   "test_accuracy": {c["name"]: round(c["test_accuracy"], 4) for c in r["cells"]}})
                print(f"{name}: {r['seconds']:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    reference = runs["sequential"][0]["test_accuracy"]
    save("runner_parallelism", {
        "grid": args.grid, "repeats": args.repeats, "load_average_end": [round(v, 2) for v in os.getloadavg()],
        "runners": {name: {"seconds": [r["seconds"] for r in rs],
                           "ratio_to_sequential": round(sum(r["seconds"] for r in rs)
                                                        / sum(r["seconds"] for r in runs["sequential"]), 2),
                           "same_accuracy_as_sequential": all(r["test_accuracy"] == reference for r in rs),
                           "runs": rs}
                    for name, rs in runs.items()},
    }, "python -m benchmarks.runner_parallelism " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
