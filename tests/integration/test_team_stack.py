"""The team set-up of docs/scaling.md, run for real on 127.0.0.1.

One PostgreSQL (Debian's server, an unprivileged user, a temporary data
directory) backs an ``mlflow server`` with a served artifact store; a Dask
scheduler and two workers run as separate ``dask`` processes in the project
folder. The whole pipeline logs to the server and trains its cells on the
cluster (``runner.address``); the champion is pulled back by URI and served;
the DVC outputs go through a DVC remote into a fresh clone. Then the faults:
the MLflow server killed mid-grid and a Dask worker killed mid-cell; after each
every cell still has exactly one FINISHED run.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.procs import free_port, start, stop, tail, wait_until
from harness.team import DaskCluster, MlflowServer, dask_cluster, mlflow_server
from tests.conftest import make_project, stage_env
from tests.integration._realservers import BIN, TINY

# Slow, and given room: the first test also starts the servers and runs the whole pipeline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# Four cells, so that a fault can strike with some cells done and some not.
GRID = "grid: {strategies: [learned, w2v_frozen], architectures: [lstm], seeds: [1, 2], " \
       "variant: cbow, baseline: true}\n"
CELLS = {"learned/lstm/seed1", "learned/lstm/seed2", "w2v_frozen/lstm/seed1", "w2v_frozen/lstm/seed2"}


@dataclass
class Team:
    root: Path
    project: Path
    env: dict[str, str]
    server: MlflowServer
    cluster: DaskCluster
    repro_output: str

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(self.server.uri, self.server.uri)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 1500) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out.stdout + out.stderr


def _git(project: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost"}
    return _run(["git", *args], project, env)


@pytest.fixture(scope="module")
def team(tmp_path_factory, postgres_server):
    """MLflow on PostgreSQL + a Dask cluster of CLI processes, and the whole
    pipeline reproduced once against them (committed, so a clone sees it)."""
    root = tmp_path_factory.mktemp("team")
    port = free_port()
    project = make_project(root / "proj", TINY + GRID + "runner: {kind: dask, workers: 2, "
                           f"address: 'tcp://127.0.0.1:{port}'}}\n")
    db = postgres_server.create_database("mlflow")
    with mlflow_server(postgres_server.url(db), root / "mlflow-artifacts", root / "mlflow.log") as server:
        env = {**stage_env(project), "MLFLOW_TRACKING_URI": server.uri,
               "PREFECT_HOME": str(root / "prefect-home")}
        # The workers run in the project folder with its sources importable
        # (docs/scaling.md section 1: the same code and files at the same paths).
        with dask_cluster(project, env, root, workers=2, port=port) as cluster:
            output = _run([str(BIN / "dvc"), "repro"], project, env)
            _git(project, "add", "-A")
            _git(project, "commit", "-qm", "pipeline reproduced on the team stack")
            yield Team(root, project, env, server, cluster, output)


def _cell_runs(client, experiment: str, view: str = "active") -> list:
    from mlflow.entities import ViewType

    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return []
    view_type = ViewType.DELETED_ONLY if view == "deleted" else ViewType.ACTIVE_ONLY
    runs = client.search_runs([exp.experiment_id], "tags.`embedlab.kind` = 'cell'",
                              run_view_type=view_type, max_results=500)
    return list(runs)


def _one_finished_run_per_cell(client, experiment: str) -> Counter:
    runs = _cell_runs(client, experiment)
    per_cell = Counter(r.data.tags["embedlab.cell"] for r in runs)
    assert set(per_cell) == CELLS and set(per_cell.values()) == {1}, per_cell
    assert {r.info.status for r in runs} == {"FINISHED"}, [(r.data.tags["embedlab.cell"], r.info.status)
                                                           for r in runs]
    return per_cell


def test_pipeline_logs_to_mlflow_on_postgres_and_trains_on_dask_cluster(team, postgres_server):
    assert "Running stage 'train'" in team.repro_output
    client = team.client()
    exp = client.get_experiment_by_name("embedlab")
    # The server decides where artifacts go: clients see mlflow-artifacts:, not a path.
    assert exp.artifact_location.startswith("mlflow-artifacts:"), exp.artifact_location
    _one_finished_run_per_cell(client, "embedlab")
    cells = _cell_runs(client, "embedlab")
    # Both worker processes trained cells; none ran in the stage's own process.
    assert {r.data.tags.get("embedlab.dask_worker") for r in cells} == {"worker-1", "worker-2"}, \
        [(r.data.tags["embedlab.cell"], r.data.tags.get("embedlab.dask_worker")) for r in cells]
    grid = client.search_runs([exp.experiment_id], "tags.`embedlab.kind` = 'grid'")
    assert len(grid) == 1 and grid[0].data.params["runner.kind"] == "dask"
    assert grid[0].data.params["runner.address"] == team.cluster.address
    # The runs are rows of the PostgreSQL backend store, not of a local sqlite file.
    rows = postgres_server.query("mlflow", "SELECT run_uuid FROM runs WHERE status = 'FINISHED'")
    assert {r.info.run_id for r in cells} <= {row[0] for row in rows}
    assert not (team.project / "mlruns" / "mlflow.db").exists()
    assert any((team.root / "mlflow-artifacts").rglob("MLmodel")), "no model in the artifact store"


def test_champion_pulled_from_server_by_uri_and_served(team):
    import mlflow

    from harness.serve import invoke, model_server

    client = team.client()
    version = client.get_model_version_by_alias("review-sentiment", "champion")
    assert version.source.startswith(("models:/", "mlflow-artifacts:", "runs:/")), version.source
    mlflow.set_tracking_uri(team.server.uri)
    mlflow.set_registry_uri(team.server.uri)
    local = mlflow.pyfunc.load_model("models:/review-sentiment@champion")
    reviews = ["delicious coffee, i love it", "stale awful chips, a waste of money"]
    with model_server("models:/review-sentiment@champion", env={"MLFLOW_TRACKING_URI": team.server.uri},
                      log_path=team.root / "model-server.log") as base:
        served = invoke(base, {"dataframe_records": [{"text": r} for r in reviews]})["predictions"]
    import pandas as pd

    expected = local.predict(pd.DataFrame({"text": reviews}))
    assert [p["label"] for p in served] == list(expected["label"])
    assert [round(p["probability"], 5) for p in served] == \
        [round(float(p), 5) for p in expected["probability"]]


def test_dvc_remote_push_then_pull_in_fresh_clone_is_up_to_date(team):
    remote = team.root / "dvc-remote"  # a local directory standing for S3
    dvc = str(BIN / "dvc")
    _run([dvc, "remote", "add", "-d", "storage", str(remote)], team.project, team.env)
    _git(team.project, "add", ".dvc/config")
    _git(team.project, "commit", "-qm", "DVC remote")
    pushed = _run([dvc, "push"], team.project, team.env)
    assert any(remote.rglob("*")), pushed

    clone = team.root / "clone"
    _run(["git", "clone", "-q", str(team.project), str(clone)], team.root, team.env)
    env = {**stage_env(clone), "MLFLOW_TRACKING_URI": team.server.uri,
           "PREFECT_HOME": str(team.root / "prefect-home")}
    assert not (clone / "models").exists()
    pulled = _run([dvc, "pull"], clone, env)
    for cell in CELLS:
        slug = cell.replace("/", "__")
        assert (clone / "models" / slug / "model.keras").exists(), pulled
    assert (clone / "data" / "prepared" / "train.parquet").exists()
    repro = _run([dvc, "repro"], clone, env)
    assert "Running stage" not in repro, repro
    for stage in ("prepare", "embeddings", "train", "evaluate"):
        assert f"Stage '{stage}' didn't change, skipping" in repro, repro
    assert "Data and pipelines are up to date." in _run([dvc, "status"], clone, env)


def _train_in_background(team: Team, experiment: str, log: Path):
    env = {**team.env, "EMBEDLAB_EXPERIMENT": experiment}
    return start([str(BIN / "python"), "-m", "flows.train"], log, env=env, cwd=team.project)


def test_mlflow_server_killed_mid_grid_loses_and_duplicates_nothing(team):
    experiment, log = "fault-mlflow-restart", team.root / "fault-mlflow.log"
    client = team.client()
    train = _train_in_background(team, experiment, log)
    try:
        def mid_grid():
            statuses = Counter(r.info.status for r in _cell_runs(client, experiment))
            return statuses["FINISHED"] >= 1 and statuses["FINISHED"] < len(CELLS)

        wait_until(mid_grid, 900, "a grid with some cells finished", train, log, every=0.3)
        done_before = Counter(r.info.status for r in _cell_runs(client, experiment))
        team.server.kill()
        time.sleep(10)
        team.server.start()
        assert train.wait(1200) == 0, tail(log)
    finally:
        stop(train)
    per_cell = _one_finished_run_per_cell(client, experiment)
    print(f"\nMLflow server killed with cells {dict(done_before)}, back after 10 s: "
          f"runs per cell {dict(per_cell)}")
    import json

    report = json.loads((team.project / "reports" / "train_runs.json").read_text())
    assert {c["run_id"] for c in report["cells"]} == {r.info.run_id for r in _cell_runs(client, experiment)}


def test_dask_worker_killed_mid_cell_retries_the_cell_elsewhere(team):
    experiment, log = "fault-worker-lost", team.root / "fault-worker.log"
    client = team.client()
    train = _train_in_background(team, experiment, log)
    victim = None
    try:
        def running_cell():
            running = [r for r in _cell_runs(client, experiment)
                       if r.info.status == "RUNNING" and r.data.tags.get("embedlab.dask_worker")]
            return running[0] if running else None

        victim = wait_until(running_cell, 900, "a cell running on a worker", train, log, every=0.2)
        lost = victim.data.tags["embedlab.dask_worker"]
        team.cluster.kill_worker(lost)
        assert train.wait(1200) == 0, tail(log)
    finally:
        stop(train)
        if victim is not None:  # leave the cluster as the fixture made it
            team.cluster.start_worker(victim.data.tags["embedlab.dask_worker"])
            team.cluster.wait_for_workers(2)
    per_cell = _one_finished_run_per_cell(client, experiment)
    cell = victim.data.tags["embedlab.cell"]
    (redone,) = [r for r in _cell_runs(client, experiment) if r.data.tags["embedlab.cell"] == cell]
    assert redone.data.tags["embedlab.dask_worker"] != lost, "the cell was not retried elsewhere"
    # The lost worker's unfinished run was retired (deleted), not left beside the new one.
    retired = {r.info.run_id for r in _cell_runs(client, experiment, view="deleted")}
    assert victim.info.run_id in retired
    print(f"\nworker {lost} killed mid-cell ({cell}); retried on {redone.data.tags['embedlab.dask_worker']}: "
          f"runs per cell {dict(per_cell)}")
