"""The `processes` runner (the default): each worker's TensorFlow gets the fixed
thread count that keeps numbers machine-independent, the workers' task runs land
in the stage's own Prefect server, and a worker dies with the stage process, even
when only that process is killed (not its process group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from embedlab.runtime import TF_THREADS
from flows.runners import TF_THREAD_VARS, tf_threads_env

ROOT = Path(__file__).resolve().parents[2]

# A flow on the runner params.yaml would make: two tasks that record their
# worker's pid and TensorFlow thread settings, then wait to be killed.
FLOW = """
import os, sys, time
from prefect import flow, task
from embedlab.config import RunnerParams
from flows.runners import TF_THREAD_VARS, api_for_workers, make_task_runner

@task
def record(i):
    out = os.path.join(sys.argv[1], str(os.getpid()))
    with open(out + ".tmp", "w") as fh:
        fh.write(" ".join(os.environ.get(v, "unset") for v in (*TF_THREAD_VARS, "PREFECT_API_URL")))
    os.replace(out + ".tmp", out)
    time.sleep(600)

@flow
def two_cells():
    [f.result() for f in record.map(range(2))]

if __name__ == "__main__":
    runner = RunnerParams(kind="processes", workers=2)
    with api_for_workers(runner):
        with open(sys.argv[2], "w") as fh:
            fh.write(os.environ["PREFECT_API_URL"])
        two_cells.with_options(task_runner=make_task_runner(runner))()
"""

def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan waits for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_an_explicit_thread_setting_wins(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "7")
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert tf_threads_env() == {"TF_NUM_INTRAOP_THREADS": "7", "TF_NUM_INTEROP_THREADS": str(TF_THREADS),
                                "ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's (prctl)")
def test_workers_get_fixed_threads_report_to_the_stage_and_die_with_it(tmp_path):
    script, seen = tmp_path / "two_cells.py", tmp_path / "pids"
    script.write_text(FLOW)
    seen.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in TF_THREAD_VARS}
    # A Prefect home of its own: the server's database then holds this flow's task runs only.
    env.update(PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}", PREFECT_HOME=str(tmp_path / "prefect-home"))
    api = tmp_path / "api"
    proc = subprocess.Popen([sys.executable, str(script), str(seen), str(api)], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _wait(lambda: len(list(seen.iterdir())) == 2, 120), proc.stderr.read().decode()[-2000:] \
            if proc.poll() is not None else "the two tasks did not start in two workers"
        url = api.read_text()
        workers = {int(p.name): p.read_text() for p in seen.iterdir()}
        assert proc.pid not in workers
        assert set(workers.values()) == {f"{TF_THREADS} {TF_THREADS} {url}"}

        def task_runs() -> list[tuple[str, str]]:   # as the stage's own server has them
            runs = httpx.post(f"{url}/task_runs/filter", json={}).json()
            # A task run the server has just created can have no state yet: not RUNNING.
            return sorted((r["name"].split("-")[0], (r["state"] or {"type": "NO_STATE"})["type"]) for r in runs)

        # A worker records its RUNNING state over HTTP, possibly after writing its file:
        # wait for both records instead of reading the server at one instant.
        assert _wait(lambda: task_runs() == [("record", "RUNNING")] * 2, 60), task_runs()
        os.kill(proc.pid, signal.SIGKILL)          # the stage process only, not its group
        proc.wait()
        assert _wait(lambda: not any(_running(pid) for pid in workers), 30), \
            "a worker outlived the stage process"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)        # the temporary Prefect server and anything left
