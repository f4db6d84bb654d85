"""`mlflow models serve -m models:/review-sentiment@champion --env-manager local`
on 127.0.0.1 answers /invocations with raw review text (real server, real
temporary MLflow store, tiny real Keras model): the same answers in every JSON
format MLflow accepts, the documented no-evidence answer for texts without a
known word and for JSON null, never a 500, never a NaN."""

from __future__ import annotations

import socket
import urllib.error

import pytest

from harness.serve import invoke, model_server

pytestmark = pytest.mark.slow

REVIEWS = ["delicious coffee, i love it", "stale awful chips, a waste of money"]
# No word of the tiny vocabulary, or no text at all.
NO_EVIDENCE = ["", "!", "🙂🎉", "   ", "zzyzx quorble", "非常に美味しい", "очень вкусно", "1234",
               "x" * 100_000, None]
UNKNOWN = {"probability": 0.5, "label": "unknown", "known_tokens": 0}


def _payloads(texts: list) -> dict[str, dict]:
    """The same texts in each JSON format the scoring server accepts."""
    return {"inputs": {"inputs": texts},
            "instances": {"instances": texts},
            "dataframe_split": {"dataframe_split": {"columns": ["text"], "data": [[t] for t in texts]}},
            "dataframe_records": {"dataframe_records": [{"text": t} for t in texts]}}


def _error(base: str, payload: dict) -> tuple[int, str]:
    with pytest.raises(urllib.error.HTTPError) as err:
        invoke(base, payload)
    return err.value.code, err.value.read().decode()


def _check_known_reviews(base: str) -> None:
    answers = {fmt: invoke(base, p)["predictions"] for fmt, p in _payloads(REVIEWS).items()}
    preds = answers["dataframe_split"]
    assert [p["label"] for p in preds] == ["positive", "negative"]
    assert preds[0]["probability"] > 0.5 > preds[1]["probability"]
    assert all(p["known_tokens"] > 0 for p in preds)
    assert all(a == preds for a in answers.values()), answers


def _check_texts_without_known_words(base: str) -> None:
    mixed = [REVIEWS[0], *NO_EVIDENCE, REVIEWS[1]]
    for fmt, payload in _payloads(mixed).items():
        preds = invoke(base, payload)["predictions"]  # strict JSON: a NaN would raise
        assert preds[1:-1] == [UNKNOWN] * len(NO_EVIDENCE), (fmt, preds)
        assert preds[0]["label"] == "positive" and preds[-1]["label"] == "negative", (fmt, preds)
    # A lone JSON null, a number read as its text.
    assert invoke(base, {"inputs": [None]})["predictions"] == [UNKNOWN]
    assert invoke(base, {"dataframe_records": [{"text": None}]})["predictions"] == [UNKNOWN]
    assert invoke(base, {"inputs": [42, 3.5]})["predictions"] == [UNKNOWN, UNKNOWN]


def _check_bad_requests(base: str) -> None:
    code, body = _error(base, {"dataframe_split": {"columns": ["review"], "data": [["Great!"]]}})
    assert code == 400 and "'text'" in body
    code, body = _error(base, {"inputs": ["good tea", {"stars": 5}]})
    assert code == 400 and "review 1: expected a string or null" in body
    for payload in ({"inputs": None}, {"inputs": {"text": ["x"]}}, {"inputs": [{"stars": 5}]}):
        code, body = _error(base, payload)
        assert code == 400, (payload, code, body)


def test_served_champion_answers_every_text(mlflow_store, tiny_models, tmp_path):
    import mlflow
    from mlflow import MlflowClient

    from embedlab import tracking
    from embedlab.evaluate.registry import log_pyfunc

    _, exp = tracking.setup(tmp_path, "serving")
    with mlflow.start_run(experiment_id=exp):
        info = log_pyfunc(*tiny_models["good"])
    version = mlflow.register_model(info.model_uri, "review-sentiment").version
    MlflowClient().set_registered_model_alias("review-sentiment", "champion", version)

    log = tmp_path / "serve.log"
    with model_server("models:/review-sentiment@champion", env={"MLFLOW_TRACKING_URI": mlflow_store},
                      log_path=log) as base:
        port = int(base.rsplit(":", 1)[1])
        _check_known_reviews(base)
        _check_texts_without_known_words(base)
        _check_bad_requests(base)
    # Stopped: nothing listens on the port any more.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0

