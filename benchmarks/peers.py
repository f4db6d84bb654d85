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
    python -m benchmarks.peers --dataset amazon --versus .   # the project's champion against them

``averaged_vectors`` (called by ``benchmarks.curves`` at the end of a curve) is the
small-N peer: each vectors table a curve trained, averaged over each review's words,
with logistic regression whose C is chosen by cross-validation over the cells' own N
labels, on the page's rows and seeds.

``--versus PROJECT`` scores a finished project's best network chosen on validation
(its evaluate stage's choice over the cells at N = all) against the stored peers,
paired over the same test reviews (``versus``, also called by ``benchmarks.curves``),
and writes the rows under ``versus`` in peers.json. It refuses a project whose test
split is not the peers' (other labels or order).

The split: the curves' scratch project's (benchmarks/.cache/curves-<dataset>) when
it has one, else a scratch project of its own (benchmarks/.cache/peers-<dataset>)
with the same data params (``benchmarks.common.DATASET_DATA``), prepared by the real
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

from benchmarks.common import CACHE, DATASET_DATA, RESULTS, ROOT, save, staged_project

FASTTEXT = {"epoch": 10, "lr": 0.5, "dim": 100, "thread": 1, "seed": 1, "verbose": 0}
FASTTEXT_MISSING = ("fastText skipped: the `fasttext` module is not importable; install the "
                    "benchmark extra (pip install -e '.[bench]', package fasttext-wheel)")


def prepared_split(dataset: str) -> Path:
    """A folder holding {train,val,test}.parquet of ``dataset``'s prepared split."""
    from embedlab.layout import Layout

    for name in (f"curves-{dataset}", f"peers-{dataset}"):
        folder = Layout(CACHE / name / "proj").split("train").parent
        if (folder / "test.parquet").exists():
            return folder
    project = staged_project(CACHE / f"peers-{dataset}" / "proj",
                             {"data": DATASET_DATA[dataset]})
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


def averaged_vectors(project: Path, variants: list[str], sizes: list, seeds: list[int],
                     folds: int) -> list[dict]:
    """Issue 31's held-out reference on a curve's own rows, at every size: a vectors table
    the project trained (each of ``variants``), averaged over each review's words
    (``linear.masked_means``, the linear head's features), and logistic regression with
    C chosen by stratified ``folds``-fold cross-validation over the same N labels (the
    cells' subsets and folds; at `all`, the train split) from the TF-IDF reference's
    grid, refit on all N; scored on the test split. A yardstick beside the page, never a
    candidate of it: one row per (variant, size), test accuracy over the seeds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from embedlab.config import ALL_TRAIN
    from embedlab.layout import Layout
    from embedlab.splits import cv_split, labeled_subset, read_split
    from embedlab.train.baseline import C_GRID
    from embedlab.train.linear import masked_means

    lay = Layout(project)
    (x_tr, y_tr), (x_te, y_te) = read_split(lay.split("train")), read_split(lay.split("test"))
    out = []
    for variant in variants:
        table = np.load(lay.matrix(variant))
        f_tr, f_te = masked_means(x_tr, [table]), masked_means(x_te, [table])
        for size in sizes:
            accs, cs = [], []
            for seed in ([0] if size == ALL_TRAIN else seeds):
                rows = np.arange(len(y_tr)) if size == ALL_TRAIN else labeled_subset(y_tr, size, seed)
                cv = [(np.searchsorted(rows, a), np.searchsorted(rows, b)) for a, b in cv_split(y_tr, rows, folds, seed)]
                search = GridSearchCV(LogisticRegression(max_iter=5000), {"C": list(C_GRID)}, cv=cv,
                                      scoring="accuracy").fit(f_tr[rows], y_tr[rows])
                accs.append(float((search.predict(f_te) == y_te).mean()))
                cs.append(float(search.best_params_["C"]))
            out.append({"variant": variant, "train_size": size, "runs": len(accs), "C": cs,
                        "train_examples": len(y_tr) if size == ALL_TRAIN else int(size),
                        "test_accuracy": float(np.mean(accs)),
                        "test_accuracy_sd": float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0})
    return out


def digest(prob: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(prob, np.float32).tobytes()).hexdigest()[:16]


def versus(dataset: str, y_test: np.ndarray, prob: np.ndarray, network: dict) -> dict:
    """The network minus each stored peer, in test accuracy: 95 % paired bootstrap over
    the same test reviews (``embedlab.stats.paired_bootstrap``). ``prob``: one row of test
    probabilities per seed of the network (or one vector); the seeds are resampled too."""
    from embedlab.stats import paired_bootstrap

    stored = np.load(RESULTS / f"peers_{dataset}.npz")
    if not np.array_equal(stored["y_test"], np.asarray(y_test)):
        raise SystemExit(f"peers_{dataset}.npz holds another test split than the network's: "
                         f"rerun python -m benchmarks.peers --dataset {dataset} on the network's split")
    ok = ((np.atleast_2d(prob) >= 0.5) == y_test).astype(np.float64)   # (seeds, reviews)
    rows = []
    for peer in (f for f in stored.files if f != "y_test"):
        diff, lo, hi, p = paired_bootstrap(ok - ((stored[peer] >= 0.5) == y_test))
        rows.append({"peer": peer, "peer_accuracy": round(float(ok.mean() - diff), 4),
                     "diff": round(diff, 4), "ci_low": round(lo, 4), "ci_high": round(hi, 4),
                     "p_bootstrap": round(p, 4)})
    return {"dataset": dataset, "network": network, "network_accuracy": round(float(ok.mean()), 4),
            "seeds": ok.shape[0], "test_size": len(y_test), "rows": rows}


def champion(project: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    """A finished project's best network on validation at N = all (the evaluate stage's
    rule), and its test labels and probabilities."""
    from benchmarks.common import train_results
    from embedlab.config import ALL_TRAIN
    from embedlab.evaluate.stage import grid_table, select_champion
    from embedlab.layout import Layout

    layout = Layout(project)
    table = grid_table(train_results(project))
    best = select_champion(table[table["train_size"] == ALL_TRAIN])
    pred = np.load(layout.cell_dir(best["slug"]) / "predictions.npz")
    keys = ("name", "strategy", "architecture", "seed", "best_val_accuracy", "train_seconds")
    pick = {k: best.get(k) for k in keys}
    return {k: v.item() if hasattr(v, "item") else v for k, v in pick.items()}, \
        pred["y_test"], pred["test_prob"]


def save_versus(dataset: str, result: dict, command: str) -> None:
    old = json.loads((RESULTS / "peers.json").read_text())
    old["figures"].setdefault("versus", {})[dataset] = {**result, "command": command}
    save("peers", old["figures"], old["command"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["amazon", "imdb"], required=True)
    ap.add_argument("--versus", type=Path, help="a finished project: score its champion against the "
                    "stored peers instead of fitting them")
    args = ap.parse_args()
    if args.versus:
        network, y_test, prob = champion(args.versus.resolve())
        command = "python -m benchmarks.peers " + " ".join(sys.argv[1:])
        return save_versus(args.dataset, versus(args.dataset, y_test, prob, network), command)

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
    old = json.loads((RESULTS / "peers.json").read_text())["figures"] if (RESULTS / "peers.json").exists() else {}
    kept = [r for r in old.get("rows", []) if r["dataset"] != args.dataset]
    # A refit changes the peers: scores against them from before no longer hold.
    stale = {k: v for k, v in old.get("versus", {}).items() if k != args.dataset}
    save("peers", {"rows": kept + rows, "versus": stale}, command)


if __name__ == "__main__":
    main()
