"""Helpers for tests and benchmarks, never imported by the pipeline itself.

``scaffold`` copies the pipeline into a scratch git + DVC repository; ``serve``
starts and stops ``mlflow models serve`` on loopback; ``procs`` starts, waits for
and stops server processes by PID; ``team`` runs the team set-up on loopback
(PostgreSQL, an MLflow server on it, a Prefect server, a Dask cluster of CLI
processes).
"""
