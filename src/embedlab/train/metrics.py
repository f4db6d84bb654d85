"""Classification metrics of one set of predictions (cells, baseline, report)."""

from __future__ import annotations

import numpy as np


def classification_metrics(y: np.ndarray, prob: np.ndarray, prefix: str) -> dict[str, float]:
    from sklearn import metrics as m

    prob = np.clip(prob.astype(np.float64), 1e-7, 1 - 1e-7)
    pred = (prob >= 0.5).astype(int)
    two = len(np.unique(y)) == 2
    return {
        f"{prefix}accuracy": float(m.accuracy_score(y, pred)),
        f"{prefix}balanced_accuracy": float(m.balanced_accuracy_score(y, pred)),
        f"{prefix}f1_macro": float(m.f1_score(y, pred, average="macro")),
        f"{prefix}roc_auc": float(m.roc_auc_score(y, prob)) if two else float("nan"),
        f"{prefix}pr_auc": float(m.average_precision_score(y, prob)) if two else float("nan"),
        f"{prefix}log_loss": float(m.log_loss(y, prob, labels=[0, 1])),
    }


def cell_summary(fitted, val_key: str = "best_val_", test_key: str = "test_") -> dict[str, float]:
    """The numbers a cell run records: validation (best epoch) and test metrics,
    parameter counts, epochs and speed. A cell refit on all its labels (below
    ``train.cv_below``) has no validation epochs, so no ``best_epoch``: its epoch count
    is the folds' choice, not an early stop."""
    val_loss = fitted.history.get("val_loss", [])
    return {**classification_metrics(fitted.y_val, fitted.val_prob, val_key),
            **classification_metrics(fitted.y_test, fitted.test_prob, test_key),
            **fitted.counts, "train_examples": fitted.train_examples,
            "fit_examples": fitted.fit_examples, "selection_examples": fitted.selection_examples,
            "epochs_run": fitted.epochs_run,
            **({"best_epoch": int(np.argmin(val_loss))} if val_loss else {}),
            "train_seconds": fitted.seconds,
            "examples_per_second": fitted.examples_per_second}
