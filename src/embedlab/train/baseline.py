"""The reference row: TF-IDF + logistic regression on the same split and the
same tokenizer. A strong linear model is what a network has to beat.

One reference per labeled train size of the grid: on the whole split once, and on
each seed's subset of a smaller size (the very reviews the cells of that seed and
size are fitted on), so a learning curve has its reference at every point.
"""

from __future__ import annotations

import inspect
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlab import fileio, tracking
from embedlab.config import ALL_TRAIN, GridParams, size_order
from embedlab.splits import labeled_subset
from embedlab.train.grid import TrainInputs, digest, size_suffix
from embedlab.train.metrics import classification_metrics
from embedlab_serving.text import tokenize

NAME = "tfidf_logreg"


@dataclass(frozen=True)
class Reference:
    """One TF-IDF fit: on the whole train split, or on one seed's subset of a size."""

    train_size: int | str = ALL_TRAIN
    seed: int | None = None  # the subset's seed; None for the whole split

    @property
    def name(self) -> str:
        seed = "" if self.seed is None else f"/seed{self.seed}"
        return f"baseline/{NAME}{seed}{size_suffix(self.train_size)}"

    @property
    def predictions(self) -> str:
        """Its test probabilities' file under ``models/``."""
        return self.name.removeprefix("baseline/").replace("/", "__") + ".npz"

    def key(self) -> dict:
        return {"name": self.name, "train_size": self.train_size, "seed": self.seed,
                "predictions": self.predictions}


def references(grid: GridParams) -> list[Reference]:
    """The whole split once; every other size once per seed (its subsets differ by seed)."""
    return [Reference(size, None if size == ALL_TRAIN else seed)
            for size in sorted(grid.train_sizes, key=size_order)
            for seed in (grid.seeds[:1] if size == ALL_TRAIN else grid.seeds)]


def fingerprint(inputs: TrainInputs, train_size: int | str = ALL_TRAIN, seed: int | None = None) -> str:
    """A reference's identity: its data, its subset and this module's code (any edit
    here refits it), like a cell's fingerprint (``embedlab.train.grid``)."""
    return digest({"baseline": NAME, "data": inputs.data_digest,
                   "subset": None if train_size == ALL_TRAIN else [train_size, seed],
                   "code": [inspect.getsource(sys.modules[__name__]),
                            inspect.getsource(labeled_subset)]})[:24]


def fit_predict(inputs: TrainInputs, ref: Reference = Reference()) -> tuple[dict, np.ndarray]:
    """(metrics, test probabilities)."""
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    frames = {k: pd.read_parquet(getattr(inputs, k), columns=["text", "label"])
              for k in ("train", "val", "test")}
    train = frames["train"].iloc[labeled_subset(frames["train"]["label"].to_numpy(), ref.train_size,
                                                ref.seed or 0)]
    t0 = time.perf_counter()
    # min_df=2 needs a word in two reviews; a 10-review subset may have almost none.
    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                          ngram_range=(1, 2), min_df=2 if len(train) >= 100 else 1, sublinear_tf=True)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(vec.fit_transform(train["text"]), train["label"])
    out = {"train_seconds": time.perf_counter() - t0, "train_examples": len(train)}
    probs = {}
    for split, prefix in (("val", "best_val_"), ("test", "test_")):
        probs[split] = clf.predict_proba(vec.transform(frames[split]["text"]))[:, 1]
        out.update(classification_metrics(frames[split]["label"].to_numpy(), probs[split], prefix))
    return out, probs["test"]


def train_baseline(ref: Reference, inputs: TrainInputs, tracking_uri: str, experiment_id: str,
                   parent_run_id: str, models_dir: str) -> dict:
    """The reference's run, reused like a cell's when data and code are unchanged."""
    path = Path(models_dir) / ref.predictions

    def reuse(run: tracking.Run) -> dict:
        run.download([ref.predictions], Path(models_dir))
        return {**ref.key(), "status": "reused", "run_id": run.id, **run.metrics}

    def work(run: tracking.Run) -> dict:
        metrics, test_prob = fit_predict(inputs, ref)
        fileio.write_npz(path, test_prob=test_prob)
        run.log_metrics(metrics)
        run.log_files([path])
        return {**ref.key(), "status": "trained", "run_id": run.id, **run.metrics}   # as a reuse reads them

    tags = {"mlflow.parentRunId": parent_run_id, tracking.KIND_TAG: "baseline",
            "train_size": str(ref.train_size)}
    return tracking.reuse_or_run(tracking_uri, experiment_id,
                                 fingerprint(inputs, ref.train_size, ref.seed),
                                 ref.name, tags, reuse, work)
