"""The grid on a local Dask cluster of two worker processes (prefect-dask's
DaskTaskRunner): every cell's MLflow run is recorded exactly once, also when
the stage is forced to run again."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest

from tests.integration._realservers import BIN
from tests.conftest import make_project, stage_env

TINY_DASK = """
data: {sample: 300}
embeddings: {variants: {cbow: {vector_size: 16, epochs: 2, min_count: 1, seed: 1}}}
train: {epochs: 1, batch_size: 32, units: 8, embedding_dim: 16}
grid: {strategies: [learned, w2v_frozen, w2v_finetuned], architectures: [lstm], seeds: [1], variant: cbow, baseline: true}
runner: {kind: dask, workers: 2, address: null}
"""


@pytest.mark.slow
def test_grid_on_local_dask_cluster_records_each_cell_once(tmp_path):
    project = make_project(tmp_path / "proj", TINY_DASK)
    env = {**stage_env(project), "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def repro(*args: str) -> None:
        out = subprocess.run([str(BIN / "dvc"), "repro", *args], cwd=project, env=env,
                             capture_output=True, text=True, timeout=1500)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]

    repro("train")

    from mlflow import MlflowClient

    uri = env["MLFLOW_TRACKING_URI"]
    client = MlflowClient(uri, uri)
    exp = client.get_experiment_by_name("embedlab")

    def cell_runs():
        runs = client.search_runs([exp.experiment_id], max_results=500)
        return [r for r in runs if r.data.tags.get("embedlab.kind") == "cell"], runs

    cells, runs = cell_runs()
    counts = Counter(r.data.tags["embedlab.cell"] for r in cells)
    assert counts == Counter({"learned/lstm/seed1": 1, "w2v_frozen/lstm/seed1": 1,
                              "w2v_finetuned/lstm/seed1": 1}), counts
    assert all(r.info.status == "FINISHED" for r in cells)
    grid = [r for r in runs if r.data.tags.get("embedlab.kind") == "grid"]
    assert len(grid) == 1 and grid[0].data.params["runner.kind"] == "dask"
    assert all(r.data.tags["mlflow.parentRunId"] == grid[0].info.run_id for r in cells)
    # The cells ran on the cluster's two worker processes, not in the stage's own process:
    # each cell run records the host:pid that trained it.
    workers = {r.data.tags["embedlab.worker"] for r in cells}
    assert len(workers) == 2, workers

    # Forced again on the cluster: finished cells are reused, never logged twice.
    repro("-f", "-s", "train")
    cells_after, _ = cell_runs()
    assert sorted(r.info.run_id for r in cells_after) == sorted(r.info.run_id for r in cells)
