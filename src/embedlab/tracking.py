"""MLflow store location and experiment set-up.

Default store: ``sqlite:///mlruns/mlflow.db`` with artifacts in ``mlruns/artifacts``
(MLflow 3 refuses the old ``./mlruns`` file store, and the sqlite backend keeps
the model registry working). ``MLFLOW_TRACKING_URI`` points everything at a
shared server instead. Nothing here runs at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

EXPERIMENT = "embedlab"


def default_uri(root: Path | None = None) -> str:
    root = (root or Path.cwd()).resolve()
    return f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"


def tracking_uri(root: Path | None = None) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_uri(root)


def setup(root: Path | None = None, experiment: str | None = None) -> tuple[str, str]:
    """Point mlflow at the project store; return (tracking uri, experiment id)."""
    import mlflow
    from mlflow import MlflowClient

    root = (root or Path.cwd()).resolve()
    uri = tracking_uri(root)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    name = experiment or os.environ.get("EMBEDLAB_EXPERIMENT", EXPERIMENT)
    client = MlflowClient(uri, uri)
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return uri, exp.experiment_id
    # An explicit artifact location: MLflow would otherwise pin artifacts to the
    # working directory of whichever process created the database.
    location = (root / "mlruns" / "artifacts").as_uri() if uri.startswith("sqlite:") else None
    try:
        return uri, client.create_experiment(name, artifact_location=location)
    except Exception:
        # Another process created it between our lookup and create.
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return uri, exp.experiment_id


def where_tags() -> dict[str, str]:
    """Where a run ran: host and process, and the Dask worker's name on a cluster
    (a team reads from it which machine trained a cell, or was lost mid-cell)."""
    import socket

    tags = {"embedlab.host": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        from distributed import get_worker

        tags["embedlab.worker"] = str(get_worker().name)
    except (ImportError, ValueError):  # not inside a Dask worker
        pass
    return tags
