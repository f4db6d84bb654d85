"""The registered model ``review-sentiment`` and its promotion gate.

The artefact is an MLflow pyfunc (``embedlab_serving.model``) that carries the
Keras model, the vocabulary, ``max_len`` and the tokenizer code itself, so it
loads where ``embedlab`` is not installed. A challenger becomes ``champion`` only
if, scored on the same current test set, it beats the current champion by
``margin``; the old champion keeps the alias ``previous``.
"""

from __future__ import annotations

import importlib.metadata as md
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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
    from mlflow.models import infer_signature

    import embedlab_serving
    from embedlab_serving.model import ReviewSentimentModel

    example = pd.DataFrame({"text": EXAMPLE_TEXTS})
    signature = infer_signature(example, pd.DataFrame({"probability": [0.9, 0.1],
                                                       "label": ["positive", "negative"]}))
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=ReviewSentimentModel(),
        artifacts={"keras_model": str(keras_path), "vocab": str(vocab_path)},
        code_paths=[str(Path(embedlab_serving.__file__).parent)],
        signature=signature,
        input_example=example,
        pip_requirements=serving_requirements(),
    )


def accuracy_on(model_uri: str, texts: list[str], labels: np.ndarray) -> tuple[float, np.ndarray]:
    import mlflow.pyfunc

    out = mlflow.pyfunc.load_model(model_uri).predict(pd.DataFrame({"text": texts}))
    prob = out["probability"].to_numpy()
    return float(((prob >= 0.5).astype(int) == labels).mean()), prob


@dataclass
class Decision:
    promoted: bool
    version: str
    challenger_accuracy: float
    champion_version: str | None
    champion_accuracy: float | None
    margin: float
    message: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def decide(challenger_acc: float, champion_acc: float | None, margin: float) -> tuple[bool, str]:
    """Pure gate: promote only when strictly better than champion + margin."""
    if champion_acc is None:
        return True, "no champion yet"
    if challenger_acc > champion_acc + margin:
        return True, (f"beats the champion by {challenger_acc - champion_acc:+.4f} "
                      f"(> margin {margin:.4f})")
    return False, (f"does not beat the champion by more than the margin {margin:.4f} "
                   f"({challenger_acc - champion_acc:+.4f})")


def register_and_gate(model_uri: str, name: str, alias: str, margin: float, texts: list[str],
                      labels: np.ndarray, tags: dict[str, str]) -> Decision:
    """Register ``model_uri`` as a new version of ``name`` and apply the gate."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    version = mlflow.register_model(model_uri, name).version
    challenger_acc, _ = accuracy_on(f"models:/{name}/{version}", texts, labels)
    try:
        current = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        current = None
    champion_acc = None
    if current is not None:
        champion_acc, _ = accuracy_on(f"models:/{name}/{current.version}", texts, labels)
    promoted, why = decide(challenger_acc, champion_acc, margin)
    if promoted:
        if current is not None:
            client.set_registered_model_alias(name, "previous", current.version)
        client.set_registered_model_alias(name, alias, version)
    verdict = "promoted to" if promoted else "not promoted to"
    against = (f"champion v{current.version} {champion_acc:.4f}" if current is not None
               else "no champion")
    message = (f"Version {version} {verdict} `{alias}`: test accuracy {challenger_acc:.4f} vs "
               f"{against} on the same {len(labels)} test reviews; {why}.")
    for k, v in {**tags, "promoted": str(promoted), "gate": why,
                 "test_accuracy_on_gate": f"{challenger_acc:.5f}"}.items():
        client.set_model_version_tag(name, version, k, v)
    client.update_model_version(name, version, description=message)
    return Decision(promoted, str(version), challenger_acc,
                    str(current.version) if current is not None else None, champion_acc, margin, message)
