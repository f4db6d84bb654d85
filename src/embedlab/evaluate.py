"""Stage ``evaluate``: the comparison table, DVC metrics, plots and the report.

The champion is chosen on the validation split (choosing on test would make the
test score optimistic) and reported on the test split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import fileio
from embedlab.embeddings import variants_markdown
from embedlab.errors import EmbedlabError

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


def metrics_json(table: pd.DataFrame, champion: pd.Series, baseline: dict | None,
                 comparisons=(), behaviour: dict | None = None) -> dict:
    """DVC metrics: numeric leaves only, so `dvc metrics diff` and `dvc exp show`
    can compare every number (the champion's cell name is in report.md)."""
    summary = strategy_summary(table)
    out: dict = {"champion": {"seed": int(champion["seed"]),
                              **{m: round(float(champion[m]), 5) for m in TEST_METRICS}},
                 "strategies": {}}
    for strategy, row in summary.iterrows():
        entry = {}
        for m in ("test_accuracy", "test_f1_macro", "test_roc_auc", "test_log_loss"):
            entry[f"{m}_mean"] = round(float(row[f"{m}_mean"]), 5)
            entry[f"{m}_std"] = round(float(np.nan_to_num(row[f"{m}_std"])), 5)
        entry["runs"] = int(row["test_accuracy_count"])
        out["strategies"][strategy] = entry
    if baseline:
        out["baseline_tfidf_logreg"] = {m: round(float(baseline[m]), 5) for m in TEST_METRICS if m in baseline}
    if comparisons:
        out["comparisons"] = {c.name: c.as_metrics() for c in comparisons}
    if behaviour:
        out["behaviour"] = dict(behaviour)
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
    with fileio.atomic_path(path) as tmp:
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


PLOTS = {
    "accuracy": ("accuracy.png", "test accuracy by strategy (mean ± std over seeds and architectures)"),
    "heatmap": ("heatmap.png", "strategy × architecture"),
    "seed_bars": ("seed_bars.png", "spread across seeds"),
    "learning_curves": ("learning_curves.png", "learning curves"),
    "drift": ("drift.png", "embedding drift"),
}


def conclusions(table: pd.DataFrame, baseline: dict | None, comparisons=(), n_test: int | None = None) -> list[str]:
    """Sentences generated from the numbers, never written by hand."""
    summary = strategy_summary(table)
    lines = []
    best, worst = summary.index[0], summary.index[-1]
    b = summary.loc[best]
    if len(summary) > 1 and summary["test_accuracy_mean"].nunique() == 1:
        lines.append(f"- Every strategy has the same mean test accuracy, {b['test_accuracy_mean']:.3f}: "
                     "the grid does not separate them (too little data or too few epochs?).")
    lines.append(f"- Highest mean test accuracy: `{best}` {b['test_accuracy_mean']:.3f} "
                 f"± {np.nan_to_num(b['test_accuracy_std']):.3f} over {int(b['test_accuracy_count'])} "
                 f"run{'s' if b['test_accuracy_count'] != 1 else ''}; lowest: `{worst}` "
                 f"{summary.loc[worst, 'test_accuracy_mean']:.3f}.")
    if n_test:
        lines.append(f"- One test review is {1 / n_test:.3f} of accuracy ({n_test} test reviews): "
                     "rank differences smaller than the intervals below are not evidence.")
    if baseline and "test_accuracy" in baseline:
        beat = summary.index[summary["test_accuracy_mean"] > baseline["test_accuracy"]].tolist()
        lines.append(f"- TF-IDF + logistic regression scores {baseline['test_accuracy']:.3f}; "
                     + (f"strategies above it on average: {', '.join(f'`{x}`' for x in beat)}."
                        if beat else "no embedding strategy beats it on average."))
    for c in comparisons:
        lines.append(f"- {c.sentence()}")
    return lines


def comparison_table(comparisons) -> str:
    lines = ["| comparison | accuracy A | accuracy B | A − B | 95% CI | bootstrap p | McNemar p | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for c in comparisons:
        lines.append(f"| `{c.a}` vs `{c.b}` | {c.accuracy_a:.3f} | {c.accuracy_b:.3f} | {c.diff:+.3f} | "
                     f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}] | {c.p_bootstrap:.3f} | {c.mcnemar_p:.3g} | "
                     f"{c.verdict} |")
    return "\n".join(lines)


METHOD = (
    "Method: all cells are scored on the same test reviews, so each comparison is paired. "
    "Cells of the two strategies are paired by (architecture, seed); the difference of mean "
    "accuracy gets a 95% hierarchical bootstrap interval (4,000 draws resampling the pairs and "
    "the test reviews), so both seed/architecture noise and test-set noise are in it. A "
    "difference whose interval contains 0 is reported as within noise. McNemar's exact test on "
    "each strategy's averaged-probability predictions is given as a second opinion "
    "(see `src/embedlab/stats.py`).")


def write_report(path: Path, table: pd.DataFrame, champion: pd.Series, baseline: dict | None,
                 decision: dict, data_report: dict | None, comparisons=(), skipped=(),
                 n_test: int | None = None, embeddings_report: dict | None = None) -> str:
    cell = f"{champion['strategy']}/{champion['architecture']}/seed{champion['seed']}"
    parts = ["# embedlab report", ""]
    if data_report:
        parts += [f"Data: `{data_report.get('source')}`: {data_report['train']['reviews']} train / "
                  f"{data_report['val']['reviews']} val / {data_report['test']['reviews']} test reviews; "
                  f"test majority class {max(data_report['test']['positive'], data_report['test']['negative']) / data_report['test']['reviews']:.1%}.", ""]
    parts += ["## Test accuracy by embedding strategy", "", markdown_table(table, baseline), "",
              "## Conclusions", "", *conclusions(table, baseline, comparisons, n_test), ""]
    if comparisons or skipped:
        parts += ["## Is the difference real?", ""]
        if comparisons:
            parts += [comparison_table(comparisons), ""]
        parts += [f"- {s}" for s in skipped]
        parts += ["", METHOD, ""]
    if {"architecture", "test_accuracy"} <= set(table.columns):
        pivot = table.pivot_table(index="strategy", columns="architecture", values="test_accuracy",
                                  aggfunc="mean")
        parts += ["## Strategy × architecture (test accuracy, mean over seeds)", "",
                  pivot.to_markdown(floatfmt=".3f"), "",
                  f"![heatmap](plots/{PLOTS['heatmap'][0]})", ""]
    if embeddings_report and embeddings_report.get("variants"):
        parts += ["## Embedding variants: the text each one saw", "",
                  "A `w2v_*` strategy's table starts from one of these (`@variant`; a bare name "
                  "uses `grid.variant`). Coverage: share of vocabulary words, and of test tokens "
                  "as the classifier sees them, that have a vector (`reports/embeddings.json`).", "",
                  variants_markdown(embeddings_report), ""]
    parts += ["## Champion and registry", "",
              f"Best cell on validation: **{cell}** (test accuracy {champion['test_accuracy']:.3f}, "
              f"ROC AUC {champion['test_roc_auc']:.3f}).", "",
              decision.get("message", ""), ""]
    if decision.get("behaviour_markdown"):
        parts += ["Behaviour checks on the challenger (minimum functionality, negation direction, "
                  "invariance to the product name; `src/embedlab/behaviour.py`):", "",
                  decision["behaviour_markdown"], ""]
    parts += ["## Plots", ""]
    parts += [f"![{title}](plots/{fname})" for key, (fname, title) in PLOTS.items() if key != "heatmap"]
    parts += ["", "## Every cell", "",
              table[["strategy", "architecture", "seed", "best_val_accuracy", "test_accuracy",
                     "test_f1_macro", "test_roc_auc", "epochs_run", "train_seconds"]]
              .to_markdown(index=False, floatfmt=".3f"), ""]
    text = "\n".join(parts)
    fileio.write_text(path, text)
    return text


def load_train_report(path: Path = REPORTS / "train.json") -> dict:
    return json.loads(Path(path).read_text())


def cell_slug(strategy: str, architecture: str, seed: int) -> str:
    return f"{strategy}/{architecture}/seed{seed}".replace("/", "__").replace("@", "-")


@dataclass
class CellOutputs:
    """What the train stage left per cell, keyed by (strategy, architecture, seed)."""

    y_test: np.ndarray
    probs: dict[tuple[str, str, int], np.ndarray] = field(default_factory=dict)
    correct: dict[tuple[str, str, int], np.ndarray] = field(default_factory=dict)
    histories: dict[tuple[str, str, int], dict[str, list[float]]] = field(default_factory=dict)
    drift: dict[tuple[str, str, int], dict[str, np.ndarray]] = field(default_factory=dict)
    missing_history: list[tuple[str, str, int]] = field(default_factory=list)


def load_cell_outputs(table: pd.DataFrame, models_dir: Path = Path("models")) -> CellOutputs:
    """Read every cell's predictions.npz (and history.json where present).

    All cells must have been scored on the same test reviews: a mismatch means
    the models folder mixes runs of different data and is an error.
    """
    out: CellOutputs | None = None
    for row in table.itertuples(index=False):
        key = (str(row.strategy), str(row.architecture), int(row.seed))
        folder = Path(models_dir) / cell_slug(*key)
        pred_path = folder / "predictions.npz"
        if not pred_path.exists():
            raise EmbedlabError(f"{pred_path}: not found for cell {'/'.join(map(str, key))}. "
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
        hist_path = folder / "history.json"
        if hist_path.exists():
            out.histories[key] = json.loads(hist_path.read_text())
        else:
            out.missing_history.append(key)
    if out is None:
        raise EmbedlabError("reports/train.json lists no cells. Run the train stage: dvc repro train")
    return out


def history_from_mlflow(client, run_id: str) -> dict[str, list[float]]:
    """Per-epoch curves from the cell's MLflow run (cells reused from an earlier
    run may have no history.json beside them)."""
    hist = {}
    for ours, logged in (("loss", "train_loss"), ("accuracy", "train_accuracy"),
                         ("val_loss", "val_loss"), ("val_accuracy", "val_accuracy")):
        points = sorted(client.get_metric_history(run_id, logged), key=lambda m: (m.step, m.timestamp))
        by_step = {m.step: m.value for m in points}
        if by_step:
            hist[ours] = [by_step[k] for k in sorted(by_step)]
    return hist


def flatten_metrics(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Nested numeric leaves as MLflow metric names (``strategies/learned/test_accuracy_mean``)."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        key = f"{prefix}{str(k).replace('@', '-')}"
        if isinstance(v, dict):
            out.update(flatten_metrics(v, key + "/"))
        elif isinstance(v, (bool, int, float)) and v == v:
            out[key] = float(v)
    return out
