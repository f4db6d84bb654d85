"""The reference row: TF-IDF + logistic regression on the same split and the
same tokenizer. A strong linear model is what a network has to beat."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from embedlab import tracking
from embedlab.grid import TrainInputs, baseline_fingerprint
from embedlab.metrics import classification_metrics

NAME = "tfidf_logreg"
PREDICTIONS = f"{NAME}.npz"


def fit_predict(inputs: TrainInputs) -> tuple[dict, np.ndarray]:
    """(metrics, test probabilities)."""
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from embedlab_serving.text import tokenize

    frames = {k: pd.read_parquet(getattr(inputs, k), columns=["text", "label"])
              for k in ("train", "val", "test")}
    t0 = time.perf_counter()
    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                          ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(vec.fit_transform(frames["train"]["text"]),
                                                       frames["train"]["label"])
    out = {"train_seconds": time.perf_counter() - t0}
    probs = {}
    for split, prefix in (("val", "best_val_"), ("test", "test_")):
        probs[split] = clf.predict_proba(vec.transform(frames[split]["text"]))[:, 1]
        out.update(classification_metrics(frames[split]["label"].to_numpy(), probs[split], prefix))
    return out, probs["test"]


def train_baseline(inputs: TrainInputs, tracking_uri: str, experiment_id: str,
                   parent_run_id: str, models_dir: str) -> dict:
    """The baseline's run, reused like a cell's when data and code are unchanged."""
    path = Path(models_dir) / PREDICTIONS

    def reuse(run: tracking.Run) -> dict:
        run.download([PREDICTIONS], Path(models_dir))
        return {"name": NAME, "status": "reused", "run_id": run.id, **run.metrics}

    def work(run: tracking.Run) -> dict:
        metrics, test_prob = fit_predict(inputs)
        np.savez_compressed(path, test_prob=test_prob)
        run.log_metrics(metrics)
        run.log_files([path])
        return {"name": NAME, "status": "trained", "run_id": run.id, **metrics}

    return tracking.reuse_or_run(tracking_uri, experiment_id, baseline_fingerprint(inputs),
                                 f"baseline/{NAME}", {"mlflow.parentRunId": parent_run_id,
                                                      tracking.KIND_TAG: "baseline"}, reuse, work)
