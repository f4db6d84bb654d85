"""A killed stage leaves no litter: the next run sweeps the scratch folders of
dead writers and closes the runs a dead process left RUNNING.

Fast tests exercise the two mechanisms on real files and a real sqlite MLflow
store; the slow test sends a real SIGKILL to the train stage mid-grid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from embedlab import fileio, tracking

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_writer_sweeps_a_dead_writers_scratch(tmp_path):
    dead = _dead_pid()
    (tmp_path / f".models.{dead}.x1.tmp" / "cell").mkdir(parents=True)
    (tmp_path / f".models.{dead}.old").mkdir()
    (tmp_path / f".models.{os.getpid()}.mine.tmp").mkdir()          # a live writer's: kept
    with fileio.atomic_dir(tmp_path / "models") as tmp:
        (tmp / "a.txt").write_text("new")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f".models.{os.getpid()}.mine.tmp", "models"]
    assert (tmp_path / "models" / "a.txt").read_text() == "new"


def test_runs_of_a_dead_process_are_closed_others_kept(tmp_path, mlflow_store):
    uri, exp = tracking.setup(tmp_path)
    c = tracking.client(uri)
    host = __import__("socket").gethostname()
    orphan = c.create_run(exp, run_name="grid", tags={tracking.WORKER_TAG: f"{host}:{_dead_pid()}"})
    live = c.create_run(exp, run_name="live", tags={tracking.WORKER_TAG: tracking.worker()})
    remote = c.create_run(exp, run_name="remote", tags={tracking.WORKER_TAG: "elsewhere:1"})
    assert tracking.retire_orphans(uri, exp) == [orphan.info.run_id]
    assert c.get_run(orphan.info.run_id).info.status == "KILLED"
    assert "killed" in c.get_run(orphan.info.run_id).data.tags["embedlab.orphaned"]
    assert {c.get_run(r.info.run_id).info.status for r in (live, remote)} == {"RUNNING"}


# ------------------------------------------------------------ a real SIGKILL
def _env(project: Path) -> dict:
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlruns' / 'mlflow.db'}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _params(project: Path, seeds: list[int]) -> None:
    (project / "params.yaml").write_text(yaml.safe_dump({
        "train": {"epochs": 3, "batch_size": 16, "units": 8, "embedding_dim": 12, "patience": 5},
        "grid": {"strategies": ["learned", "w2v_frozen"], "architectures": ["lstm"], "seeds": seeds,
                 "baseline": False}}))


def _experiment_made(db: Path) -> str | None:
    """The stage's experiment id once the stage has made it, read with sqlite3: an
    MLflow client opened on the store while the stage is still creating its tables
    would run the schema migrations a second time and fail."""
    import sqlite3

    if not db.exists():
        return None
    try:
        with sqlite3.connect(db) as con:
            row = con.execute("SELECT experiment_id FROM experiments WHERE name = 'embedlab'").fetchone()
    except sqlite3.OperationalError:      # the tables are not there yet
        return None
    return str(row[0]) if row else None


@pytest.mark.slow
def test_sigkill_mid_grid_then_a_different_grid_leaves_no_litter(tmp_path, prefect_home):
    from tests.tinydata import write_tiny_project

    project = tmp_path / "proj"
    write_tiny_project(project)
    (project / "mlruns").mkdir(exist_ok=True)
    env = _env(project)
    _params(project, [1, 2])
    proc = subprocess.Popen([sys.executable, "-m", "flows.train"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uri, exp = env["MLFLOW_TRACKING_URI"], None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:     # wait until one cell finished and the next one runs
        time.sleep(1)
        if exp is None:
            exp = _experiment_made(project / "mlruns" / "mlflow.db")
        if exp is not None:
            cells = tracking.client(uri).search_runs([exp], "tags.`embedlab.kind` = 'cell'")
            if {"FINISHED", "RUNNING"} <= {r.info.status for r in cells}:
                break
        assert proc.poll() is None, "the stage ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(project.glob(".models.*")), "the kill should have left the scratch folder"
    c = tracking.client(uri)
    finished = {r.data.tags["embedlab.cell"]: r.info.run_id
                for r in c.search_runs([exp], "attributes.status = 'FINISHED'")}

    _params(project, [1, 2, 3])              # a different grid: a new parent run
    again = subprocess.run([sys.executable, "-m", "flows.train"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=1200)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert not list(project.glob(".models.*")), "scratch of the killed run left behind"
    runs = c.search_runs([exp], "", max_results=1000)
    assert not [r.info.run_name for r in runs if r.info.status == "RUNNING"]
    grids = sorted((r.info.status for r in runs if r.data.tags.get("embedlab.kind") == "grid"))
    assert grids == ["FINISHED", "KILLED"]
    cells = [r for r in runs if r.data.tags.get("embedlab.kind") == "cell" and r.info.status == "FINISHED"]
    names = [r.data.tags["embedlab.cell"] for r in cells]
    assert sorted(names) == sorted(f"{s}/lstm/seed{k}" for s in ("learned", "w2v_frozen") for k in (1, 2, 3))
    for name, run_id in finished.items():     # what finished before the kill was reused
        assert run_id in {r.info.run_id for r in cells if r.data.tags["embedlab.cell"] == name}
