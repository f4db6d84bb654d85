"""MLflow store location and experiment set-up.

Default store: ``sqlite:///mlruns/mlflow.db`` with artifacts in ``mlruns/artifacts``
(MLflow 3 refuses the old ``./mlruns`` file store, and the sqlite backend keeps
the model registry working). ``MLFLOW_TRACKING_URI`` points everything at a
shared server instead. Nothing here runs at import time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

EXPERIMENT = "embedlab"

# How MLflow 3's UI shows the experiment. The kind says it holds model training
# (not GenAI traces); the saved runs-table view (the UI's "Views" menu, opened by
# `embedlab ui`) lists the cells flat, best test accuracy first, with the metrics
# the report compares as columns. MLflow's defaults show no metric at all.
KIND_TAG, KIND = "mlflow.experimentKind", "custom_model_development"
RUNS_VIEW_ID, RUNS_VIEW_NAME = "embedlab", "embedlab: compare cells"
COMPARED_METRICS = ("test_accuracy", "test_f1_macro", "test_roc_auc", "best_val_accuracy",
                    "train_seconds")


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
        for key, value in ui_tags(exp.tags).items():
            client.set_experiment_tag(exp.experiment_id, key, value)
        return uri, exp.experiment_id
    # An explicit artifact location: MLflow would otherwise pin artifacts to the
    # working directory of whichever process created the database.
    location = (root / "mlruns" / "artifacts").as_uri() if uri.startswith("sqlite:") else None
    try:
        return uri, client.create_experiment(name, artifact_location=location, tags=ui_tags({}))
    except Exception:
        # Another process created it between our lookup and create.
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return uri, exp.experiment_id


def _view_tag() -> str:
    """A saved view as MLflow 3.17's UI stores it: an envelope around the JSON of
    the runs page's state (search facets + table state, column ids as the UI
    writes them). Deterministic, so that an unchanged view is never rewritten."""
    state = {"orderByKey": "metrics.`test_accuracy`", "orderByAsc": False,
             "selectedColumns": [f"metrics.`{m}`" for m in COMPARED_METRICS]}
    return json.dumps({"name": RUNS_VIEW_NAME, "createdAt": 0, "updatedAt": 0,
                       "state": json.dumps(state)})


def ui_tags(existing: dict[str, str]) -> dict[str, str]:
    """Experiment tags to set: the kind where none is set (a kind chosen in the UI
    stays), embedlab's runs view where it is missing or differs."""
    tags = {}
    if not existing.get(KIND_TAG):
        tags[KIND_TAG] = KIND
    view_key = f"mlflow.sharedViewState.{RUNS_VIEW_ID}"
    if existing.get(view_key) != _view_tag():
        tags[view_key] = _view_tag()
    return tags


def runs_page(base_url: str, experiment_id: str) -> str:
    """The UI page of the experiment's runs in embedlab's view. workflowType: MLflow
    3.17's UI picks the experiment's landing page from it (default GenAI), not
    from the kind tag."""
    return (f"{base_url}/#/experiments/{experiment_id}/runs"
            f"?workflowType=machine_learning&viewStateShareKey={RUNS_VIEW_ID}")
