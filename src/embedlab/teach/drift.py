"""How far fine-tuning moved each row of a vectors-initialised table, and why.

Reads the committed default run's outputs (reports/train.json, each cell's
predictions.npz `drift_*` arrays and model, the prepared split and vocabulary):
drift by word frequency (what the classifier saw after truncation), words never
seen, antonym cosines and nearest neighbours before and after fine-tuning.
docgen/blocks/embedding_math.py writes these numbers into docs/embedding-math.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import EmbedlabError
from embedlab.layout import CELL, Layout

NEIGHBOUR_WORDS = 5   # the first probe words (params.yaml: embeddings.probes) shown with neighbours
RANK_BINS = ((2, 11), (12, 101), (102, 1001), (1002, 10**9))  # vocabulary ids: frequency ranks


def _cos(a, b) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na and nb else float("nan")


def _neighbours(table: np.ndarray, tokens: list[str], word: str, k: int = 5) -> list[str]:
    i = tokens.index(word)
    norms = np.linalg.norm(table, axis=1)
    norms[norms == 0] = np.inf
    sims = table @ table[i] / (norms * norms[i])
    sims[[0, 1, i]] = -np.inf                      # not padding, not OOV, not itself
    return [tokens[j] for j in np.argsort(-sims, kind="stable")[:k]]


def _drifts(npz: Path) -> dict[str, np.ndarray]:
    if not npz.exists():
        return {}
    with np.load(npz) as d:
        return {k.removeprefix("drift_"): np.array(d[k]) for k in d.files if k.startswith("drift_")}


def _corpus_counts(corpus: Path) -> Counter:
    counts: Counter = Counter()
    if corpus.exists():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            counts.update(line.split())
    return counts


def _rank_bins(words: np.ndarray, seen: np.ndarray, d: np.ndarray, V: int) -> list[dict]:
    bins = []
    for lo, hi in RANK_BINS:
        sel = words[(words >= lo) & (words <= min(hi, V - 1))]
        sel = sel[seen[sel] > 0]
        if len(sel):
            bins.append({"ids": f"{lo}–{min(hi, V - 1)}", "words": int(len(sel)),
                         "median_count": float(np.median(seen[sel])),
                         "mean_drift": float(d[sel].mean()), "median_drift": float(np.median(d[sel])),
                         "moved": float((d[sel] > 0).mean())})
    return bins


def _table_entry(name: str, table: str, drift: np.ndarray, seen: np.ndarray, tokens: list[str],
                 corpus_counts: Counter) -> dict[str, Any]:
    """How far each row of one fine-tuned table moved, against how often it was seen."""
    from scipy.stats import spearmanr

    V = len(tokens)
    d = np.zeros(V)
    d[1:] = drift                                       # stored for rows 1..V-1
    words = np.arange(2, V)                            # real words (not pad, not OOV)
    unseen, seen_w = words[seen[words] == 0], words[seen[words] > 0]
    return {"cell": name, "table": table, "bins": _rank_bins(words, seen, d, V),
            "spearman": float(spearmanr(seen[seen_w], d[seen_w]).statistic),
            "unseen_words": int(len(unseen)),
            "unseen_max_drift": float(d[unseen].max()) if len(unseen) else 0.0,
            "unseen_examples": [tokens[i] for i in unseen[:8]],
            "unseen_corpus_counts": [int(corpus_counts.get(tokens[i], 0)) for i in unseen[:8]],
            "seen_not_moved": int((d[seen_w] == 0).sum()), "seen_words": int(len(seen_w)),
            "oov_drift": float(d[1]), "oov_seen": int(seen[1]),
            "top_drift": [(tokens[i], float(d[i]), int(seen[i])) for i in np.argsort(-d)[:8]],
            "mean_drift": float(d[seen_w].mean())}


def grid_analysis(root: Path) -> dict[str, Any] | None:
    """Drift and geometry of every vectors-initialised table the grid fine-tuned
    (the cells of reports/train.json with drift arrays). None if there are none."""
    from embedlab.splits import read_split, read_vocab

    layout = Layout(root)
    if not layout.vocab.exists() or not layout.train_report.exists():
        return None
    train = json.loads(layout.train_report.read_text())["cells"]
    cells = [(c, d) for c in train if (d := _drifts(layout.cell_dir(c["slug"]) / CELL.predictions))]
    if not cells:
        return None
    tokens = read_vocab(layout.vocab)["tokens"]
    ids, _ = read_split(layout.split("train"))
    # What the classifier actually sees: ids after truncation to max_len.
    seen = np.bincount(ids.ravel(), minlength=len(tokens))
    corpus_counts, probes = _corpus_counts(layout.corpus), _probes(root)
    out = {"vocab_size": len(tokens), "train_reviews": int(ids.shape[0]), "max_len": int(ids.shape[1]),
           "cells": []}
    for c, drifts in cells:
        for table_name, drift in drifts.items():
            entry = _table_entry(c["name"], table_name, drift, seen, tokens, corpus_counts)
            entry.update(_geometry(layout, c, table_name, tokens, probes))
            entry["test_accuracy"] = c.get("test_accuracy")
            out["cells"].append(entry)
    out["accuracy"] = [(c["name"], c.get("test_accuracy"), c.get("best_val_accuracy"))
                       for c in train if c.get("test_accuracy") is not None]
    return out


def _probes(root: Path):
    """The one probe list: params.yaml's embeddings.probes (defaults if unreadable)."""
    from embedlab.config import ProbeParams, load_train

    try:
        return load_train(root / "params.yaml").probes
    except EmbedlabError:
        return ProbeParams()


def _geometry(layout: Layout, cell: dict, table_name: str, tokens: list[str], probes) -> dict[str, Any]:
    """Antonym cosines and neighbours in the vectors' start and the fine-tuned table."""
    import keras

    start_path = layout.matrix(cell["variant"]) if cell.get("variant") else None
    model_path = layout.cell_dir(cell["slug"]) / CELL.model
    if start_path is None or not start_path.exists() or not model_path.exists():
        return {}
    start = np.load(start_path)
    model = keras.saving.load_model(model_path, compile=False)
    end = np.array(model.get_layer(table_name).get_weights()[0])
    pairs = [(a, b, _cos(start[tokens.index(a)], start[tokens.index(b)]),
              _cos(end[tokens.index(a)], end[tokens.index(b)]))
             for a, b in probes.antonyms if a in tokens and b in tokens]
    neigh = [(w, _neighbours(start, tokens, w), _neighbours(end, tokens, w))
             for w in probes.words[:NEIGHBOUR_WORDS] if w in tokens]
    return {"variant": cell["variant"], "antonyms": pairs, "neighbours": neigh}
