"""The train stage at team scale: cells per minute with the sequential runner vs a
Dask cluster of 1 and 2 workers (``dask scheduler`` / ``dask worker`` processes,
harness/team.py), all in one run; and how the stage's time grows with the number
of cells and with the training-set size.

    python -m benchmarks.team_scaling     # measure (about half an hour on 2 cores)
    python -m docgen                      # then rewrite docs/scaling.md's block `team-scaling`

Each measurement is ``python -m flows.train`` in a scratch copy of the pipeline
(prepare and embeddings done once beforehand), with a fresh sqlite MLflow store
so no cell is reused. The runner comparison uses the default grid's strategies
with one architecture (``--architecture``) and the default seeds, at the default
training params (early stopping included). The growth series fix the epochs
(patience above the epoch count: no early stopping) so that every cell does the
same work: ``--cells`` copies of one cell (seeds 1..n), and ``--sizes`` reviews
(``data.sample``; the training set is 80 % of it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import ROOT, save

NAME = "team_scaling"
COMMAND = "python -m benchmarks.team_scaling"


# ---------------------------------------------------------------------- running
def _project(dest: Path, overrides: dict) -> Path:
    from harness.scaffold import new_project, stage_env

    project = new_project(dest, overrides)
    out = subprocess.run([sys.executable, "-m", "dvc", "repro", "embeddings"], cwd=project,
                         env=stage_env(project), capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"dvc repro embeddings failed in {project}:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    return project


def _train(project: Path, label: str, params: dict, address: str | None = None) -> dict:
    """One train stage with a fresh MLflow store; wall time and what the cells logged."""
    from harness.scaffold import stage_env
    from mlflow import MlflowClient

    from embedlab.tracking import CELL_TAG

    params = {**params, "runner": {"kind": "dask", "workers": 1, "address": address} if address
              else {"kind": "sequential", "workers": 1, "address": None}}
    path = project / f"params-{label}.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    uri = f"sqlite:///{project / 'mlruns' / f'{label}.db'}"
    env = {**stage_env(project), "MLFLOW_TRACKING_URI": uri}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flows.train", "--params", str(path)], cwd=project,
                         env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(f"{label}: train failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    client = MlflowClient(uri, uri)
    runs = [r for r in client.search_runs([e.experiment_id for e in client.search_experiments()],
                                          max_results=1000) if r.data.tags.get(CELL_TAG)]
    fit = [r.data.metrics["train_seconds"] for r in runs]
    epochs = [int(r.data.metrics["epochs_run"]) for r in runs]
    print(f"  {label}: {len(runs)} cells in {wall:.1f} s (fit {sum(fit):.1f} s, epochs {epochs})", flush=True)
    return {"label": label, "cells": len(runs), "wall_seconds": round(wall, 2),
            "fit_seconds": round(sum(fit), 2), "epochs_run": sum(epochs),
            "workers": sorted({r.data.tags.get("embedlab.dask_worker", "stage process") for r in runs}),
            "cells_per_minute": round(len(runs) / wall * 60, 3)}


def _params(project: Path, **sections) -> dict:
    from harness.scaffold import merge_params

    return merge_params(yaml.safe_load((project / "params.yaml").read_text()), sections)


def runners(project: Path, strategies: list[str], architecture: str, seeds: list[int],
            tmp: Path) -> list[dict]:
    """Sequential, then the same grid on a Dask cluster of 1 and of 2 workers."""
    from harness.scaffold import stage_env
    from harness.team import dask_cluster

    params = _params(project, grid={"strategies": strategies, "architectures": [architecture],
                                    "seeds": seeds, "baseline": False})
    out = [_train(project, "sequential", params)]
    for n in (1, 2):
        # The cluster is up before the clock starts: a team's cluster is long-lived.
        with dask_cluster(project, stage_env(project), tmp / f"dask-{n}", workers=n) as cluster:
            out.append(_train(project, f"dask-{n}", params, cluster.address))
    base = out[0]["wall_seconds"]
    for r in out:
        r["speedup_vs_sequential"] = round(base / r["wall_seconds"], 3)
    return out


def _fixed(epochs: int, strategy: str, architecture: str, seeds: list[int]) -> dict:
    return {"train": {"epochs": epochs, "patience": epochs + 1},
            "grid": {"strategies": [strategy], "architectures": [architecture], "seeds": seeds,
                     "baseline": False}}


def by_cells(project: Path, counts: list[int], epochs: int, architecture: str) -> list[dict]:
    out = []
    for n in counts:
        row = _train(project, f"cells-{n}", _params(project, **_fixed(epochs, "learned", architecture,
                                                                      list(range(1, n + 1)))))
        out.append({"n": n, **row})
    return out


def _train_rows(project: Path) -> tuple[int, int]:
    import json

    import pandas as pd

    from embedlab.layout import Layout

    layout = Layout(project)
    rows = len(pd.read_parquet(layout.split("train"), columns=["label"]))
    return rows, json.loads(layout.vocab.read_text())["max_len"]


def by_size(sizes: list[int], epochs: int, architecture: str, tmp: Path, full: Path) -> list[dict]:
    import json

    out = []
    available = json.loads((full / "reports" / "data.json").read_text())["rows_read"]
    for n in sizes:
        project = full if n >= available else _project(tmp / f"size-{n}", {"data": {"sample": n}, **_variants([])})
        rows, max_len = _train_rows(project)
        row = _train(project, f"size-{n}", _params(project, **_fixed(epochs, "learned", architecture, [1, 2])))
        out.append({"reviews": n, "train_rows": rows, "max_len": max_len, **row})
    return out


def _variants(strategies: list[str]) -> dict:
    """Only the embeddings variants the grid uses (``params.yaml`` lists more)."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    used = {params["grid"]["variant"]} | {s.partition("@")[2] for s in strategies if "@" in s}
    return {"embeddings": {"variants": {k: v for k, v in params["embeddings"]["variants"].items() if k in used}}}


def _linear_fit(xs: list[float], ys: list[float]) -> dict:
    """Least squares y = a + b x, and how far each point is from the line."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    a = my - b * mx
    worst = max(abs(y - (a + b * x)) / y for x, y in zip(xs, ys))
    return {"intercept_seconds": round(a, 2), "seconds_per_unit": round(b, 4),
            "worst_relative_residual": round(worst, 4)}


def measure(args) -> dict:
    from harness.team import prefect_server

    tmp = Path(tempfile.mkdtemp(prefix="embedlab-team-scaling-"))
    try:
        # One Prefect server for every run (a team has one), so that no run pays
        # for starting a temporary one: PREFECT_API_URL for the stages and workers.
        with prefect_server(tmp / "prefect-home", tmp / "prefect-server.log") as (env, _):
            os.environ.update({k: env[k] for k in ("PREFECT_API_URL", "PREFECT_HOME")})
            return _measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _series(rows: list[dict], x: str, epochs: int) -> dict:
    xs = [r[x] for r in rows]
    return {"epochs": epochs, "strategy": "learned", "rows": rows,
            "fit": _linear_fit(xs, [r["wall_seconds"] for r in rows]),
            "fit_inside": _linear_fit(xs, [r["fit_seconds"] for r in rows])}


def _measure(args, tmp: Path) -> dict:
    t0 = time.perf_counter()
    full = _project(tmp / "full", {**_variants(args.strategies), "data": {"sample": args.sample}})
    print(f"prepared + embeddings in {time.perf_counter() - t0:.0f} s; runners ...", flush=True)
    load_start = os.getloadavg()
    runner_rows = runners(full, args.strategies, args.architecture, args.seeds, tmp)
    print("growth with the number of cells ...", flush=True)
    cells = by_cells(full, args.cells, args.epochs, args.architecture)
    print("growth with the training-set size ...", flush=True)
    sizes = by_size(args.sizes, args.epochs, args.architecture, tmp, full)
    load_end = os.getloadavg()
    return {
        "grid": {"strategies": args.strategies, "architecture": args.architecture, "seeds": args.seeds,
                 "reviews": args.sample or "all"},
        "runners": runner_rows,
        "cells_series": _series(cells, "n", args.epochs),
        "size_series": {**_series(sizes, "train_rows", args.epochs), "cells": 2},
        "load_average_1min": {"start": round(load_start[0], 2), "end": round(load_end[0], 2)},
        "versions": _versions(),
    }


def _versions() -> dict:
    from importlib.metadata import version

    return {p: version(p) for p in ("dask", "distributed", "prefect", "prefect-dask", "mlflow", "tensorflow-cpu")}


def main() -> None:
    grid = yaml.safe_load((ROOT / "params.yaml").read_text())["grid"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", nargs="+", default=grid["strategies"])
    parser.add_argument("--architecture", default="cnn", help="the one architecture of the runner grid")
    parser.add_argument("--seeds", type=int, nargs="+", default=grid["seeds"])
    parser.add_argument("--sample", type=int, default=None, help="reviews (default: all of data.source)")
    parser.add_argument("--cells", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1250, 2500, 5000])
    parser.add_argument("--epochs", type=int, default=3, help="fixed epochs of the growth series")
    args = parser.parse_args()
    save(NAME, measure(args), f"{COMMAND} {' '.join(sys.argv[1:])}".strip())
    print("docs/scaling.md's block `team-scaling` reads this file: run `python -m docgen`")


if __name__ == "__main__":
    main()
