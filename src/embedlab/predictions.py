"""What the train stage left for the stages after it: ``reports/train.json`` and each
cell's (and each TF-IDF reference's) test probabilities, read back and checked.

Both ``evaluate`` and ``answer`` read them, so the reading lives here, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab.config import size_order
from embedlab.errors import EmbedlabError
from embedlab.layout import CELL, Layout


def sizes_of(cells: pd.DataFrame) -> list:
    """The labeled train sizes the cells ran at, smallest first (``all`` last)."""
    return sorted(cells["train_size"].unique().tolist(), key=size_order)


def still_improving(cells: pd.DataFrame) -> list[dict]:
    """Per size, the cells whose best epoch was their last: early stopping never fired,
    so each ended at its epoch cap (a tuned cell: the cap of its chosen trial), and more
    epochs (or ``train.min_steps_per_epoch``) might have helped. A cell refit on all its
    labels (below ``train.cv_below``) records no best epoch and is not counted: it ran
    the epochs its folds chose."""
    if not {"best_epoch", "epochs_run"} <= set(cells.columns):
        return []
    last = cells["best_epoch"] == cells["epochs_run"] - 1
    at = {s: cells["train_size"] == s for s in sizes_of(cells)}
    return [{"train_size": s, "cells": int((last & at[s]).sum()), "of": int(at[s].sum())} for s in at]


def load_train_report(path: Path) -> dict:
    if not Path(path).exists():
        raise EmbedlabError(f"{path}: not found. Run the train stage first: dvc repro")
    return json.loads(Path(path).read_text())


@dataclass
class CellOutputs:
    """What the train stage left per cell, keyed by (strategy, architecture, seed,
    train size); ``at(size)`` gives one size's, keyed by (strategy, architecture,
    seed) as ``stats`` and ``plots`` take them."""

    y_test: np.ndarray
    probs: dict[tuple, np.ndarray] = field(default_factory=dict)
    correct: dict[tuple, np.ndarray] = field(default_factory=dict)
    histories: dict[tuple, dict[str, list[float]]] = field(default_factory=dict)
    drift: dict[tuple, dict[str, np.ndarray]] = field(default_factory=dict)
    missing_history: list[tuple] = field(default_factory=list)

    def at(self, size) -> CellOutputs:
        def one(d: dict) -> dict:
            return {k[:3]: v for k, v in d.items() if k[3] == size}

        return CellOutputs(self.y_test, one(self.probs), one(self.correct), one(self.histories),
                           one(self.drift), [k[:3] for k in self.missing_history if k[3] == size])


def load_cell_outputs(table: pd.DataFrame, models_dir: Path) -> CellOutputs:
    """Read every cell's predictions.npz (and history.json where present).

    All cells must have been scored on the same test reviews: a mismatch means
    the models folder mixes runs of different data and is an error.
    """
    out: CellOutputs | None = None
    for row in table.itertuples(index=False):
        key = (str(row.strategy), str(row.architecture), int(row.seed), row.train_size)
        folder = Layout().cell_dir(str(row.slug), Path(models_dir))
        pred_path = folder / CELL.predictions
        if not pred_path.exists():
            raise EmbedlabError(f"{pred_path}: not found for cell {row.name}. "
                                "Run the train stage again: dvc repro train")
        with np.load(pred_path) as npz:
            y, prob = npz["y_test"].astype(int), npz["test_prob"].astype(np.float64).ravel()
            drift = {k.removeprefix("drift_"): npz[k] for k in npz.files if k.startswith("drift_")}
        if out is None:
            out = CellOutputs(y_test=y)
        elif len(y) != len(out.y_test) or not np.array_equal(y, out.y_test):
            raise EmbedlabError(f"{pred_path}: its test labels differ from the other cells' "
                                "(different data?). Re-run the grid on one prepared split: dvc repro")
        out.probs[key] = prob
        out.correct[key] = ((prob >= 0.5).astype(int) == y)
        if drift:
            out.drift[key] = drift
        hist_path = folder / CELL.history
        if hist_path.exists():
            out.histories[key] = json.loads(hist_path.read_text())
        else:
            out.missing_history.append(key)
    if out is None:
        raise EmbedlabError("reports/train.json lists no cells. Run the train stage: dvc repro train")
    return out


def load_reference_outputs(baselines: list[dict], models_dir: Path) -> dict:
    """TF-IDF test probabilities keyed by (train size, seed; None for the whole split)."""
    out = {}
    for b in baselines:
        path = Path(models_dir) / b["predictions"]
        if not path.exists():
            raise EmbedlabError(f"{path}: not found for {b['name']}. Run the train stage again: dvc repro train")
        with np.load(path) as npz:
            out[(b["train_size"], b["seed"])] = npz["test_prob"].astype(np.float64).ravel()
    return out


