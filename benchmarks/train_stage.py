"""The `train` stage on the default grid: this code vs a baseline commit, one run.

Each version runs the real stage (``python -m flows.train``: Prefect flow, MLflow
store, every cell trained) in its own scratch project holding the same prepared
data and Word2Vec matrices (copied from this project: run ``dvc repro
embeddings`` first). The baseline is ``--baseline-ref`` exported with ``git
archive`` (the "current settings"); the new version is this working tree.

Figures: stage wall time and their ratio, cells per minute per architecture
(from each cell's fit time, times the cells the runner trains side by side),
epochs run per strategy (what early stopping does), and per strategy the test accuracy of both versions with the project's paired
bootstrap (``embedlab.stats.compare``: cells paired by architecture and seed,
resampling pairs and test reviews): a speed-up counts where that difference is
within noise. The machine's load average is recorded before and after each run.

Related: throughput.py (examples/s per architecture, the same baseline),
cell_profile.py (where one cell's time goes), original_question_speed.py (the
default LSTM against the original question's model, examples/s).

    python -m benchmarks.train_stage [--baseline-ref REF] [--order baseline,new]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, save, train_results
from benchmarks.throughput import BASELINE_REF, export_tree


def scratch_project(dest: Path, source: Path, overrides: str) -> Path:
    """A project with ``source``'s code and this project's prepared data and matrices."""
    from harness.scaffold import new_project

    project = new_project(dest, overrides, source=source)
    for name in ("data/prepared", "embeddings"):
        shutil.copytree(ROOT / name, project / name)
    return project


def run_stage(project: Path, env: dict[str, str] | None = None) -> dict:
    from harness.scaffold import stage_env

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flows.train"], cwd=project, env={**stage_env(project), **(env or {})},
                         capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    (project / "train.log").write_text(out.stdout + out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"train stage failed in {project}; log: {project / 'train.log'}")
    report = train_results(project)
    return {"seconds": seconds, "load_before": load_before, "load_after": os.getloadavg(),
            "cells": report["cells"], "project": project, "side_by_side": side_by_side(project)}


def _round(values, digits: int = 2) -> list[float]:
    return [round(float(v), digits) for v in values]


def side_by_side(project: Path) -> int:
    """How many cells the project's runner trains at once."""
    import yaml

    runner = yaml.safe_load((project / "params.yaml").read_text()).get("runner") or {}
    return 1 if runner.get("kind", "sequential") == "sequential" else int(runner.get("workers", 1))


def per_architecture(cells: list[dict], at_once: int = 1) -> dict:
    """Cells per minute of fitting: a cell's fit time is its own wall time, so with
    ``at_once`` cells side by side the architecture's rate is that many times its
    cells over their summed fit time."""
    by: dict[str, list[dict]] = defaultdict(list)
    for c in cells:
        by[c["architecture"]].append(c)
    return {arch: {"cells": len(cs), "fit_seconds": round(sum(c["train_seconds"] for c in cs), 1),
                   "cells_per_minute": round(60 * at_once * len(cs) / sum(c["train_seconds"] for c in cs), 2),
                   "epochs_run_mean": round(float(np.mean([c["epochs_run"] for c in cs])), 2)}
            for arch, cs in sorted(by.items())}


def per_strategy_epochs(cells: list[dict]) -> dict:
    by: dict[str, list[dict]] = defaultdict(list)
    for c in cells:
        by[c["strategy"]].append(c)
    return {s: {"epochs_run": [c["epochs_run"] for c in cs], "best_epoch": [c["best_epoch"] for c in cs]}
            for s, cs in sorted(by.items())}


def accuracy_comparisons(runs: dict[str, dict]) -> dict:
    """Per strategy: new vs baseline test accuracy, paired by (architecture, seed)."""
    from embedlab.stats import compare

    correct, probs, y = {}, {}, None
    for version, run in runs.items():
        for c in run["cells"]:
            pred = np.load(run["project"] / "models" / c["slug"] / "predictions.npz")
            y = pred["y_test"]
            key = (version, c["strategy"], c["architecture"], c["seed"])
            probs[key], correct[key] = pred["test_prob"], (pred["test_prob"] >= 0.5) == y
    out = {}
    for strategy in sorted({k[1] for k in correct}):
        pick = lambda d: {(k[0], k[2], k[3]): v for k, v in d.items() if k[1] == strategy}  # noqa: E731
        c = compare("new", "baseline", pick(correct), pick(probs), y)
        out[strategy] = {"baseline": round(c.accuracy_b, 4), "new": round(c.accuracy_a, 4),
                         "diff": round(c.diff, 4), "ci": [round(c.ci_low, 4), round(c.ci_high, 4)],
                         "pairs": c.pairs, "n_test": c.n_test, "verdict": c.verdict}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    ap.add_argument("--order", default="baseline,new", help="which version runs first")
    ap.add_argument("--keep", action="store_true", help="keep the scratch projects")
    ap.add_argument("--overrides", default="", help="params for both versions (YAML), e.g. a smaller grid")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="embedlab-train-speed-"))
    sources = {"baseline": export_tree(args.baseline_ref, tmp / "baseline-src"), "new": ROOT}
    runs = {}
    for version in args.order.split(","):
        runs[version] = run_stage(scratch_project(tmp / version, sources[version], args.overrides))
        print(f"{version}: train stage {runs[version]['seconds']:.0f} s", flush=True)
    base, new = runs["baseline"], runs["new"]
    figures = {
        "baseline_ref": args.baseline_ref, "order": args.order.split(","), "overrides": args.overrides,
        "grid_cells": len(new["cells"]),
        "stage_seconds": {v: round(r["seconds"], 1) for v, r in runs.items()},
        "stage_speedup": round(base["seconds"] / new["seconds"], 2),
        "cells_per_minute_stage": {v: round(60 * len(r["cells"]) / r["seconds"], 2) for v, r in runs.items()},
        "load_average": {v: {"before": _round(r["load_before"]), "after": _round(r["load_after"])}
                         for v, r in runs.items()},
        "cells_side_by_side": {v: r["side_by_side"] for v, r in runs.items()},
        "architectures": {v: per_architecture(r["cells"], r["side_by_side"]) for v, r in runs.items()},
        "epochs_by_strategy": {v: per_strategy_epochs(r["cells"]) for v, r in runs.items()},
        "test_accuracy_by_strategy": accuracy_comparisons(runs),
    }
    figures["architecture_speedup"] = {
        arch: round(figures["architectures"]["new"][arch]["cells_per_minute"]
                    / figures["architectures"]["baseline"][arch]["cells_per_minute"], 2)
        for arch in figures["architectures"]["new"]}
    save("train_stage", figures, "python -m benchmarks.train_stage " + " ".join(sys.argv[1:]))
    if args.keep:
        print(f"scratch projects kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
