"""The answer page's analysis (embedlab.answer.decide) and its rendering
(embedlab.answer.page) on synthetic predictions with known answers."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pandas as pd
import pytest

from embedlab.answer import decide, page

N_TEST = 400
SIZES = [100, 300, "all"]
ALL_EXAMPLES = 3000


def _correct(rng, accuracy: float) -> np.ndarray:
    """Per-review correctness with exactly ``accuracy`` of the reviews right, in random order."""
    right = np.zeros(N_TEST, dtype=bool)
    right[rng.choice(N_TEST, int(round(accuracy * N_TEST)), replace=False)] = True
    return right


def _grid(spec: dict, seeds=(1, 2), reference: float | None = 0.72, seed: int = 0,
          reference_val: dict | None = None):
    """``spec``: (strategy, architecture, size) -> (validation accuracy, test accuracy);
    ``reference_val``: size -> the reference's selection score (without it the references
    carry none, as an older train report's: they are not candidates).
    Returns the analysis inputs: cells, correct, y, baselines, reference probabilities."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, N_TEST)
    cells, correct, baselines, ref_probs = [], {}, [], {}
    for (strategy, arch, size), (val, test) in spec.items():
        for s in seeds:
            right = _correct(rng, test)
            correct[(strategy, arch, s, size)] = right
            cells.append({"name": f"{strategy}/{arch}/seed{s}/{size}", "strategy": strategy, "architecture": arch,
                          "seed": s, "train_size": size,
                          "train_examples": ALL_EXAMPLES if size == "all" else size,
                          "best_val_accuracy": val, "best_val_roc_auc": val, "test_accuracy": float(right.mean()),
                          "test_roc_auc": test + 0.05, "train_seconds": 10.0 * s})
    if reference is not None:
        for size in dict.fromkeys(k[2] for k in spec):
            for s in ([None] if size == "all" else seeds):
                right = _correct(rng, reference)
                ref_probs[(size, s)] = np.where(right, y, 1 - y).astype(float)
                baselines.append({"train_size": size, "seed": s, "test_accuracy": float(right.mean()),
                                  "test_roc_auc": 0.8,
                                  **({"best_val_accuracy": reference_val[size], "best_val_roc_auc": 0.8}
                                     if reference_val else {})})
    return pd.DataFrame(cells), correct, y, baselines, ref_probs


# At 100 and 300 the frozen vectors win on validation and on test; at all `learned`
# does; the fine-tuned table is best on test at 300 but not on validation.
SPEC = {
    ("learned", "meanpool", 100): (0.70, 0.70), ("w2v_frozen", "meanpool", 100): (0.80, 0.82),
    ("w2v_finetuned", "meanpool", 100): (0.75, 0.74),
    ("learned", "meanpool", 300): (0.78, 0.78), ("w2v_frozen", "meanpool", 300): (0.82, 0.80),
    ("w2v_finetuned", "meanpool", 300): (0.79, 0.86),
    ("learned", "meanpool", "all"): (0.90, 0.90), ("w2v_frozen", "meanpool", "all"): (0.80, 0.80),
    ("w2v_finetuned", "meanpool", "all"): (0.89, 0.89),
    ("learned", "cnn", 100): (0.65, 0.66), ("w2v_frozen", "cnn", 100): (0.66, 0.64),
}


@pytest.fixture(scope="module")
def answer() -> dict:
    cells, correct, y, baselines, ref = _grid(SPEC)
    data = {"source": "reviews.csv", "train": {"reviews": ALL_EXAMPLES}, "val": {"reviews": 300}}
    emb = {"variants": {"cbow": {"vector_size": 100, "source": "trained", "text_seen": "this corpus"},
                        "glove6b": {"vector_size": 50, "text_seen": "Wikipedia + Gigaword"}}}
    out = decide.analyse(cells, correct, y, baselines, ref, data, emb, n_boot=1000)
    return json.loads(json.dumps(out))   # as the stage writes and reads it


def test_selection_picks_the_best_on_validation_not_on_test(answer):
    chosen = {str(s["train_size"]): (s["strategy"], s["architecture"]) for s in answer["selection"]}
    # At 300, w2v_finetuned has the best test accuracy (0.86) but not the best validation accuracy.
    assert chosen == {"100": ("w2v_frozen", "meanpool"), "300": ("w2v_frozen", "meanpool"),
                      "all": ("learned", "meanpool")}
    # The best learned config at 100 is chosen the same way: meanpool (0.70 on validation), not cnn.
    assert answer["selection"][0]["learned"] == {"strategy": "learned", "architecture": "meanpool"}


def test_a_tie_on_validation_goes_to_auc_then_to_the_first_name():
    def config(strategy, arch, val, auc):
        return {"strategy": strategy, "architecture": arch, "best_val_accuracy": val, "best_val_roc_auc": auc}

    tied = [config("w2v_frozen", "cnn", 0.8, 0.9), config("learned", "meanpool", 0.8, 0.9),
            config("learned", "cnn", 0.8, 0.9)]
    assert decide.select(tied)["architecture"] == "cnn" and decide.select(tied)["strategy"] == "learned"
    assert decide.select([*tied, config("random_frozen", "cnn", 0.8, 0.95)])["strategy"] == "random_frozen"
    assert decide.select(tied, "nothing") is None


def test_regimes_are_runs_of_the_same_selected_config(answer):
    assert [(r["strategy"], r["sizes"]) for r in answer["regimes"]] == [
        ("w2v_frozen", [100, 300]), ("learned", ["all"])]
    picks = [{"strategy": s, "architecture": "cnn", "train_size": n, "train_examples": n}
             for s, n in (("a", 1), ("a", 2), ("b", 3), ("a", 4))]
    assert [r["sizes"] for r in decide.regimes(picks)] == [[1, 2], [3], [4]]


def test_holm_matches_the_step_down_rule():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> kept monotone: 0.06
    assert decide.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert decide.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_the_family_is_every_comparison_and_holm_decides_the_verdicts(answer):
    fam = answer["comparisons"]
    assert answer["family"]["size"] == len(fam)
    # 7 strategy-vs-learned pairs on the same architecture and size (2 × 3 on meanpool, 1 on cnn),
    # plus the decision table's vs TF-IDF at each of 3 sizes (its vs learned at 100 and 300 is
    # already a same-architecture pair; at all the selected config is learned).
    assert sum(c["kind"] == "vs_learned" for c in fam) == 7 and len(fam) == 10
    assert answer["family"]["expected_by_chance"] == pytest.approx(0.05 * 10)
    for c in fam:
        assert c["significant"] == (c["p_holm"] <= answer["alpha"]) and c["p_holm"] >= c["p"]
    big = next(c for c in fam if c["kind"] == "vs_learned" and c["train_size"] == 100
               and c["a"]["architecture"] == "meanpool" and c["a"]["strategy"] == "w2v_frozen")
    assert big["significant"] and big["direction"] == "better" and big["diff"] == pytest.approx(0.12)
    worse = next(c for c in fam if c["kind"] == "vs_learned" and c["train_size"] == "all"
                 and c["a"]["strategy"] == "w2v_frozen")
    assert worse["significant"] and worse["direction"] == "worse"
    noise = next(c for c in fam if c["kind"] == "vs_learned" and c["a"]["architecture"] == "cnn")
    assert not noise["significant"] and noise["direction"] is None


def test_the_detectable_difference_is_2_8_bootstrap_standard_errors():
    rng = np.random.default_rng(3)
    a, b = _correct(rng, 0.8).astype(float), _correct(rng, 0.75).astype(float)
    c = decide.paired(a, b, n_boot=4000)
    assert c["mde"] == pytest.approx(2.8 * c["se"]) and c["se"] == pytest.approx((c["ci_high"] - c["ci_low"]) / 3.92, rel=1e-3)
    analytic = np.std(a - b, ddof=1) / np.sqrt(len(a))   # SE of a mean paired difference
    assert c["se"] == pytest.approx(analytic, rel=0.1)


def test_no_line_of_the_page_repeats(answer):
    text = page.markdown(answer, "plots/answer.png")
    lines = [line for line in text.splitlines() if line.strip() and not re.fullmatch(r"\|(-+:?\|)+", line)]
    repeated = {line for line in lines if lines.count(line) > 1}
    assert not repeated, repeated


def test_the_page_leads_with_the_decision_and_lists_every_significant_result(answer):
    text = page.markdown(answer, "plots/answer.png")
    assert text.index("## Decision") < text.index("![") < text.index("## Detail")
    decision = text.split("## Decision", 1)[1].split("\n\n")[1].splitlines()
    assert len(decision) == 2 + len(answer["regimes"])
    assert "`w2v_frozen` / meanpool" in decision[2] and "100–300" in decision[2]
    listed = text.split("## Every result that survives Holm", 1)[1].split("##", 1)[0]
    assert listed.count("\n- ") == sum(c["significant"] for c in answer["comparisons"])
    assert "no evidence of a difference larger than" in text and "no effect" not in text


@pytest.mark.parametrize("path", [
    ("selection", 0, "test_accuracy"), ("comparisons", 0, "diff"), ("comparisons", 0, "ci_high"),
    ("comparisons", 0, "mde"), ("data", "test_majority"), ("data", "n_test"), ("family", "size"),
    ("configs", 3, "test_accuracy_sd"), ("reference", 0, "test_accuracy"), ("selection", 1, "seconds"),
    ("data", "variants", "glove6b", "vector_size"), ("selection", 0, "test_roc_auc")])
def test_changing_one_number_in_answer_json_changes_the_page(answer, path):
    changed = copy.deepcopy(answer)
    *parent, key = path
    target = changed
    for p in parent:
        target = target[p]
    target[key] = target[key] * 1.37 + 0.0123 if isinstance(target[key], float) else target[key] + 7
    assert page.markdown(changed, "x.png") != page.markdown(answer, "x.png"), path


def test_the_method_figures_come_from_the_json_too(answer):
    """Level, power, rule constant, family level and draws: change them all and none
    of the defaults' figures is left on the page."""
    changed = {**copy.deepcopy(answer), "level": 0.9, "power": 0.7, "mde_se": 2.3, "alpha": 0.01, "n_boot": 1234}
    changed["family"] = {**changed["family"], "alpha": 0.01}
    text = page.markdown(changed, "x.png")
    for figure in ("95 %", "80 %", "2.8", "level 0.05", "4,000", "1000"):
        assert figure not in text, figure
    assert "90 %" in text and "70 %" in text and "2.3 ×" in text and "1,234 draws" in text


def test_any_grid_one_size_one_seed_no_learned_no_reference():
    spec = {("w2v_frozen", "cnn", "all"): (0.8, 0.8), ("random_frozen", "cnn", "all"): (0.7, 0.7)}
    cells, correct, y, baselines, ref = _grid(spec, seeds=(1,), reference=None)
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    assert out["family"]["size"] == 0 and out["selection"][0]["vs_learned"] is None
    text = page.markdown(out, "x.png")
    assert "`w2v_frozen` / cnn" in text and "None of the 0 comparisons" in text and "±" not in text


def test_the_command_turns_its_options_into_dvc_experiment_params():
    from embedlab.cli import experiment_overrides, parse_sizes
    from embedlab.errors import EmbedlabError

    assert parse_sizes("100, 300,all") == [100, 300, "all"]
    assert experiment_overrides([100, "all"], "my reviews.csv", 6) == [
        "-S", 'data.source="my reviews.csv"', "-S", "grid.train_sizes=[100,all]", "-S", "train.tune_trials=6"]
    assert experiment_overrides(None, None, None) == []
    # params.yaml's answer section brings its grid; --tune replaces its trials.
    from embedlab.config import AnswerParams

    preset = AnswerParams(strategies=["learned", "w2v_frozen@glove6b"], architectures=["cnn"], seeds=[1, 2],
                          tune_trials=3)
    assert experiment_overrides([100], None, None, preset) == [
        "-S", "grid.train_sizes=[100]", "-S", "grid.strategies=[learned,w2v_frozen@glove6b]",
        "-S", "grid.architectures=[cnn]", "-S", "grid.seeds=[1,2]", "-S", "train.tune_trials=3"]
    assert experiment_overrides(None, None, 0, preset)[-1] == "train.tune_trials=0"
    for bad, says in (("100,0", "'0' is neither"), ("100,x", "'x' is neither"), ("all,all", "twice")):
        with pytest.raises(EmbedlabError, match=says):
            parse_sizes(bad)


def test_a_tuned_config_shows_what_it_trained_with(answer):
    tuned = copy.deepcopy(answer)
    first = tuned["selection"][0]
    first["hparams"] = [{"learning_rate": 0.0031, "dropout": 0.25, "epochs": 20},
                        {"learning_rate": 0.0007, "dropout": 0.1, "epochs": 40}]
    first["tuning_trials"] = [6, 6]
    text = page.markdown(tuned, "x.png")
    row = next(line for line in text.splitlines() if "0.0031" in line)
    assert "seed 1: learning_rate 0.0031, dropout 0.25, epochs 20<br>seed 2: learning_rate 0.0007" in row
    assert row.endswith("| 6 |")


def test_an_architecture_that_stopped_short_is_named_with_its_largest_size(answer):
    # SPEC runs cnn at 100 only (as grid.max_train_size would); meanpool at every size.
    text = page.markdown(answer, "x.png")
    assert "cnn ran up to 100 labeled reviews (`grid.max_train_size`" in text
    assert "meanpool ran up to" not in text
    full = {k: v for k, v in SPEC.items() if k[1] == "meanpool"}
    cells, correct, y, baselines, ref = _grid(full)
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    assert "ran up to" not in page.markdown(out, "x.png")


def test_an_architecture_that_started_late_is_named_with_its_smallest_size():
    # As grid.min_train_size would: lstm from 300 only, cnn at 300 alone; meanpool at every size.
    late = {**{k: v for k, v in SPEC.items() if k[1] == "meanpool"},
            ("learned", "lstm", 300): (0.70, 0.70), ("learned", "lstm", "all"): (0.80, 0.80),
            ("learned", "cnn", 300): (0.70, 0.70)}
    cells, correct, y, baselines, ref = _grid(late)
    text = page.markdown(json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200))),
                         "x.png")
    assert ("–: not run. cnn ran at 300 labeled reviews only; lstm ran from 300 labeled reviews "
            "(`grid.min_train_size`, `grid.max_train_size`).") in text
    assert "meanpool ran" not in text


def test_cells_that_ended_still_improving_are_counted_per_size():
    spec = {("learned", "meanpool", 100): (0.7, 0.7), ("learned", "meanpool", "all"): (0.8, 0.8)}
    cells, correct, y, baselines, ref = _grid(spec, seeds=(1, 2, 3))
    # At 100 seeds 1 and 2 ended on their best epoch (the cap); at all none did.
    cells["epochs_run"] = [10, 20, 12, 9, 15, 40]   # rows: (100: seeds 1-3), (all: seeds 1-3)
    cells["best_epoch"] = [9, 19, 8, 5, 11, 30]
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    assert out["still_improving"] == [{"train_size": 100, "cells": 2, "of": 3},
                                      {"train_size": "all", "cells": 0, "of": 3}]
    assert "still improving: 2 of 3 at 100." in page.markdown(out, "x.png")


# TF-IDF first on validation at 100 only (0.95 against the cells' best 0.80); last elsewhere.
REFERENCE_FIRST_AT_100 = {100: 0.95, 300: 0.5, "all": 0.5}


@pytest.fixture(scope="module")
def with_reference() -> dict:
    cells, correct, y, baselines, ref = _grid(SPEC, reference=0.85, reference_val=REFERENCE_FIRST_AT_100)
    return json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=1000)))


def test_the_decision_can_select_the_reference(with_reference):
    out = with_reference
    assert out["reference_in_selection"]
    chosen = [(s["strategy"], s["architecture"]) for s in out["selection"]]
    assert chosen == [(decide.REFERENCE, None), ("w2v_frozen", "meanpool"), ("learned", "meanpool")]
    first = out["selection"][0]
    assert first["best_val_accuracy"] == 0.95 and first["vs_reference"] is None
    assert first["network"] == {"strategy": "w2v_frozen", "architecture": "meanpool"}
    # Its row compares TF-IDF with the best learned config and with the best network, never with itself.
    vs_net, vs_learned = out["comparisons"][first["vs_network"]], out["comparisons"][first["vs_learned"]]
    assert vs_net["a"] == vs_learned["a"] == {"strategy": decide.REFERENCE}
    assert vs_net["b"] == first["network"] and vs_learned["b"] == {"strategy": "learned", "architecture": "meanpool"}
    assert vs_net["diff"] == pytest.approx(0.85 - 0.82) and vs_net["seeds"] == [1, 2]
    assert all(c["a"] != c["b"] for c in out["comparisons"])
    # 7 strategy-vs-learned pairs, TF-IDF vs learned and vs the best network at 100, each network
    # choice vs TF-IDF at 300 and all: Holm counts exactly these.
    assert out["family"]["size"] == len(out["comparisons"]) == 11
    text = page.markdown(out, "x.png")
    row = next(line for line in text.splitlines() if line.startswith("| 100 |"))
    assert "| TF-IDF + logistic regression |" in row and "(is the choice)" in row
    assert "vs the best network (`w2v_frozen` / meanpool)" in row
    assert "and TF-IDF + logistic regression (on its own subsets" in text


def test_the_reference_is_chosen_at_all_and_the_readme_still_names_the_best_network():
    from docgen.blocks import answer as blocks

    cells, correct, y, baselines, ref = _grid(SPEC, reference=0.93, reference_val={100: 0.5, 300: 0.5, "all": 0.95})
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=500)))
    at_all = out["selection"][-1]
    assert at_all["strategy"] == decide.REFERENCE and at_all["seeds"] == [] and at_all["runs"] == 1
    best = blocks.best_at_all({"figures": {"answer": out}})
    assert (best["a"], best["architecture"]) == ("learned", "meanpool")
    assert best["diff"] == pytest.approx(0.90 - 0.93) and best["accuracy_b"] == pytest.approx(0.93)
    # The README and the anchors name it as the best network, not as the page's selection.
    res = {"figures": {"answer": out, "data": {"train": 3000, "test": 400}}}
    assert "the page itself chose TF-IDF + logistic regression" in blocks.anchors(res)
    assert blocks._which(best) == "the page's best network"


def test_a_choice_at_or_below_the_majority_rate_says_so():
    y = np.random.default_rng(0).integers(0, 2, N_TEST)   # _grid's labels
    majority = max(y.sum(), N_TEST - y.sum()) / N_TEST
    spec = {("learned", "meanpool", 100): (0.8, majority), ("learned", "meanpool", 300): (0.8, majority - 0.05),
            ("learned", "meanpool", "all"): (0.8, majority + 0.05)}
    cells, correct, y, baselines, ref = _grid(spec, reference=None)
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    assert out["data"]["test_majority"] == majority
    assert [s["above_majority"] for s in out["selection"]] == [False, False, True]
    text = page.markdown(out, "x.png")
    note = f"(not above the majority-class rate, {majority:.3f})"
    row = next(line for line in text.splitlines() if line.startswith("| 100–"))
    assert row.count(note) == 2 and "all)" in row and "(all): " + f"{majority + 0.05:.3f}" in row


def test_a_page_from_before_the_reference_competed_renders_as_it_did(answer):
    """A committed results file's answer.json lacks the new fields: its page keeps its words."""
    old = copy.deepcopy(answer)
    del old["reference_in_selection"]
    for s in old["selection"]:
        for key in ("network", "vs_network", "above_majority", "rule"):
            del s[key]
    text = page.markdown(old, "x.png")
    assert "among every cell run at that size;" in text and "majority-class rate" not in text
    assert "`w2v_frozen` / meanpool" in text


def _counted(cells: pd.DataFrame, baselines: list[dict], rows: int, params: dict) -> None:
    """Give the cells (and references) the counts a train report carries: ``rows``
    selection reviews per seed; ``params``: (strategy, architecture) -> trainable weights."""
    cells["selection_examples"] = rows
    cells["params_trainable"] = [params[(s, a)] for s, a in zip(cells["strategy"], cells["architecture"])]
    for b in baselines:
        b |= {"selection_examples": rows, "params_trainable": params[("tfidf_logreg", None)]}


# At 100 labels (3 seeds, out-of-fold over all 100): the best on selection (0.73) against
# the standard error of that score, sqrt(0.73 * 0.27 / 300) = 0.026. Within it: a table
# trained with a hidden layer (0.72) and the linear head over frozen vectors (0.71, 101
# weights); outside it, by a hair: TF-IDF (0.70), which fits fewer weights than the tables.
ONE_SE = {("learned", "meanpool", 100): (0.73, 0.63), ("w2v_frozen", "meanpool", 100): (0.72, 0.66),
          ("w2v_frozen", "linear", 100): (0.71, 0.68)}
WEIGHTS = {("learned", "meanpool"): 730_000, ("w2v_frozen", "meanpool"): 6_500,
           ("w2v_frozen", "linear"): 101, ("tfidf_logreg", None): 4_000}


def test_the_simplest_candidate_within_one_standard_error_of_the_best_is_chosen():
    cells, correct, y, baselines, ref = _grid(ONE_SE, seeds=(1, 2, 3), reference=0.65,
                                              reference_val={100: 0.70})
    _counted(cells, baselines, 100, WEIGHTS)
    out = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    chosen, rule = out["selection"][0], out["selection"][0]["rule"]
    assert (chosen["strategy"], chosen["architecture"]) == ("w2v_frozen", "linear")
    assert rule["best"] == {"strategy": "learned", "architecture": "meanpool"}
    assert rule["se"] == pytest.approx((0.73 * 0.27 / 300) ** 0.5)
    assert (rule["within"], rule["candidates"]) == (3, 4)
    text = page.markdown(out, "x.png")
    assert "within one standard error" in next(line for line in text.splitlines() if line.startswith("| 100 |"))


def _one_se_at_100_and_all(cv_below: int) -> dict:
    """The same scores at 100 (cross-validated: each seed selected on all 100 labels) and at
    all (3,000 labeled reviews, every seed selecting on the same 400 val reviews)."""
    spec = {**ONE_SE, **{(s, a, "all"): v for (s, a, _), v in ONE_SE.items()}}
    cells, correct, y, baselines, ref = _grid(spec, seeds=(1, 2, 3), reference=0.65,
                                              reference_val={100: 0.70, "all": 0.70})
    _counted(cells, baselines, 100, WEIGHTS)
    cells.loc[cells["train_size"] == "all", "selection_examples"] = 400
    for b in baselines:
        b["selection_examples"] = 400 if b["train_size"] == "all" else 100
    return json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200, cv_below=cv_below)))


def test_with_labels_above_cv_below_the_page_takes_the_best_not_the_simplest():
    small, full = _one_se_at_100_and_all(cv_below=2000)["selection"]
    assert (small["strategy"], small["architecture"], small["rule"]["kind"]) == ("w2v_frozen", "linear", "one_se")
    assert (full["strategy"], full["architecture"], full["rule"]["kind"]) == ("learned", "meanpool", "best")
    assert full["rule"]["se"] is None and full["rule"]["within"] is None
    text = page.markdown(_one_se_at_100_and_all(cv_below=2000), "x.png")
    method = next(line for line in text.splitlines() if line.startswith("Selection, the one rule"))
    assert "where labels are few (100), of those within one standard error" in method
    assert "with more labels, the best score" in method
    row_all = next(line for line in text.splitlines() if "(all) |" in line and line.startswith("| "))
    assert "first on validation" in row_all and "within one standard error" not in row_all


def test_all_of_a_small_split_has_few_labels_and_its_seeds_share_one_val_split():
    # cv_below 5,000: the split's 3,000 labels are few. At all every seed selects on the same
    # 400 val reviews: the standard error is one score's, sqrt(0.73 * 0.27 / 400) = 0.022, so
    # the linear head's 0.71 (101 weights) is within it (counting 3 seeds, 0.013, it would not
    # be, and the frozen meanpool's 0.72 would be chosen).
    full = _one_se_at_100_and_all(cv_below=5000)["selection"][1]
    assert full["rule"]["kind"] == "one_se" and full["rule"]["se"] == pytest.approx((0.73 * 0.27 / 400) ** 0.5)
    assert (full["strategy"], full["architecture"]) == ("w2v_frozen", "linear")


def test_a_train_report_without_the_counts_selects_the_plain_best(answer):
    assert all(s["rule"]["kind"] == "best" and s["rule"]["se"] is None for s in answer["selection"])
    assert [(s["strategy"], s["architecture"]) for s in answer["selection"]] == \
        [("w2v_frozen", "meanpool"), ("w2v_frozen", "meanpool"), ("learned", "meanpool")]
