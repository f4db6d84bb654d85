"""Stage ``evaluate``: the comparison table, DVC metrics, plots and the report.

The champion is chosen on the validation split (choosing on test would make the
test score optimistic) and reported on the test split.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import io

REPORTS = Path("reports")
TEST_METRICS = ("test_accuracy", "test_balanced_accuracy", "test_f1_macro", "test_roc_auc",
                "test_pr_auc", "test_log_loss")


def grid_table(train_report: dict) -> pd.DataFrame:
    rows = []
    for r in train_report["cells"]:
        label, arch, seed = r["cell"].split("/")
        rows.append({"strategy": label, "architecture": arch, "seed": int(seed.removeprefix("seed")),
                     **{k: v for k, v in r.items() if k not in {"cell"}}})
    table = pd.DataFrame(rows)
    return table.sort_values(["strategy", "architecture", "seed"]).reset_index(drop=True)


def select_champion(table: pd.DataFrame, metric: str = "val_accuracy") -> pd.Series:
    """Best cell on validation; ties broken by validation AUC, then lower val loss."""
    col = f"best_{metric}"
    ranked = table.sort_values([col, "best_val_roc_auc", "best_val_log_loss"],
                               ascending=[False, False, True], kind="mergesort")
    return ranked.iloc[0]


def strategy_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds and architectures of each strategy's test metrics."""
    agg = table.groupby("strategy")[list(TEST_METRICS)].agg(["mean", "std", "count"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg.sort_values("test_accuracy_mean", ascending=False)


def metrics_json(table: pd.DataFrame, champion: pd.Series, baseline: dict | None) -> dict:
    summary = strategy_summary(table)
    out: dict = {"champion": {"cell": f"{champion['strategy']}/{champion['architecture']}/seed{champion['seed']}",
                              **{m: round(float(champion[m]), 5) for m in TEST_METRICS}},
                 "strategies": {}}
    for strategy, row in summary.iterrows():
        out["strategies"][strategy] = {
            "test_accuracy_mean": round(float(row["test_accuracy_mean"]), 5),
            "test_accuracy_std": round(float(np.nan_to_num(row["test_accuracy_std"])), 5),
            "test_f1_macro_mean": round(float(row["test_f1_macro_mean"]), 5),
            "test_roc_auc_mean": round(float(row["test_roc_auc_mean"]), 5),
            "runs": int(row["test_accuracy_count"]),
        }
    if baseline:
        out["baseline_tfidf_logreg"] = {m: round(float(baseline[m]), 5) for m in TEST_METRICS if m in baseline}
    return out


def plot_accuracy(table: pd.DataFrame, baseline: dict | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = strategy_summary(table).sort_values("test_accuracy_mean")
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(summary) + 1.8))
    ax.barh(summary.index, summary["test_accuracy_mean"],
            xerr=np.nan_to_num(summary["test_accuracy_std"]), color="#4C72B0", capsize=4)
    for y, v in enumerate(summary["test_accuracy_mean"]):
        ax.text(v + 0.003, y, f"{v:.3f}", va="center", fontsize=9)
    if baseline and "test_accuracy" in baseline:
        ax.axvline(baseline["test_accuracy"], color="#C44E52", ls="--",
                   label=f"TF-IDF + logistic regression {baseline['test_accuracy']:.3f}")
    lo = min(summary["test_accuracy_mean"].min(), baseline.get("test_accuracy", 1) if baseline else 1)
    ax.set_xlim(max(0.0, lo - 0.1), 1.0)
    ax.set_xlabel("test accuracy (mean ± std over seeds and architectures)")
    ax.set_title("Embedding strategy vs test accuracy")
    if baseline:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def markdown_table(table: pd.DataFrame, baseline: dict | None) -> str:
    summary = strategy_summary(table)
    lines = ["| strategy | test accuracy | macro F1 | ROC AUC | runs |", "|---|---|---|---|---|"]
    for s, r in summary.iterrows():
        lines.append(f"| {s} | {r['test_accuracy_mean']:.3f} ± {np.nan_to_num(r['test_accuracy_std']):.3f} | "
                     f"{r['test_f1_macro_mean']:.3f} | {r['test_roc_auc_mean']:.3f} | {int(r['test_accuracy_count'])} |")
    if baseline:
        lines.append(f"| TF-IDF + logistic regression (reference) | {baseline['test_accuracy']:.3f} | "
                     f"{baseline['test_f1_macro']:.3f} | {baseline['test_roc_auc']:.3f} | 1 |")
    return "\n".join(lines)


def write_report(path: Path, table: pd.DataFrame, champion: pd.Series, baseline: dict | None,
                 decision: dict, data_report: dict | None) -> str:
    cell = f"{champion['strategy']}/{champion['architecture']}/seed{champion['seed']}"
    parts = ["# embedlab report", ""]
    if data_report:
        parts += [f"Data: `{data_report.get('source')}`: {data_report['train']['reviews']} train / "
                  f"{data_report['val']['reviews']} val / {data_report['test']['reviews']} test reviews; "
                  f"test majority class {max(data_report['test']['positive'], data_report['test']['negative']) / data_report['test']['reviews']:.1%}.", ""]
    parts += ["## Test accuracy by embedding strategy", "", markdown_table(table, baseline), "",
              f"Best cell on validation: **{cell}** (test accuracy {champion['test_accuracy']:.3f}, "
              f"ROC AUC {champion['test_roc_auc']:.3f}).", "",
              "## Registry", "", decision.get("message", ""), "",
              "![accuracy by strategy](plots/accuracy.png)", "",
              "## Every cell", "",
              table[["strategy", "architecture", "seed", "best_val_accuracy", "test_accuracy",
                     "test_f1_macro", "test_roc_auc", "epochs_run", "train_seconds"]]
              .to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table.to_string(), ""]
    text = "\n".join(parts)
    io.write_text(path, text)
    return text


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


def load_train_report(path: Path = REPORTS / "train.json") -> dict:
    return json.loads(Path(path).read_text())
