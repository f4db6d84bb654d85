"""DVC stage `train`: python -m flows.train

Maps one Prefect task per grid cell (strategy x architecture x seed). Cells
already finished in MLflow (same fingerprint) are reused, not retrained.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from prefect import flow, task, unmapped

from embedlab import fileio, tracking
from embedlab.config import TrainParams, TrainStageParams, load_train
from embedlab.embeddings import EmbeddingsLayout
from embedlab.errors import EmbedlabError
from embedlab.prepare import PreparedLayout
from embedlab.runtime import run_entry
from embedlab.training import (FINGERPRINT_TAG, KIND_TAG, Cell, TrainInputs, code_digest,
                               expand_grid, tfidf_baseline, train_cell)
from flows.runners import make_task_runner

MODELS = Path("models")
REPORT = Path("reports/train.json")


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except Exception:
        return "unknown"


def build_inputs(cells: list[Cell]) -> TrainInputs:
    prepared, emb = PreparedLayout(), EmbeddingsLayout()
    for path in (prepared.split("train"), prepared.vocab):
        if not path.exists():
            raise EmbedlabError(f"{path}: not found. Run the earlier stages first: dvc repro")
    variants = sorted({c.variant for c in cells if c.variant})
    matrices = {v: str(emb.matrix(v)) for v in variants}
    for v, p in matrices.items():
        if not Path(p).exists():
            raise EmbedlabError(f"grid: Word2Vec variant {v!r} has no matrix at {p}; list it "
                                "under embeddings.variants in params.yaml and run dvc repro")
    return TrainInputs(
        train=str(prepared.split("train")), val=str(prepared.split("val")),
        test=str(prepared.split("test")), vocab=str(prepared.vocab), matrices=matrices,
        data_digest=fileio.file_digest(*(prepared.split(s) for s in ("train", "val", "test")), prepared.vocab)[:16],
        matrix_digests={v: fileio.file_digest(p)[:16] for v, p in matrices.items()},
        code_digest=code_digest())


@task(name="train-cell", retries=1, retry_delay_seconds=2, cache_policy=None,
      task_run_name="{cell.name}")
def cell_task(cell: Cell, params: TrainParams, inputs: TrainInputs, tracking_uri: str,
              experiment_id: str, parent_run_id: str, out_dir: str) -> dict:
    return train_cell(cell, params, inputs, tracking_uri, experiment_id, parent_run_id, out_dir)


@task(name="tfidf-baseline", cache_policy=None)
def baseline_task(inputs: TrainInputs, tracking_uri: str, experiment_id: str,
                  parent_run_id: str, out_dir: str) -> dict:
    """The TF-IDF reference row; reused, like a cell, when data and code are unchanged."""
    import numpy as np
    from mlflow import MlflowClient

    from embedlab.training import find_run

    client = MlflowClient(tracking_uri, tracking_uri)
    fp = hashlib.sha256(json.dumps({"baseline": "tfidf_logreg", "data": inputs.data_digest,
                                    "code": inputs.code_digest}).encode()).hexdigest()[:24]
    done = find_run(client, experiment_id, fp, ("FINISHED",))
    if done:
        run = done[0]
        client.download_artifacts(run.info.run_id, "tfidf_logreg.npz", out_dir)
        return {"cell": "tfidf_logreg", "status": "reused", "run_id": run.info.run_id,
                **run.data.metrics}
    for stale in find_run(client, experiment_id, fp, ("RUNNING", "FAILED", "KILLED")):
        client.delete_run(stale.info.run_id)
    run = client.create_run(experiment_id, run_name="baseline/tfidf_logreg", tags={
        "mlflow.parentRunId": parent_run_id, KIND_TAG: "baseline", FINGERPRINT_TAG: fp})
    try:
        res = tfidf_baseline(inputs)
        prob = res.pop("test_prob")
        path = Path(out_dir) / "tfidf_logreg.npz"
        np.savez_compressed(path, test_prob=prob)
        for k, v in res.items():
            if isinstance(v, float):
                client.log_metric(run.info.run_id, k, v)
        client.log_artifact(run.info.run_id, str(path))
    except BaseException as exc:
        client.set_tag(run.info.run_id, "error", f"{type(exc).__name__}: {exc}"[:4000])
        client.set_terminated(run.info.run_id, "FAILED")
        raise
    client.set_terminated(run.info.run_id, "FINISHED")
    return {**res, "run_id": run.info.run_id}


def parent_run(client, experiment_id: str, stage: TrainStageParams, inputs: TrainInputs) -> str:
    """One parent run per grid; a resumed grid continues its unfinished parent."""
    fp = hashlib.sha256(json.dumps({"train": stage.train.model_dump(), "grid": stage.grid.model_dump(),
                                    "data": inputs.data_digest, "matrices": inputs.matrix_digests,
                                    "code": inputs.code_digest}, sort_keys=True).encode()).hexdigest()[:24]
    runs = client.search_runs([experiment_id], f"tags.`{FINGERPRINT_TAG}` = '{fp}'", max_results=5,
                              order_by=["attributes.start_time DESC"])
    if runs:
        run_id = runs[0].info.run_id
        client.update_run(run_id, status="RUNNING")
        return run_id
    run = client.create_run(experiment_id, run_name="grid", tags={
        FINGERPRINT_TAG: fp, KIND_TAG: "grid", "git_commit": git_commit(),
        "data_digest": inputs.data_digest})
    for section in ("train", "grid", "runner"):
        for k, v in getattr(stage, section).model_dump().items():
            client.log_param(run.info.run_id, f"{section}.{k}", str(v)[:500])
    return run.info.run_id


@flow(name="train", log_prints=True)
def train_flow(params_path: str = "params.yaml") -> dict:
    from mlflow import MlflowClient

    stage = load_train(params_path)
    cells = expand_grid(stage.grid)
    inputs = build_inputs(cells)
    uri, experiment_id = tracking.setup()
    client = MlflowClient(uri, uri)
    parent = parent_run(client, experiment_id, stage, inputs)
    print(f"grid: {len(cells)} cells -> MLflow {uri} (parent run {parent})")

    with fileio.atomic_dir(MODELS) as tmp:
        futures = cell_task.map(cells, unmapped(stage.train), unmapped(inputs), unmapped(uri),
                                unmapped(experiment_id), unmapped(parent), unmapped(str(tmp)))
        baseline = (baseline_task.submit(inputs, uri, experiment_id, parent, str(tmp))
                    if stage.grid.baseline else None)
        results, failed = [], []
        for cell, fut in zip(cells, futures):
            try:
                results.append(fut.result())
                r = results[-1]
                print(f"{cell.name}: {r['status']}, test accuracy {r.get('test_accuracy', float('nan')):.3f}")
            except Exception as exc:  # recorded in MLflow by train_cell; reported below
                failed.append((cell.name, f"{type(exc).__name__}: {exc}"))
        base = baseline.result() if baseline else None
        # Reused cells stay under the grid run that trained them; this list ties
        # every cell of this grid to its run.
        client.log_dict(parent, {
            "cells": [{"cell": r["cell"], "run_id": r["run_id"], "status": r["status"]} for r in results],
            "failed": [{"cell": n, "error": e} for n, e in failed]}, "cells.json")
        if failed:
            client.set_terminated(parent, "FAILED")
            lines = "\n".join(f"  {n}: {e}" for n, e in failed)
            raise EmbedlabError(f"{len(failed)} of {len(cells)} cells failed (finished cells are kept "
                                f"in MLflow and will not be retrained):\n{lines}\nRun `dvc repro` "
                                "again to retry only these.")
        summary = {"parent_run_id": parent, "tracking_uri": uri, "experiment_id": experiment_id,
                   "data_digest": inputs.data_digest, "cells": results, "baseline": base}
    fileio.write_json(REPORT, summary)
    client.set_terminated(parent, "FINISHED")
    return {"cells": len(results), "failed": 0}


def run_grid(params_path: str = "params.yaml") -> dict:
    """The train flow on the task runner that ``params.yaml: runner`` names."""
    stage = load_train(params_path)  # fail fast on bad params, before Prefect starts
    return train_flow.with_options(task_runner=make_task_runner(stage.runner))(params_path)


def main() -> None:
    from flows._entry import parse_args, warm_start

    args = parse_args(__doc__)
    runner = load_train(args.params).runner  # fail fast on bad params, before Prefect starts
    # Cells train in this process unless the runner starts others.
    warm_start("mlflow", *(["keras"] if runner.kind in ("sequential", "threads") else []))
    run_grid(str(args.params))


if __name__ == "__main__":
    run_entry(main)
