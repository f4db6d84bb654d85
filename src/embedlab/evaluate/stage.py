"""Stage ``evaluate``: the comparison table, DVC metrics, plots and the report.

The champion is chosen on the validation split (choosing on test would make the
test score optimistic) and reported on the test split. A grid over several labeled
train sizes (``grid.train_sizes``) is reported at its largest size, plus the curve
over sizes (``embedlab.evaluate.curve``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import fileio, plots, tracking
from embedlab.config import headline_size, size_order
from embedlab.errors import EmbedlabError
from embedlab.evaluate import curve, registry
from embedlab.stats import key_comparisons
from embedlab.layout import EVALUATE_PLOTS as PLOTS
from embedlab.layout import CELL, Layout
from embedlab.predictions import load_cell_outputs, load_reference_outputs, load_train_report

TEST_METRICS = ("test_accuracy", "test_balanced_accuracy", "test_f1_macro", "test_roc_auc",
                "test_pr_auc", "test_log_loss")


def grid_table(train_report: dict) -> pd.DataFrame:
    """One row per cell, from the structured keys of reports/train.json."""
    table = pd.DataFrame(train_report["cells"])
    table["_order"] = table["train_size"].map(size_order)
    return (table.sort_values(["strategy", "architecture", "seed", "_order"])
            .drop(columns="_order").reset_index(drop=True))


def reference_at(baselines: list[dict], size) -> dict | None:
    """The TF-IDF reference at one train size (mean over the seeds' subsets)."""
    rows = [b for b in baselines if b["train_size"] == size]
    if not rows:
        return None
    return {m: float(np.mean([r[m] for r in rows])) for m in rows[0] if m in TEST_METRICS}


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


def probes_markdown(probe_results: Mapping[str, dict], max_words: int = 8, shown: int = 5) -> str:
    """A short Markdown summary of ``reports/embeddings_probes.json`` for the report:
    one antonym table and one nearest-neighbour table, a column per variant."""
    if not probe_results:
        return ""
    names = list(probe_results)
    out = ["| antonyms | " + " | ".join(f"cos ({n})" for n in names) + " |",
           "|---|" + "---:|" * len(names)]
    pairs = [(a["a"], a["b"]) for a in next(iter(probe_results.values()))["antonyms"]]
    for k, (a, b) in enumerate(pairs):
        cells = []
        for n in names:
            item = probe_results[n]["antonyms"][k] if k < len(probe_results[n]["antonyms"]) else {}
            cells.append("–" if item.get("cosine") is None else f"{item['cosine']:.3f}")
        out.append(f"| {a} / {b} | " + " | ".join(cells) + " |")
    out += ["", "| word | " + " | ".join(f"nearest ({n})" for n in names) + " |",
            "|---|" + "---|" * len(names)]
    words = list(next(iter(probe_results.values()))["neighbours"])[:max_words]
    for w in words:
        cells = []
        for n in names:
            items = probe_results[n]["neighbours"].get(w)
            cells.append("not in vocabulary" if not items else ", ".join(x[0] for x in items[:shown]))
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def variants_markdown(report: Mapping) -> str:
    """The variants of ``reports/embeddings.json`` as a Markdown table: which text
    each saw, its width, and how much of the data it covers."""
    variants = report.get("variants") or {}
    if not variants:
        return ""
    out = ["| variant | vectors trained on | dims | vocabulary covered | test tokens covered |",
           "|---|---|---:|---:|---:|"]
    for name, m in variants.items():
        test = m.get("token_coverage", {}).get("test")
        out.append(f"| {name} | {m.get('text_seen', m.get('source', '?'))} | {m.get('vector_size')} | "
                   f"{m.get('type_coverage', 0):.1%} | {'–' if test is None else f'{test:.1%}'} |")
    return "\n".join(out) + "\n"


def _data_line(d: dict) -> list[str]:
    test = d["test"]
    return [f"Data: `{d.get('source')}`: {d['train']['reviews']} train / {d['val']['reviews']} val / "
            f"{test['reviews']} test reviews; test majority class "
            f"{max(test['positive'], test['negative']) / test['reviews']:.1%}.", ""]


def _comparisons_section(comparisons, skipped) -> list[str]:
    if not (comparisons or skipped):
        return []
    parts = ["## Is the difference real?", ""]
    if comparisons:
        parts += [comparison_table(comparisons), ""]
    return parts + [f"- {s}" for s in skipped] + ["", METHOD, ""]


def reference_note(champion_correct: np.ndarray, reference_correct: np.ndarray,
                   n_boot: int = 4000) -> str:
    """A sentence when the TF-IDF reference beats the champion on the same test
    reviews (higher test accuracy), with the paired bootstrap interval of the
    difference; empty otherwise. The registered version's description and the
    report carry it, so a user pulling the champion knows."""
    from embedlab.stats import paired_bootstrap

    champ, ref = (np.asarray(c, dtype=np.float64) for c in (champion_correct, reference_correct))
    if ref.mean() <= champ.mean():
        return ""
    diff, lo, hi, _ = paired_bootstrap(ref - champ, n_boot=n_boot)
    noise = ("within noise: this test set cannot tell them apart" if lo <= 0 else
             "the interval excludes 0: on this data the linear model is the better classifier")
    return (f"The TF-IDF + logistic regression reference beats this model on the same {len(ref)} "
            f"test reviews: accuracy {ref.mean():.4f} vs {champ.mean():.4f}, difference "
            f"{diff:+.4f} (95% paired bootstrap CI [{lo:+.4f}, {hi:+.4f}]; {noise}).")


def _champion_section(champion: pd.Series, decision: dict) -> list[str]:
    parts = ["## Champion and registry", "",
             f"Best cell on validation: **{champion['name']}** (test accuracy {champion['test_accuracy']:.3f}, "
             f"ROC AUC {champion['test_roc_auc']:.3f}).", "", decision.get("message", ""), ""]
    if decision.get("reference_note"):
        parts += [f"**Not the best classifier here:** {decision['reference_note']}", ""]
    if decision.get("behaviour_markdown"):
        parts += ["Behaviour checks on the challenger (minimum functionality, negation direction, "
                  "invariance to the product name; `src/embedlab/evaluate/behaviour.py`):", "",
                  decision["behaviour_markdown"], ""]
    return parts


def _variants_section(embeddings: dict | None) -> list[str]:
    if not embeddings or not embeddings.get("variants"):
        return []
    return ["## Embedding variants: the text each one saw", "",
            "A `w2v_*` strategy's table starts from one of these (`@variant`; a bare name uses "
            "`grid.variant`). Coverage: share of vocabulary words, and of test tokens as the "
            "classifier sees them, that have a vector (`reports/embeddings.json`).", "",
            variants_markdown(embeddings), ""]


def _probes_section(probes: dict | None) -> list[str]:
    if not probes:
        return []
    return ["## What the vectors put together", "",
            "Antonym cosines and nearest neighbours of the probe words "
            "(`params.yaml: embeddings.probes`) in each vectors variant, before any training "
            "(`reports/embeddings_probes.json`):", "", probes_markdown(probes), ""]


def _size_note(curve_data: dict | None) -> list[str]:
    if not curve_data or len(curve_data["sizes"]) < 2:
        return []
    return [f"Tables up to *Accuracy vs labeled train size* are at the grid's largest train size, "
            f"{curve.size_label(curve_data['sizes'][-1], curve_data['train_examples'][-1])} labeled reviews.", ""]


def write_report(path: Path, table: pd.DataFrame, champion: pd.Series, baseline: dict | None,
                 decision: dict, data_report: dict | None, comparisons=(), skipped=(),
                 n_test: int | None = None, probes: dict | None = None,
                 embeddings: dict | None = None, cells: pd.DataFrame | None = None,
                 curve_data: dict | None = None) -> str:
    """``table``: the cells at the largest train size; ``cells``: every cell (default: table)."""
    cells = table if cells is None else cells
    pivot = table.pivot_table(index="strategy", columns="architecture", values="test_accuracy",
                              aggfunc="mean")
    parts = ["# embedlab report", "", *(_data_line(data_report) if data_report else []),
             *_size_note(curve_data),
             "## Test accuracy by embedding strategy", "", markdown_table(table, baseline), "",
             "## Conclusions", "", *conclusions(table, baseline, comparisons, n_test), "",
             *_comparisons_section(comparisons, skipped),
             "## Strategy × architecture (test accuracy, mean over seeds)", "",
             pivot.to_markdown(floatfmt=".3f"), "", f"![heatmap](plots/{PLOTS['heatmap'][0]})", "",
             *curve.markdown(curve_data or {"sizes": []}, f"plots/{PLOTS['size_curve'][0]}"),
             *_champion_section(champion, decision), *_variants_section(embeddings),
             *_probes_section(probes), "## Plots", "",
             *[f"![{title}](plots/{fname})" for key, (fname, title) in PLOTS.items()
               if key not in ("heatmap", "size_curve")],
             "", "## Every cell", "",
             cells[["strategy", "architecture", "seed", "train_size", "best_val_accuracy", "test_accuracy",
                    "test_f1_macro", "test_roc_auc", "epochs_run"]]
             .to_markdown(index=False, floatfmt=".3f"), ""]
    text = "\n".join(parts)
    fileio.write_text(path, text)
    return text


def load_train_runs(path: Path) -> dict:
    """The last train stage's MLflow runs (``embedlab.train.stage.write_report``)."""
    if not Path(path).exists():
        raise EmbedlabError(f"{path}: not found: the train stage writes it with the MLflow runs "
                            "of its cells. Run that stage again: dvc repro --force train")
    return json.loads(Path(path).read_text())


def analyse(layout: Layout = Layout()) -> dict:
    """Table, statistics and plots from reports/train.json and models/.

    ``table`` is the cells at the grid's largest train size (the report's tables,
    comparisons and champion); ``cells`` is every cell; ``curve`` the labeled-size
    analysis (``reports/curve.json``)."""
    train = load_train_report(layout.train_report)
    cells = grid_table(train)
    fileio.write_text(layout.grid_csv, cells.to_csv(index=False))
    outputs = load_cell_outputs(cells, layout.models)
    size = headline_size(cells["train_size"].unique())
    table, head = cells[cells["train_size"] == size].reset_index(drop=True), outputs.at(size)
    comparisons, skipped = key_comparisons(head.correct, head.probs, head.y_test)
    baselines = train.get("baselines") or []
    baseline = reference_at(baselines, size)
    plots.accuracy_by_strategy(strategy_summary(table), baseline, layout.plots / PLOTS["accuracy"][0])
    plots.heatmap(table, layout.plots / PLOTS["heatmap"][0])
    plots.seed_bars(table, layout.plots / PLOTS["seed_bars"][0], baseline)
    plots.learning_curves(head.histories, layout.plots / PLOTS["learning_curves"][0])
    plots.embedding_drift(head.drift, layout.plots / PLOTS["drift"][0])
    emb = json.loads(layout.embeddings_report.read_text()) if layout.embeddings_report.exists() else None
    curve_data = curve.analyse(cells, baselines, outputs.correct, outputs.probs, outputs.y_test,
                               load_reference_outputs(baselines, layout.models), emb)
    fileio.write_json(layout.curve_report, curve_data)
    plots.labeled_size_curve(curve_data, layout.plots / PLOTS["size_curve"][0])
    return {"train": train, "runs": load_train_runs(layout.train_runs), "cells": cells, "table": table, "train_size": size, "baseline": baseline,
            "comparisons": comparisons, "skipped": skipped, "n_test": int(len(outputs.y_test)),
            "curve": curve_data, "embeddings": emb}


def champion_behaviour(decision: dict) -> dict:
    """Behaviour of the model that is champion after the gate."""
    if decision["promoted"] or not decision["champion_behaviour"]:
        return decision["challenger_behaviour"]
    return decision["champion_behaviour"]


def write_outputs(analysis: dict, champion: pd.Series, decision: dict,
                  layout: Layout = Layout()) -> tuple[dict, str]:
    """reports/metrics.json and reports/report.md; returns (metrics, report text)."""
    table, baseline = analysis["table"], analysis["baseline"]
    metrics = metrics_json(table, champion, baseline, analysis["comparisons"], champion_behaviour(decision))
    metrics["registry"] = {"version": int(decision["version"]), "promoted": decision["promoted"],
                           "challenger_test_accuracy": round(decision["challenger_accuracy"], 5),
                           "challenger_behaviour_pass_rate": decision["challenger_behaviour"]["pass_rate"]}
    fileio.write_json(layout.metrics, metrics)
    data = json.loads(layout.data_report.read_text()) if layout.data_report.exists() else None
    probes = json.loads(layout.probes_report.read_text()) if layout.probes_report.exists() else None
    text = write_report(layout.report_md, table, champion, baseline, decision, data,
                        analysis["comparisons"], analysis["skipped"], analysis["n_test"], probes,
                        analysis["embeddings"], analysis["cells"], analysis["curve"])
    return metrics, text


def log_to_grid_run(parent_run_id: str, metrics: dict, report: str, decision: dict,
                    layout: Layout = Layout()) -> None:
    """The same report, plots and numbers on the grid's parent run in MLflow."""
    run = tracking.Run(parent_run_id)
    run.log_files([layout.report_md, layout.metrics, layout.grid_csv], "report")
    run.log_files([layout.plots], "report/plots")
    run.log_metrics(tracking.flatten_metrics(metrics))
    # The run's description in the UI: the report itself (or its start, and where the rest is).
    run.set_tags({"mlflow.note.content": tracking.note(report, "report/report.md"),
                  "champion_cell": decision["cell"], "registry_decision": decision["message"][:5000]})


def record_in_store(params, decision: dict, layout: Layout = Layout()) -> None:
    """The store now holds the gated cell's version (and the champion alias): the stage's record there."""
    tracking.record_in_store("evaluate", {"registered_model": params.model_name, "alias": params.alias,
                                          "gated_cell": decision["cell"]}, layout)


def champion_reference_note(champ: pd.Series, baselines: list[dict], layout: Layout = Layout()) -> str:
    """:func:`reference_note` for the champion cell against the TF-IDF reference at its
    train size (on its seed's subset below the whole split); empty without one."""
    refs = [b for b in baselines if b["train_size"] == champ["train_size"]
            and b["seed"] in (None, int(champ["seed"]))]
    if not refs:
        return ""
    with np.load(layout.cell_dir(str(champ["slug"])) / CELL.predictions) as npz:
        y, prob = npz["y_test"].astype(int), npz["test_prob"].astype(np.float64).ravel()
    ref = next(iter(load_reference_outputs(refs[:1], layout.models).values()))
    return reference_note((prob >= 0.5).astype(int) == y, (ref >= 0.5).astype(int) == y)


def gate_champion(params, analysis: dict, layout: Layout = Layout()) -> tuple[pd.Series, dict]:
    """The best cell on validation, registered and put through the gate."""
    table, train, runs = analysis["table"], analysis["train"], analysis["runs"]
    champ = select_champion(table, params.select_metric)
    run_ids = {c["name"]: c["run_id"] for c in runs["cells"]}
    _, experiment_id = tracking.setup()
    test = pd.read_parquet(layout.split("test"), columns=["text", "label"])
    # The commit the grid was trained from (tagged on its parent run), else HEAD.
    commit = tracking.Run(runs["parent_run_id"]).tags.get("git_commit", "unknown")
    tags = {"strategy": str(champ["strategy"]), "architecture": str(champ["architecture"]),
            "seed": str(champ["seed"]), "train_size": str(champ["train_size"]), "cell": str(champ["name"]),
            "source_run_id": run_ids[str(champ["name"])],
            "grid_run_id": runs["parent_run_id"], "data_digest": train.get("data_digest", ""),
            "git_commit": commit if commit != "unknown" else tracking.git_commit(),
            **{m: f"{champ[m]:.5f}" for m in TEST_METRICS}}
    decision = registry.publish(
        layout.cell_dir(str(champ["slug"])) / CELL.model, layout.vocab, experiment_id,
        runs["parent_run_id"], params.model_name, params.alias, params.margin,
        params.min_behaviour_pass_rate, test["text"].tolist(), test["label"].to_numpy(), tags,
        champion_reference_note(champ, train.get("baselines") or [], layout))
    return champ, {"cell": str(champ["name"]), **decision.as_dict()}
