"""Does running cells side by side beat one at a time on this machine?

The real `train` stage of this code on one grid (default: two strategies × three
architectures × two seeds), once per `runner` setting, each in its own scratch
project with this project's prepared data:

- `sequential`: one cell at a time, TensorFlow on one thread (the fixed count of
  `embedlab.runtime.DETERMINISM_ENV`);
- `sequential_all_threads`: one cell at a time, TensorFlow on every core (one
  worker with every thread: numbers differ for cnn cells);
- `processes_2`: two worker processes, each TensorFlow on one thread (the default);
- `threads_2`: two threads in one process.

Figures: stage wall time and its ratio to sequential's, and each runner's test
accuracies against sequential's: identical, or the largest per-cell difference
(TensorFlow adds its sums in another order on two threads than on one; threads
share Keras' global seed, set when each cell builds its model, so cells in
threads can race for it). ``--busy N`` keeps N busy-looping processes beside the
stage, as on a shared machine.

    python -m benchmarks.runner_parallelism [--repeats 1] [--busy 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import multiprocessing

from benchmarks.common import ROOT, save
from benchmarks.train_stage import run_stage, scratch_project
from embedlab.runtime import cores
from flows.runners import TF_THREAD_VARS

# Twelve cells: enough that starting two worker processes is a small part of the stage, as on the default grid.
GRID = "{strategies: [learned, w2v_frozen], architectures: [lstm, cnn, meanpool], seeds: [1, 2], baseline: false}"
ALL_THREADS = {var: str(cores()) for var in TF_THREAD_VARS}
RUNNERS = {   # name -> (runner section, extra environment)
    "sequential": ("{kind: sequential, workers: 1}", {}),
    "sequential_all_threads": ("{kind: sequential, workers: 1}", ALL_THREADS),
    "processes_2": ("{kind: processes, workers: 2}", {}),
    "threads_2": ("{kind: threads, workers: 2}", {}),
}


def _spin() -> None:
    while True:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--grid", default=GRID, help="the grid section (YAML)")
    ap.add_argument("--busy", type=int, default=0, help="busy-looping processes beside the stage")
    ap.add_argument("--runners", default=",".join(RUNNERS), help="which runners, comma-separated "
                    "(sequential, the reference, always runs)")
    args = ap.parse_args()
    chosen = {"sequential", *args.runners.split(",")}
    unknown = chosen - set(RUNNERS)
    if unknown:
        raise SystemExit(f"--runners: unknown {sorted(unknown)}; choose from {', '.join(RUNNERS)}")
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-runners-"))
    runs: dict[str, list[dict]] = {name: [] for name in RUNNERS if name in chosen}
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for sp in spinners:
        sp.start()
    try:
        for rep in range(args.repeats):
            for name, (runner, env) in ((n, RUNNERS[n]) for n in runs):
                project = scratch_project(tmp / f"{name}-{rep}", ROOT, f"{{grid: {args.grid}, runner: {runner}}}")
                r = run_stage(project, env)
                runs[name].append({"seconds": round(r["seconds"], 1), "load_before": round(r["load_before"][0], 2),
                                   "test_accuracy": {c["name"]: round(c["test_accuracy"], 4) for c in r["cells"]}})
                print(f"{name}: {r['seconds']:.0f} s", flush=True)
    finally:
        for sp in spinners:
            sp.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    reference = runs["sequential"][0]["test_accuracy"]
    save("runner_parallelism", {
        "grid": args.grid, "repeats": args.repeats, "busy_processes": args.busy, "load_average_end": [round(v, 2) for v in os.getloadavg()],
        "runners": {name: {"seconds": [r["seconds"] for r in rs],
                           "ratio_to_sequential": round(sum(r["seconds"] for r in rs)
                                                        / sum(r["seconds"] for r in runs["sequential"]), 2),
                           "same_accuracy_as_sequential": all(r["test_accuracy"] == reference for r in rs),
                           "largest_accuracy_difference": max(abs(a - reference[c]) for r in rs
                                                              for c, a in r["test_accuracy"].items()),
                           "runs": rs}
                    for name, rs in runs.items()},
    }, "python -m benchmarks.runner_parallelism " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
