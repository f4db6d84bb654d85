"""Report generation from a small synthetic results table: metrics.json numbers,
the generated conclusions, the plots, and the statistics wired to the cells'
saved predictions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embedlab import plots
from embedlab.errors import EmbedlabError
from embedlab.evaluate.stage import (grid_table, load_cell_outputs, metrics_json, reference_at,
                                     select_champion, write_report)
from embedlab.stats import key_comparisons
from embedlab.tracking import flatten_metrics
from embedlab.train.grid import Cell

N_TEST = 80
Y = np.array([0, 1] * (N_TEST // 2))
# How many test reviews each strategy gets wrong, per seed: hand-checkable accuracies.
WRONG = {"learned": {1: 20, 2: 22}, "random_frozen": {1: 40, 2: 40},
         "w2v_frozen": {1: 20, 2: 22}, "w2v_finetuned": {1: 4, 2: 6}}


def _prob(wrong: int) -> np.ndarray:
    right = np.where(Y == 1, 0.8, 0.2)
    prob = right.copy()
    prob[:wrong] = 1 - right[:wrong]
    return prob


@pytest.fixture()
def grid(tmp_path):
    cells = []
    models = tmp_path / "models"
    for strategy, seeds in WRONG.items():
        for seed, wrong in seeds.items():
            acc = 1 - wrong / N_TEST
            cell = Cell(strategy, None, "lstm", seed, strategy)
            folder = models / cell.slug
            folder.mkdir(parents=True)
            drift = {"drift_embedding": np.linspace(0, 0.1, 30)} if strategy == "w2v_finetuned" else {}
            np.savez(folder / "predictions.npz", test_prob=_prob(wrong), y_test=Y,
                     val_prob=_prob(wrong), y_val=Y, **drift)
            (folder / "history.json").write_text(json.dumps(
                {"loss": [0.7, 0.5], "val_loss": [0.69, 0.6 - seed / 100],
                 "accuracy": [0.5, 0.7], "val_accuracy": [0.5, acc]}))
            cells.append({**cell.key(), "best_val_accuracy": acc, "best_val_roc_auc": 0.9, "best_val_log_loss": 0.4,
                          "test_accuracy": acc, "test_balanced_accuracy": acc, "test_f1_macro": acc,
                          "test_roc_auc": 0.9, "test_pr_auc": 0.9, "test_log_loss": 0.4,
                          "epochs_run": 2, "best_epoch": 1, "train_examples": 160})
    train = {"cells": cells,
             "baselines": [{"name": "baseline/tfidf_logreg", "train_size": "all", "seed": None,
                            "test_accuracy": 0.8, "test_f1_macro": 0.79, "test_roc_auc": 0.85}]}
    return train, models


def _baseline(train):
    return reference_at(train["baselines"], "all")


def _leaves(d):
    for v in d.values():
        if isinstance(v, dict):
            yield from _leaves(v)
        else:
            yield v


def test_metrics_json_has_mean_and_std_per_strategy_and_numeric_leaves(grid):
    train, models = grid
    table = grid_table(train)
    outputs = load_cell_outputs(table, models).at("all")
    comparisons, skipped = key_comparisons(outputs.correct, outputs.probs, outputs.y_test, n_boot=1000)
    champ = select_champion(table)
    metrics = metrics_json(table, champ, _baseline(train), comparisons, {"pass_rate": 0.8})
    learned = metrics["strategies"]["learned"]
    # seeds: 60/80 and 58/80 right -> mean 0.7375, sample std 0.0176777
    assert learned["test_accuracy_mean"] == pytest.approx(0.7375)
    assert learned["test_accuracy_std"] == pytest.approx(np.std([0.75, 0.725], ddof=1), abs=1e-5)
    assert learned["runs"] == 2
    assert metrics["champion"]["test_accuracy"] == pytest.approx(1 - 4 / 80)
    assert all(isinstance(v, (int, float)) for v in _leaves(metrics)), "DVC metrics need numbers"
    assert set(metrics["comparisons"]) == {"w2v_finetuned_vs_learned", "w2v_frozen_vs_learned",
                                           "w2v_frozen_vs_random_frozen"}
    ft = metrics["comparisons"]["w2v_finetuned_vs_learned"]
    assert ft["diff"] == pytest.approx((0.95 + 0.925) / 2 - 0.7375)
    assert ft["ci_low"] > 0
    assert not skipped
    flat = flatten_metrics(metrics)
    assert flat["strategies/learned/test_accuracy_mean"] == pytest.approx(0.7375)


def test_report_states_conclusions_with_their_uncertainty(grid, tmp_path):
    train, models = grid
    table = grid_table(train)
    outputs = load_cell_outputs(table, models).at("all")
    comparisons, skipped = key_comparisons(outputs.correct, outputs.probs, outputs.y_test, n_boot=1000)
    decision = {"message": "Version 3 promoted to `champion`: ...", "behaviour_markdown": "| mft | 12/12 | 1.00 |"}
    text = write_report(tmp_path / "report.md", table, select_champion(table), _baseline(train),
                        decision, None, comparisons, skipped, N_TEST)
    by = {c.name: c for c in comparisons}
    # Same mistakes -> exactly no difference -> "within noise".
    assert by["w2v_frozen_vs_learned"].diff == 0 and by["w2v_frozen_vs_learned"].verdict == "within noise"
    assert by["w2v_finetuned_vs_learned"].verdict == "better"
    assert by["w2v_frozen_vs_random_frozen"].verdict == "better"
    assert "`w2v_frozen` vs `learned`" in text and "**within noise**" in text
    assert "Highest mean test accuracy: `w2v_finetuned` 0.938" in text
    assert "One test review is 0.013 of accuracy (80 test reviews)" in text
    assert "strategies above it on average: `w2v_finetuned`" in text
    assert "Best cell on validation: **w2v_finetuned/lstm/seed1**" in text
    assert "Version 3 promoted" in text and "| mft | 12/12 | 1.00 |" in text
    assert "![heatmap](plots/heatmap.png)" in text and "![learning curves](plots/learning_curves.png)" in text
    assert (tmp_path / "report.md").read_text() == text


def test_report_says_which_text_each_variant_saw(grid, tmp_path):
    train, _ = grid
    table = grid_table(train)
    emb = {"variants": {
        "cbow": {"source": "trained", "text_seen": "this data set's Word2Vec corpus (1,234 tokens)",
                 "vector_size": 100, "type_coverage": 1.0, "token_coverage": {"test": 0.9612}},
        "glove6b": {"source": "embedded:glove-6b-50d", "text_seen": "Wikipedia 2014 + Gigaword 5: 6B tokens",
                    "vector_size": 50, "type_coverage": 0.94988, "token_coverage": {"test": 0.94407}}}}
    text = write_report(tmp_path / "report.md", table, select_champion(table), _baseline(train),
                        {"message": "kept"}, None, embeddings=emb)
    assert "## Embedding variants: the text each one saw" in text
    assert "| cbow | this data set's Word2Vec corpus (1,234 tokens) | 100 | 100.0% | 96.1% |" in text
    assert "| glove6b | Wikipedia 2014 + Gigaword 5: 6B tokens | 50 | 95.0% | 94.4% |" in text
    without = write_report(tmp_path / "r2.md", table, select_champion(table), _baseline(train),
                           {"message": "kept"}, None)
    assert "Embedding variants" not in without


def test_plots_are_written_as_png(grid, tmp_path):
    train, models = grid
    table = grid_table(train)
    outputs = load_cell_outputs(table, models).at("all")
    assert set(outputs.drift) == {("w2v_finetuned", "lstm", 1), ("w2v_finetuned", "lstm", 2)}
    out = tmp_path / "plots"
    mean = plots.heatmap(table, out / "heatmap.png")
    assert mean.loc["random_frozen", "lstm"] == pytest.approx(0.5)
    plots.seed_bars(table, out / "seed_bars.png", _baseline(train))
    plots.learning_curves(outputs.histories, out / "learning_curves.png")
    plots.embedding_drift(outputs.drift, out / "drift.png")
    plots.embedding_drift({}, out / "drift_empty.png")
    for name in ("heatmap", "seed_bars", "learning_curves", "drift", "drift_empty"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name


def test_cells_scored_on_different_test_sets_are_an_error(grid):
    train, models = grid
    folder = models / Cell("learned", None, "lstm", 2, "learned").slug
    np.savez(folder / "predictions.npz", test_prob=_prob(3)[:-2], y_test=Y[:-2], val_prob=Y, y_val=Y)
    with pytest.raises(EmbedlabError, match="test labels differ"):
        load_cell_outputs(grid_table(train), models)


def test_missing_predictions_name_the_file_and_what_to_do(grid):
    train, models = grid
    (models / Cell("learned", None, "lstm", 1, "learned").slug / "predictions.npz").unlink()
    with pytest.raises(EmbedlabError, match=r"learned__lstm__seed1/predictions.npz: not found.*dvc repro"):
        load_cell_outputs(grid_table(train), models)


def test_history_gaps_are_reported_for_a_fallback(grid):
    train, models = grid
    (models / Cell("learned", None, "lstm", 1, "learned").slug / "history.json").unlink()
    outputs = load_cell_outputs(grid_table(train), models)
    assert outputs.missing_history == [("learned", "lstm", 1, "all")]
    assert outputs.at("all").missing_history == [("learned", "lstm", 1)]
    assert isinstance(pd.DataFrame(outputs.histories[("learned", "lstm", 2, "all")]), pd.DataFrame)


def test_probes_markdown_summarises_every_variant():
    res = {v: {"neighbours": {"good": [["great", 0.9], ["nice", 0.8]], "zzz": None},
               "antonyms": [{"a": "good", "b": "bad", "cosine": c}]} for v, c in (("cbow", 0.71), ("sg", None))}
    from embedlab.evaluate.stage import probes_markdown

    md = probes_markdown(res)
    assert "| good / bad | 0.710 | – |" in md
    assert "| good | great, nice | great, nice |" in md and "| zzz | not in vocabulary |" in md


def _curve_grid(tmp_path):
    """Two sizes (40 labeled reviews and the whole split, 160): at 40, w2v_finetuned
    gets 10 of 80 test reviews wrong and learned 30; on the whole split both get 10
    wrong. TF-IDF gets 24 wrong at 40 and 16 on the whole split."""
    models, cells, baselines = tmp_path / "models", [], []
    wrong = {("learned", 40): 30, ("w2v_finetuned", 40): 10, ("learned", "all"): 10,
             ("w2v_finetuned", "all"): 10}
    for (strategy, size), k in wrong.items():
        for arch in ("cnn", "meanpool"):
            for seed in (1, 2):
                cell = Cell(strategy, None, arch, seed, strategy, size)
                (models / cell.slug).mkdir(parents=True)
                np.savez(models / cell.slug / "predictions.npz", test_prob=_prob(k), y_test=Y,
                         val_prob=_prob(k), y_val=Y)
                acc = 1 - k / N_TEST
                cells.append({**cell.key(), "base_strategy": strategy, "run_id": "r", "test_accuracy": acc,
                              "epochs_run": 5, "best_epoch": 4 if size == 40 else 2,
                              "test_roc_auc": 0.9, "best_val_accuracy": acc + (arch == "cnn") / 100,
                              "train_examples": 160 if size == "all" else 40})
    for size, seed, k in ((40, 1, 24), (40, 2, 24), ("all", None, 16)):
        name = "tfidf_logreg" + ("" if seed is None else f"__seed{seed}__n{size}")
        np.savez(models / f"{name}.npz", test_prob=_prob(k))
        baselines.append({"name": name, "train_size": size, "seed": seed, "predictions": f"{name}.npz",
                          "test_accuracy": 1 - k / N_TEST, "test_roc_auc": 0.8,
                          "train_examples": 160 if size == "all" else 40})
    return {"cells": cells, "baselines": baselines}, models


def test_curve_states_the_crossover_and_the_reference_at_each_size(tmp_path):
    from embedlab.evaluate import curve
    from embedlab.evaluate.stage import load_reference_outputs

    train, models = _curve_grid(tmp_path)
    table = grid_table(train)
    assert table["train_size"].tolist()[:2] == [40, "all"]   # sizes ascending, the whole split last
    out = load_cell_outputs(table, models)
    data = curve.analyse(table, train["baselines"], out.correct, out.probs, out.y_test,
                         load_reference_outputs(train["baselines"], models))
    assert data["sizes"] == [40, "all"] and data["train_examples"] == [40, 160]
    pooled = {(p["strategy"], p["train_size"]): p for p in data["points"] if p["architecture"] == "all"}
    assert pooled[("learned", 40)]["test_accuracy_mean"] == pytest.approx(50 / 80)
    assert pooled[("learned", 40)]["seeds"] == 2
    # pooled over architectures, then one per architecture
    assert [c["scope"] for c in data["crossovers"]] == ["", "cnn", "meanpool"]
    main = data["crossovers"][0]
    assert main["status"] == "crossover" and main["below"] == 160
    assert main["sentence"].startswith("Below N = 160, `w2v_finetuned` beats `learned`: +25.0 points [")
    # best on validation at each size: the cnn cells (their validation is 1 point higher)
    ref = {c["train_size"]: c for c in data["best_vs_reference"]}
    assert ref[40]["a"] == "w2v_finetuned" and ref[40]["architecture"] == "cnn"
    assert ref[40]["diff"] == pytest.approx((24 - 10) / 80) and ref[40]["verdict"] == "better"
    assert ref["all"]["diff"] == pytest.approx((16 - 10) / 80)
    md = "\n".join(curve.markdown(data, "plots/size_curve.png"))
    assert "| `learned` | 0.625 ± 0.000 | 0.875 ± 0.000 |" in md
    assert "| TF-IDF + logistic regression | 0.700 ± 0.000 | 0.800 |" in md   # one run on the whole split: no spread
    assert "N = 160 (all)" in md and main["sentence"] in md
    assert "helped them): 8 of 8 at N = 40, 0 of 8 at N = 160 (all)." in md
    plots.labeled_size_curve(data, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"


def test_a_single_size_grid_has_no_curve_section(grid, tmp_path):
    from embedlab.evaluate import curve

    train, models = grid
    table = grid_table(train)
    out = load_cell_outputs(table, models)
    data = curve.analyse(table, [], out.correct, out.probs, out.y_test, {})
    assert data["sizes"] == ["all"] and data["crossovers"] == [] and curve.markdown(data, "x.png") == []
    plots.labeled_size_curve(data, tmp_path / "curve.png")   # an image that says how to get one
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
