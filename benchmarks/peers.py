"""Peers: what a practitioner would pick instead of an embedlab network, on the same split.

fastText supervised (word unigrams, and word bigrams) and TF-IDF 1-2-gram
logistic regression, fitted on the project's prepared train split and scored on
its test split (the very test reviews the grid's cells are scored on), beside
embedlab's own TF-IDF reference (``embedlab.train.baseline``). Writes one row per run to
benchmarks/results/peers.json (rows of other datasets are kept; ``fit_seconds``
is the wall time of fitting and scoring the test split, one core) and the test
probabilities to benchmarks/results/peers_<dataset>.npz, for paired intervals
against the networks (``embedlab.stats``).

    python -m benchmarks.peers --dataset amazon
    python -m benchmarks.peers --dataset imdb

The split: the curves' scratch project's (benchmarks/.cache/curves-<dataset>) when
it has one, else a scratch project of its own (benchmarks/.cache/peers-<dataset>)
with the same data params (``benchmarks.curves.PRESETS``), prepared by the real
prepare stage (`dvc repro prepare`). Amazon's data params are params.yaml's, so its
split is the committed run's.

fastText is a benchmark extra (``pip install -e '.[bench]'``: the ``fasttext-wheel``
package), not a pipeline dependency; without it the fastText rows are skipped with
a message. Its settings are the ones a tutorial gives for sentiment (``epoch``
10, ``lr`` 0.5, ``dim`` 100), one thread so that a seed gives the same model; every
peer sees the reviews through the project's tokenizer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, RESULTS, ROOT, save, staged_project

FASTTEXT = {"epoch": 10, "lr": 0.5, "dim": 100, "thread": 1, "seed": 1, "verbose": 0}
FASTTEXT_MISSING = ("fastText skipped: the `fasttext` module is not importable; install the "
                    "benchmark extra (pip install -e '.[bench]', package fasttext-wheel)")


def prepared_split(dataset: str) -> Path:
    """A folder holding {train,val,test}.parquet of ``dataset``'s prepared split."""
    from benchmarks.curves import PRESETS
    from embedlab.layout import Layout

    for name in (f"curves-{dataset}", f"peers-{dataset}"):
        folder = Layout(CACHE / name / "proj").split("train").parent
        if (folder / "test.parquet").exists():
            return folder
    project = staged_project(CACHE / f"peers-{dataset}" / "proj",
                             {"data": PRESETS[dataset]["overrides"].get("data", {})})
    return Layout(project).split("train").parent


def _frames(folder: Path) -> dict:
    import pandas as pd

    return {s: pd.read_parquet(folder / f"{s}.parquet", columns=["text", "label"])
            for s in ("train", "val", "test")}


def tfidf_default(frames: dict) -> np.ndarray:
    """The tutorial's model: scikit-learn's defaults, word 1-2-grams, the project's tokenizer."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from embedlab_serving.text import tokenize

    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2))
    clf = LogisticRegression(max_iter=1000).fit(vec.fit_transform(frames["train"]["text"]),
                                                frames["train"]["label"])
    return clf.predict_proba(vec.transform(frames["test"]["text"]))[:, 1]


def embedlab_reference(folder: Path) -> np.ndarray:
    """embedlab's own TF-IDF reference row, the very function the train stage runs."""
    from embedlab.train.baseline import fit_predict
    from embedlab.train.grid import TrainInputs

    inputs = TrainInputs(*(str(folder / f"{s}.parquet") for s in ("train", "val", "test")),
                         vocab=str(folder / "vocab.json"), matrices={}, data_digest="",
                         matrix_digests={})
    return fit_predict(inputs)[1]


def fasttext_peer(frames: dict, word_ngrams: int) -> np.ndarray:
    import fasttext

    from embedlab_serving.text import tokenize

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        path.write_text("".join(f"__label__{int(y)} {' '.join(tokenize(t))}\n"
                                for t, y in zip(frames["train"]["text"], frames["train"]["label"])),
                        encoding="utf-8")
        model = fasttext.train_supervised(str(path), wordNgrams=word_ngrams, **FASTTEXT)
    # The binding's own predict: fasttext-wheel 0.9.2's Python wrapper breaks on numpy 2
    # (np.array(copy=False) for one text; repeated probabilities for a list of texts).
    def positive(text: str) -> float:
        return dict((lab, p) for p, lab in model.f.predict(text + "\n", 2, 0.0, "strict")).get(
            "__label__1", 0.0)

    # fastText smooths its probabilities by 1e-5, which can pass 1.
    return np.clip([positive(" ".join(tokenize(t))) for t in frames["test"]["text"]], 0.0, 1.0)


def peers(folder: Path) -> dict:
    """name -> fit-and-predict on the split in ``folder``; fastText only when importable."""
    runs = {"tfidf_1_2gram_logreg": tfidf_default,
            "embedlab_tfidf_reference": lambda _: embedlab_reference(folder)}
    try:
        import fasttext  # noqa: F401
    except ImportError:
        print(FASTTEXT_MISSING, flush=True)
        return runs
    return {"fasttext_unigram": lambda f: fasttext_peer(f, 1),
            "fasttext_bigram": lambda f: fasttext_peer(f, 2), **runs}


def digest(prob: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(prob, np.float32).tobytes()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["amazon", "imdb"], required=True)
    args = ap.parse_args()

    folder = prepared_split(args.dataset)
    frames = _frames(folder)
    y_test = frames["test"]["label"].to_numpy()
    rows, probs = [], {}
    command = "python -m benchmarks.peers " + " ".join(sys.argv[1:])
    split = str(folder.relative_to(ROOT))
    for name, run in peers(folder).items():
        t0 = time.perf_counter()
        prob = run(frames)
        seconds = time.perf_counter() - t0
        probs[name] = prob
        rows.append({"dataset": args.dataset, "peer": name, "train_size": len(frames["train"]),
                     "test_size": len(y_test),
                     "test_accuracy": round(float(((prob >= 0.5) == y_test).mean()), 4),
                     "fit_seconds": round(seconds, 2), "test_prob_digest": digest(prob),
                     "settings": FASTTEXT if name.startswith("fasttext") else None,
                     "split": split, "command": command})
        print(json.dumps(rows[-1]), flush=True)
    if not any(r["peer"].startswith("fasttext") for r in rows):
        rows.append({"dataset": args.dataset, "peer": "fasttext", "skipped": FASTTEXT_MISSING,
                     "split": split, "command": command})
    from embedlab.fileio import atomic_path

    with atomic_path(RESULTS / f"peers_{args.dataset}.npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, y_test=y_test, **probs)
    old = RESULTS / "peers.json"
    kept = [r for r in json.loads(old.read_text())["figures"]["rows"]
            if r["dataset"] != args.dataset] if old.exists() else []
    save("peers", {"rows": kept + rows}, command)


if __name__ == "__main__":
    main()
