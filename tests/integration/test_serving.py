"""`mlflow models serve -m models:/review-sentiment@champion --env-manager local`
on 127.0.0.1 answers /invocations with raw review text (real server, real
temporary MLflow store, tiny real Keras model)."""

from __future__ import annotations

import socket
import urllib.error

import pytest

from harness.serve import invoke, model_server

pytestmark = pytest.mark.slow


def test_served_champion_scores_raw_reviews(mlflow_store, tiny_models, tmp_path):
    import mlflow
    from mlflow import MlflowClient

    from embedlab import tracking
    from embedlab.registry import log_pyfunc

    _, exp = tracking.setup(tmp_path, "serving")
    with mlflow.start_run(experiment_id=exp):
        info = log_pyfunc(*tiny_models["good"])
    version = mlflow.register_model(info.model_uri, "review-sentiment").version
    MlflowClient().set_registered_model_alias("review-sentiment", "champion", version)

    reviews = ["delicious coffee, i love it", "stale awful chips, a waste of money"]
    log = tmp_path / "serve.log"
    with model_server("models:/review-sentiment@champion", env={"MLFLOW_TRACKING_URI": mlflow_store},
                      log_path=log) as base:
        port = int(base.rsplit(":", 1)[1])
        split = invoke(base, {"dataframe_split": {"columns": ["text"], "data": [[r] for r in reviews]}})
        records = invoke(base, {"dataframe_records": [{"text": r} for r in reviews]})
        plain = invoke(base, {"inputs": reviews})
        with pytest.raises(urllib.error.HTTPError) as bad:
            invoke(base, {"dataframe_split": {"columns": ["review"], "data": [["Great!"]]}})
    preds = split["predictions"]
    assert [p["label"] for p in preds] == ["positive", "negative"]
    assert preds[0]["probability"] > 0.5 > preds[1]["probability"]
    assert records["predictions"] == preds and plain["predictions"] == preds
    assert bad.value.code == 400 and b"'text'" in bad.value.read()
    # Stopped: nothing listens on the port any more.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
