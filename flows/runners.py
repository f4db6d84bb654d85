"""The one place that turns ``params.yaml: runner`` into a Prefect task runner."""

from __future__ import annotations

import os

from embedlab.config import RunnerParams

TF_THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cores() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def init_worker(threads: int) -> None:
    """First thing in every worker process of the ``processes`` runner."""
    # Each worker's TensorFlow gets its share of the cores: two processes of two
    # threads each on two cores run slower than one (an explicit setting wins).
    for var in TF_THREAD_VARS:
        os.environ.setdefault(var, str(threads))
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
                                     initargs=(max(1, cores() // runner.workers),))
    if runner.kind == "dask":
        from prefect_dask import DaskTaskRunner

        if runner.address:
            return DaskTaskRunner(address=runner.address)
        # One thread per worker process: TensorFlow brings its own parallelism.
        return DaskTaskRunner(cluster_kwargs={"n_workers": runner.workers,
                                              "threads_per_worker": 1, "processes": True})
    raise ValueError(f"unknown runner kind {runner.kind!r}")
