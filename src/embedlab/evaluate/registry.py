"""The registered model ``review-sentiment`` and its promotion gate.

The artefact is an MLflow pyfunc (``embedlab_serving.model``) that carries the
Keras model, the vocabulary, ``max_len`` and the tokenizer code itself, so it
loads where ``embedlab`` is not installed. A challenger becomes ``champion`` only
if it passes the behaviour checks (``embedlab.evaluate.behaviour``) and, scored on the
same current test set, beats the current champion by ``margin``; the old
champion keeps the alias ``previous``.
"""

from __future__ import annotations

import importlib.metadata as md
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import tracking
from embedlab.errors import EmbedlabError
from embedlab.evaluate.behaviour import run_checks
from embedlab.tracking import KIND_TAG, WORKER_TAG, worker

CONTRACT_TAG = "serving_contract"  # on each version: embedlab_serving.model.CONTRACT
EXAMPLE_TEXTS = ["Absolutely delicious, I will buy this again.",
                 "Stale and tasteless. Do not waste your money."]


def serving_requirements() -> list[str]:
    """Pins for the model's environment, from what is installed here (the lock)."""
    reqs = []
    for dist in ("mlflow", "keras", "tensorflow-cpu", "numpy", "pandas"):
        try:
            reqs.append(f"{dist}=={md.version(dist)}")
        except md.PackageNotFoundError:
            pass
    return reqs


def log_pyfunc(keras_path: Path, vocab_path: Path, name: str = "model"):
    """Log the raw-text pyfunc into the active MLflow run; returns ModelInfo."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import AnyType

    import embedlab_serving
    from embedlab_serving.model import ReviewSentimentModel

    example = pd.DataFrame({"text": EXAMPLE_TEXTS})
    # One *unnamed* input: MLflow's schema check then accepts a DataFrame with a
    # `text` column, a list of strings and a Series alike (a named input would
    # reject a plain list before the model sees it). Its type is Any, not string:
    # MLflow's serving casts a JSON null under a string spec to the text "None",
    # so only Any lets a null reach the model as missing; the model itself checks
    # each value (a string, null or a number, else a 400 naming the review).
    signature = ModelSignature(
        inputs=Schema([ColSpec(AnyType())]),
        outputs=Schema([ColSpec(DataType.double, "probability"), ColSpec(DataType.string, "label"),
                        ColSpec(DataType.long, "known_tokens")]))
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=ReviewSentimentModel(),
        artifacts={"keras_model": str(keras_path), "vocab": str(vocab_path)},
        code_paths=[str(Path(embedlab_serving.__file__).parent)],
        signature=signature,
        input_example=example,
        pip_requirements=serving_requirements(),
    )


def _load(model_uri: str):
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(model_uri)


def load_model(model_uri: str):
    """A registered (or any) model by URI, for users; a clear error if it is not there."""
    tracking.setup()
    try:
        return _load(model_uri)
    except Exception as exc:  # MlflowException, missing alias, missing store ...
        raise EmbedlabError(f"cannot load {model_uri} from {tracking.tracking_uri()}: {exc}. "
                            "Run `python3.11 dev.py repro` first, or pass --model-uri.") from None


def _proba(model, texts: list[str]) -> np.ndarray:
    return model.predict(pd.DataFrame({"text": list(texts)}))["probability"].to_numpy()


def score(model_uri: str, texts: list[str], labels: np.ndarray):
    """Test accuracy and behaviour checks of one registered model, loaded once."""
    model = _load(model_uri)
    prob = _proba(model, texts)
    return float(((prob >= 0.5).astype(int) == labels).mean()), run_checks(lambda t: _proba(model, t))


def _repackaged(tags: dict[str, str], champion) -> bool:
    """The challenger is the champion's cell trained on the same data (its run
    reused, or retrained after a code move) and the champion was packaged with
    older serving code (versions registered before the tag: contract 1)."""
    from embedlab_serving.model import CONTRACT

    same = ("cell", "data_digest")
    if champion is None or not all(tags.get(k) for k in same):
        return False
    return (all(champion.tags.get(k) == tags[k] for k in same)
            and int(champion.tags.get(CONTRACT_TAG, "1")) < CONTRACT)


@dataclass
class Decision:
    promoted: bool
    version: str
    challenger_accuracy: float
    champion_version: str | None
    champion_accuracy: float | None
    margin: float
    message: str
    challenger_behaviour: dict | None = None
    champion_behaviour: dict | None = None
    min_behaviour_pass_rate: float = 0.0
    reason: str = ""
    behaviour_markdown: str = ""
    reference_note: str = ""     # when the TF-IDF reference beats this model on test: says so

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def decide(challenger_acc: float, champion_acc: float | None, margin: float,
           behaviour_pass_rate: float | None = None,
           min_behaviour_pass_rate: float = 0.0, repackaged: bool = False) -> tuple[bool, str]:
    """Pure gate.

    A challenger is promoted only if its behaviour checks pass (mean pass rate at
    least ``min_behaviour_pass_rate``) and its test accuracy is strictly better
    than the champion's plus ``margin``, both scored on the same test set; or if
    it is the champion's own cell packaged with newer serving code
    (``repackaged``): the same model, the current answer for every text.
    """
    if behaviour_pass_rate is not None and behaviour_pass_rate < min_behaviour_pass_rate:
        return False, (f"fails the behaviour checks: mean pass rate {behaviour_pass_rate:.3f} "
                       f"< evaluate.min_behaviour_pass_rate {min_behaviour_pass_rate:.3f}")
    if champion_acc is None:
        return True, "no champion yet"
    if repackaged:
        return True, "the champion's own cell, packaged with newer serving code"
    if challenger_acc > champion_acc + margin:
        return True, (f"beats the champion by {challenger_acc - champion_acc:+.4f} "
                      f"(> margin {margin:.4f})")
    return False, (f"does not beat the champion by more than the margin {margin:.4f} "
                   f"({challenger_acc - champion_acc:+.4f})")


def register_and_gate(model_uri: str, name: str, alias: str, margin: float, texts: list[str],
                      labels: np.ndarray, tags: dict[str, str],
                      min_behaviour_pass_rate: float = 0.0, reference_note: str = "") -> Decision:
    """Register ``model_uri`` as a new version of ``name`` and apply the gate.

    Challenger and current champion are both loaded from the registry and scored
    on the same ``texts``; the challenger also runs the behaviour checks. The
    decision and its reason go into the version's tags and description; the old
    champion keeps the alias ``previous``. ``reference_note`` (the TF-IDF reference
    beats this model on test: ``embedlab.evaluate.stage.reference_note``) is added to the
    description and tagged, so a user pulling the alias learns it.
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from embedlab_serving.model import CONTRACT

    client = MlflowClient()
    version = mlflow.register_model(model_uri, name).version
    challenger_acc, challenger_beh = score(f"models:/{name}/{version}", texts, labels)
    try:
        current = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        current = None
    champion_acc, champion_beh = None, None
    if current is not None:
        champion_acc, champion_beh = score(f"models:/{name}/{current.version}", texts, labels)
    promoted, why = decide(challenger_acc, champion_acc, margin, challenger_beh.pass_rate,
                           min_behaviour_pass_rate, _repackaged(tags, current))
    if promoted:
        if current is not None:
            client.set_registered_model_alias(name, "previous", current.version)
        client.set_registered_model_alias(name, alias, version)
    verdict = "promoted to" if promoted else "not promoted to"
    against = (f"champion v{current.version} {champion_acc:.4f}" if current is not None
               else "no champion")
    message = (f"Version {version} {verdict} `{alias}`: test accuracy {challenger_acc:.4f} vs "
               f"{against} on the same {len(labels)} test reviews; behaviour pass rate "
               f"{challenger_beh.pass_rate:.3f} (min {min_behaviour_pass_rate:.3f}); {why}.")
    beh_tags = {f"behaviour_{k}": f"{v:.3f}" for k, v in challenger_beh.metrics().items()}
    if reference_note:
        beh_tags["reference_beats_model"] = reference_note[:5000]
    for k, v in {**tags, **beh_tags, CONTRACT_TAG: str(CONTRACT), "promoted": str(promoted),
                 "gate": why, "test_accuracy_on_gate": f"{challenger_acc:.5f}"}.items():
        client.set_model_version_tag(name, version, k, v)
    client.update_model_version(name, version, description=" ".join(filter(None, (message, reference_note))))
    return Decision(promoted, str(version), challenger_acc,
                    str(current.version) if current is not None else None, champion_acc, margin,
                    message, challenger_beh.metrics(),
                    champion_beh.metrics() if champion_beh is not None else None,
                    min_behaviour_pass_rate, why, challenger_beh.markdown(), reference_note)


def publish(keras_path: Path, vocab_path: Path, experiment_id: str, parent_run_id: str,
            model_name: str, alias: str, margin: float, min_behaviour_pass_rate: float,
            texts: list[str], labels: np.ndarray, tags: dict[str, str],
            reference_note: str = "") -> Decision:
    """The evaluate run: log the champion cell as a pyfunc, register it, gate it."""
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id, run_name="evaluate",
                          tags={"mlflow.parentRunId": parent_run_id, KIND_TAG: "evaluate",
                                WORKER_TAG: worker()}):
        info = log_pyfunc(keras_path, vocab_path)
        decision = register_and_gate(info.model_uri, model_name, alias, margin, texts, labels,
                                     tags, min_behaviour_pass_rate, reference_note)
        mlflow.log_dict(decision.as_dict(), "gate.json")
        mlflow.log_metrics({f"behaviour_{k}": v for k, v in decision.challenger_behaviour.items()})
    return decision
