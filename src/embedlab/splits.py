"""The prepared splits and vocabulary: the contract between the prepare stage,
which writes them, and every stage that reads them.

A split is a Parquet table: ``text`` (the raw review), ``label`` (int8, 1 =
positive), ``n_tokens`` (before truncation) and ``ids`` (int32, a fixed-size list
of ``max_len`` token ids padded with 0 at the end). ``vocab.json`` holds the
tokens (id = position), ``max_len``, ``truncate`` and the tokenizer version.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from embedlab.config import ALL_TRAIN


def split_schema(max_len: int) -> pa.Schema:
    return pa.schema([("text", pa.string()), ("label", pa.int8()), ("n_tokens", pa.int32()),
                      ("ids", pa.list_(pa.int32(), max_len))])


def read_split(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """(ids int32 (n, max_len), labels int8 (n,)) of a prepared split."""
    table = pq.read_table(path, columns=["ids", "label"])
    ids_col = table.column("ids").combine_chunks()
    width = ids_col.type.list_size
    ids = ids_col.values.to_numpy(zero_copy_only=False).astype(np.int32).reshape(-1, width)
    return ids, table.column("label").to_numpy().astype(np.int8)


def read_vocab(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def labeled_subset(labels: np.ndarray, size: int | str, seed: int) -> np.ndarray:
    """Row indices (ascending) of the ``size`` labeled reviews a cell is fitted on.

    Stratified: each class gets its share of ``size`` (rounded; at least one review
    each). Nested: for one seed, the reviews of a smaller size are among those of
    every larger size, because each class is drawn as a prefix of one fixed
    permutation (seeded by ``seed``) and a class's share never shrinks as ``size``
    grows. ``"all"`` (or a size of at least the split) is every row.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if size == ALL_TRAIN or int(size) >= n:
        return np.arange(n)
    size = int(size)
    classes, counts = np.unique(labels, return_counts=True)
    if size < len(classes):
        raise ValueError(f"a stratified subset of {size} review(s) cannot hold {len(classes)} classes")
    # Largest-remainder shares would not be nested; rounding each class's exact share is.
    # The last class takes the rest, so the shares add up to size.
    take = [max(1, min(int(np.floor(size * c / n + 0.5)), size - (len(classes) - 1)))
            for c in counts[:-1]]
    take.append(size - sum(take))
    rng = np.random.default_rng([seed, 0x5EED])
    chosen = [rng.permutation(np.flatnonzero(labels == cls))[:k] for cls, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def holdout_split(labels: np.ndarray, rows: np.ndarray, holdout: float, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` (a cell's labeled reviews) split into (fit rows, selection rows), each
    ascending: a stratified ``holdout`` share selects, the same rows for the same
    seed. The selection rows are what a cell below the whole split early-stops and is
    tuned on, so that it uses no label beyond its ``rows``."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    fit, selection = train_test_split(rows, test_size=holdout, random_state=seed,
                                      stratify=labels[rows])
    return np.sort(fit), np.sort(selection)


def cv_split(labels: np.ndarray, rows: np.ndarray, folds: int, seed: int
             ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``rows`` (a cell's labeled reviews) as ``folds`` stratified (fit rows, held rows)
    pairs, each ascending; every row is held out exactly once, the same folds for the
    same seed. A cell below ``train.cv_below`` and its TF-IDF reference are selected on
    these folds, so both are scored on the same reviews and no label beyond ``rows``."""
    from sklearn.model_selection import StratifiedKFold

    rows = np.asarray(rows)
    kfold = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(np.sort(rows[f]), np.sort(rows[h]))
            for f, h in kfold.split(np.zeros(len(rows)), np.asarray(labels)[rows])]
