"""The one place that turns ``params.yaml: runner`` into a Prefect task runner."""

from __future__ import annotations

from embedlab.config import RunnerParams


def make_task_runner(runner: RunnerParams):
    if runner.kind == "sequential":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=1)
    if runner.kind == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=runner.workers)
    if runner.kind == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=runner.workers)
    if runner.kind == "dask":
        from prefect_dask import DaskTaskRunner

        if runner.address:
            return DaskTaskRunner(address=runner.address)
        # One thread per worker process: TensorFlow brings its own parallelism.
        return DaskTaskRunner(cluster_kwargs={"n_workers": runner.workers,
                                              "threads_per_worker": 1, "processes": True})
    raise ValueError(f"unknown runner kind {runner.kind!r}")
