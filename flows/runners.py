"""The one place that turns ``params.yaml: runner`` into a Prefect task runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from embedlab.config import RunnerParams
from embedlab.runtime import DETERMINISM_ENV

TF_THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def tf_threads_env() -> dict[str, str]:
    """Each local worker's TensorFlow settings that keep a cell's numbers independent
    of the machine (embedlab.runtime.DETERMINISM_ENV), or explicit ones from the
    environment."""
    return {var: os.environ.get(var, default) for var, default in DETERMINISM_ENV.items()}


def init_worker(env: dict[str, str]) -> None:
    """First thing in every worker process of the ``processes`` runner."""
    os.environ.update(env)
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: a worker is killed when the stage process dies, so `kill -9` of the
    stage leaves no worker training on (other systems: the process group's signal)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def make_task_runner(runner: RunnerParams):
    if runner.kind == "sequential":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=1)
    if runner.kind == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=runner.workers)
    if runner.kind == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=runner.workers, initializer=init_worker,
                                     initargs=(tf_threads_env(),))
    if runner.kind == "dask":
        from prefect_dask import DaskTaskRunner

        if runner.address:
            return DaskTaskRunner(address=runner.address)
        # One Dask thread per worker process: TensorFlow brings its own parallelism.
        return DaskTaskRunner(cluster_kwargs={"n_workers": runner.workers, "threads_per_worker": 1,
                                              "processes": True, "env": tf_threads_env()})
    raise ValueError(f"unknown runner kind {runner.kind!r}")


@contextmanager
def api_for_workers(runner: RunnerParams) -> Iterator[None]:
    """Local worker processes report to the stage's own Prefect server.

    A stage run alone uses Prefect's temporary server, which its process starts
    and reaches in-process; a worker process would not find it and would start a
    temporary server of its own, recording its task runs out of the flow's sight.
    So the stage starts the temporary server first (the same one its flow then
    uses, stopped at exit by Prefect after its logs are sent) and its address goes
    to the workers through ``PREFECT_API_URL``, which they inherit.
    """
    from prefect.settings import PREFECT_API_URL

    if runner.kind not in ("processes", "dask") or runner.address or PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()   # the singleton Prefect's temporary mode uses
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield
    finally:
        del os.environ["PREFECT_API_URL"]
