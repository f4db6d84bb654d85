"""The numbers of the decision page (``reports/answer.json``), from the grid's cells.

The page's decision (:func:`choose`): at a train size, among every (strategy,
architecture) run at that size and the TF-IDF reference (:data:`REFERENCE`, scored
the same way by the train stage) where it was run, the best mean
``best_val_accuracy`` over its seeds; where labels are few (fewer labeled reviews than
``train.cv_below``, `all` of a small split included), the simplest one within one
standard error of the best (the one-standard-error rule). That score never reads the test split,
so the selected candidate's test score is not optimistic. The best of a group (the best
`learned` config, the best network, a strategy's line in the figure) is
:func:`select`'s plain argmax. When the reference is chosen, the page says to use
it, and its row compares it with the best network.
Comparisons are paired on the same test reviews: each side's per-review correctness
averaged over its seeds, a bootstrap over test reviews (``stats.paired_bootstrap``),
Holm's step-down adjustment over every comparison the page makes (the family), and
the smallest difference the design could detect.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from embedlab.answer.page import BEST, ONE_SE
from embedlab.config import ALL_TRAIN, TrainParams
from embedlab.predictions import sizes_of, still_improving
from embedlab.stats import paired_bootstrap
from embedlab.strategies import LEARNED

REFERENCE = "tfidf_logreg"
LEVEL = 0.95   # of every interval
POWER = 0.8    # of the minimal detectable difference
_Z = NormalDist().inv_cdf(1 - (1 - LEVEL) / 2)
# The minimal detectable difference at POWER and a two-sided test at 1 − LEVEL is
# (z_0.975 + z_0.8) ≈ 2.8 standard errors (the usual power rule); the SE is the bootstrap's.
MDE_SE = round(_Z + NormalDist().inv_cdf(POWER), 2)


# ------------------------------------------------------------------ per config
def labeled_at(cells: pd.DataFrame, size) -> int:
    """Labeled reviews a cell at ``size`` used in all: the count itself, or the split's at ``all``."""
    return int(size) if size != ALL_TRAIN else int(cells.loc[cells["train_size"] == size, "train_examples"].max())


def _seconds(rows: pd.DataFrame) -> float | None:
    """Mean measured seconds per cell: training plus tuning where the cells were tuned."""
    if "train_seconds" not in rows or rows["train_seconds"].isna().all():
        return None
    total = rows["train_seconds"].astype(float)
    if "tuning_seconds" in rows:
        total = total + rows["tuning_seconds"].astype(float).fillna(0.0)
    return float(total.mean())


def _work(rows: pd.DataFrame) -> dict | None:
    """What a cell's chosen model trained on, the same on every run (seconds are not):
    mean epochs run, reviews fitted on, tuning trials spent."""
    if "epochs_run" not in rows:
        return None
    fit = rows["fit_examples"] if "fit_examples" in rows else rows["train_examples"]
    trials = rows["tuning_trials"] if "tuning_trials" in rows else pd.Series([0])
    return {"epochs": float(rows["epochs_run"].astype(float).mean()),
            "fit_examples": int(round(float(fit.astype(float).mean()))),
            "trials": int(trials.fillna(0).astype(float).max())}


def _optional(rows: pd.DataFrame, column: str) -> list | None:
    """A column the cells carry only when the train stage recorded it (e.g. ``hparams``)."""
    if column not in rows or rows[column].isna().all():
        return None
    return [None if (not isinstance(v, dict) and pd.isna(v)) else v for v in rows.sort_values("seed")[column]]


def configs_at(cells: pd.DataFrame, size) -> list[dict]:
    """One entry per (strategy, architecture) run at ``size``: its numbers over seeds."""
    out = []
    at = cells[cells["train_size"] == size]
    for (strategy, arch), rows in at.groupby(["strategy", "architecture"], sort=True):
        acc = rows["test_accuracy"].astype(float)
        out.append({
            "strategy": strategy, "architecture": arch, "train_size": size,
            "train_examples": labeled_at(cells, size), "seeds": sorted(int(s) for s in rows["seed"]),
            "best_val_accuracy": float(rows["best_val_accuracy"].mean()),
            "best_val_roc_auc": float(rows["best_val_roc_auc"].mean()) if "best_val_roc_auc" in rows else None,
            "test_accuracy": float(acc.mean()), "test_accuracy_sd": float(acc.std()) if len(acc) > 1 else 0.0,
            "test_accuracy_min": float(acc.min()), "test_accuracy_max": float(acc.max()),
            "test_roc_auc": float(rows["test_roc_auc"].mean()),
            "seconds": _seconds(rows), "work": _work(rows),
            "hparams": _optional(rows, "hparams"), "tuning_trials": _optional(rows, "tuning_trials"),
            "params_trainable": _mean_count(rows, "params_trainable"),
            "selection_examples": _mean_count(rows, "selection_examples")})
    return out


def _mean_count(rows: pd.DataFrame, key: str) -> int | None:
    """A count over seeds (their mean, rounded); None where a train report predates it."""
    return int(round(rows[key].mean())) if key in rows and rows[key].notna().all() else None


def reference_at(baselines: list[dict], cells: pd.DataFrame, size) -> dict | None:
    """TF-IDF + logistic regression at ``size`` as a candidate of the selection rule, in a
    config's shape (``architecture`` None): its numbers over the seeds' subsets (one fit
    on the whole split at ``all``). None where it was not run, or a train report predates
    its selection score."""
    rows = [b for b in baselines if b["train_size"] == size]
    if not rows or any(b.get("best_val_accuracy") is None for b in rows):
        return None
    acc = np.array([b["test_accuracy"] for b in rows], dtype=float)
    auc = [b.get("best_val_roc_auc") for b in rows]
    seconds = [b.get("train_seconds") for b in rows]
    hparams = [b.get("hparams") for b in sorted(rows, key=lambda b: b["seed"] or 0)]
    return {"strategy": REFERENCE, "architecture": None, "train_size": size,
            "train_examples": labeled_at(cells, size), "runs": len(rows),
            "seeds": sorted(int(b["seed"]) for b in rows if b["seed"] is not None),
            "best_val_accuracy": float(np.mean([b["best_val_accuracy"] for b in rows])),
            "best_val_roc_auc": None if None in auc else float(np.mean(auc)),
            "test_accuracy": float(acc.mean()), "test_accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "test_accuracy_min": float(acc.min()), "test_accuracy_max": float(acc.max()),
            "test_roc_auc": float(np.mean([b["test_roc_auc"] for b in rows])),
            "seconds": None if None in seconds else float(np.mean(seconds)), "work": None,
            "hparams": None if all(h is None for h in hparams) else hparams, "tuning_trials": None,
            "params_trainable": _mean_count(pd.DataFrame(rows), "params_trainable"),
            "selection_examples": _mean_count(pd.DataFrame(rows), "selection_examples")}


def is_reference(config: dict) -> bool:
    return config["strategy"] == REFERENCE


def select(configs: list[dict], strategy: str | None = None) -> dict | None:
    """The selection rule: best mean validation accuracy (ties: higher validation ROC AUC,
    then the name order), among all candidates (the reference's included, when given)
    or those of one ``strategy``."""
    pool = sorted((c for c in configs if strategy is None or c["strategy"] == strategy),
                  key=lambda c: (c["strategy"], c["architecture"] or ""))
    if not pool:
        return None
    # max keeps the first of equals: a full tie goes to the first name, the same on every run.
    return max(pool, key=lambda c: (c["best_val_accuracy"], np.nan_to_num(c["best_val_roc_auc"] or 0.0)))


# The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, The
# Elements of Statistical Learning, 7.10): at a few hundred labels an accuracy's standard
# error is several points, larger than most gaps between candidates, so the argmax of a
# dozen noisy scores is the luckiest candidate more than the best one. Among those the
# noise cannot tell from the best, the simplest: the fewest parameters fitted to the
# labels (``params_trainable``: the linear head over frozen vectors fits a weight per
# dimension, TF-IDF one per feature, a trained table one per word and dimension).
#
# Only where labels are few (fewer labeled reviews than ``train.cv_below``: the cells'
# cross-validated sizes, and `all` of a small split, whose val split is smaller still):
# there each candidate's tuning trials and the page's choice among a dozen or more
# candidates all read the same few hundred labels: the regime where issue 31 measured
# the winner's curse, and the one the rule was adopted for. From cv_below labels on,
# the page takes the first on its selection rows (issue 31's "first on validation or
# cross-validation"):
# across model families a count of weights is a crude order of capacity (an
# L2-penalised TF-IDF model fits one per feature, so its count grows with the
# vocabulary), and with many labels it would hold the reference back most exactly
# where sparse linear models are strongest.


def standard_error(config: dict, size) -> float:
    """Of a candidate's mean selection accuracy: binomial over the reviews each seed
    selected on (``selection_examples``), the seeds' subsets counted as independent draws
    below ``all`` (at ``all`` every seed selects on the same val split)."""
    p, k = config["best_val_accuracy"], 1 if size == ALL_TRAIN else max(1, len(config["seeds"] or [1]))
    return float(np.sqrt(p * (1 - p) / (config["selection_examples"] * k)))


def choose(candidates: list[dict], size, few_labels: bool) -> tuple[dict, dict]:
    """The page's decision among one size's ``candidates`` (the module doc): the chosen
    candidate, and the rule's numbers (its kind, the best, and for the one-standard-error
    rule its standard error and how many were within it). ``few_labels``: the size has
    fewer labeled reviews than ``train.cv_below``."""
    best = select(candidates)
    rule = {"best": _side(best), "best_val_accuracy": best["best_val_accuracy"],
            "selection_examples": best.get("selection_examples"), "candidates": len(candidates)}
    if not few_labels or not all(c.get("selection_examples") for c in candidates):
        return best, {"kind": BEST, **rule, "se": None, "within": None}
    se = standard_error(best, size)
    band = [c for c in candidates if c["best_val_accuracy"] >= best["best_val_accuracy"] - se]
    chosen = min(band, key=lambda c: (c.get("params_trainable") or np.inf, -c["best_val_accuracy"],
                                      -np.nan_to_num(c["best_val_roc_auc"] or 0.0),
                                      c["strategy"], c["architecture"] or ""))
    return chosen, {"kind": ONE_SE, **rule, "se": se, "within": len(band)}


def regimes(selection: list[dict]) -> list[dict]:
    """Runs of consecutive train sizes whose selected config is the same."""
    out: list[dict] = []
    for s in selection:
        key = (s["strategy"], s["architecture"])
        if out and (out[-1]["strategy"], out[-1]["architecture"]) == key:
            out[-1]["sizes"].append(s["train_size"])
            out[-1]["train_examples"].append(s["train_examples"])
        else:
            out.append({"strategy": key[0], "architecture": key[1], "sizes": [s["train_size"]],
                        "train_examples": [s["train_examples"]]})
    return out


# ----------------------------------------------------------------- comparisons
def seed_mean(correct: dict, strategy: str, arch: str, size, seeds) -> np.ndarray:
    """Per test review: the share of ``seeds`` whose cell got it right."""
    return np.mean([correct[(strategy, arch, s, size)] for s in seeds], axis=0).astype(np.float64)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error control, any dependence)."""
    m, order = len(pvalues), np.argsort(pvalues, kind="mergesort")
    adjusted, running = np.empty(m), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted.tolist()


def paired(a: np.ndarray, b: np.ndarray, n_boot: int) -> dict:
    """Difference of accuracy (a − b) on the same test reviews: estimate, 95 % interval,
    bootstrap p, and the minimal detectable difference of this design."""
    diff, lo, hi, p = paired_bootstrap(a - b, n_boot=n_boot, level=LEVEL)
    se = (hi - lo) / (2 * _Z)   # the bootstrap distribution's spread, read off its interval
    # No draw on the other side of 0 says p < 1/draws, not p = 0: keep the bound, so Holm
    # multiplies a number that can be right, and mark it (the page writes "≤").
    floor = p < 1 / n_boot
    return {"accuracy_a": float(a.mean()), "accuracy_b": float(b.mean()), "diff": diff, "ci_low": lo,
            "ci_high": hi, "p": max(p, 1 / n_boot), "p_bound": floor, "se": se, "mde": MDE_SE * se,
            "n_test": int(len(a))}


def _side(config: dict) -> dict:
    """A comparison's side as answer.json names it: the reference has no architecture."""
    if is_reference(config):
        return {"strategy": REFERENCE}
    return {"strategy": config["strategy"], "architecture": config["architecture"]}


def versus_learned(cells_at: list[dict], correct: dict, size, n_boot: int) -> list[dict]:
    """Every strategy against ``learned`` on the same architecture at ``size``, on their common seeds."""
    learned = {c["architecture"]: c for c in cells_at if c["strategy"] == LEARNED}
    out = []
    for c in cells_at:
        ref = learned.get(c["architecture"])
        seeds = sorted(set(c["seeds"]) & set(ref["seeds"])) if ref and c is not ref else []
        if not seeds:
            continue
        out.append({"kind": "vs_learned", "a": _side(c), "b": _side(ref), "train_size": size,
                    "train_examples": c["train_examples"], "seeds": seeds,
                    **paired(seed_mean(correct, c["strategy"], c["architecture"], size, seeds),
                             seed_mean(correct, LEARNED, c["architecture"], size, seeds), n_boot)})
    return out


def reference_correct(ref_probs: dict, y: np.ndarray, size, seeds) -> np.ndarray | None:
    """TF-IDF's per-review correctness at ``size``, averaged over the seeds' subsets (one
    reference on the whole split at ``all``)."""
    keys = [(size, None)] if size == ALL_TRAIN else [(size, s) for s in seeds]
    found = [ref_probs[k] for k in keys if k in ref_probs]
    if not found:
        return None
    return np.mean([(p >= 0.5).astype(int) == y for p in found], axis=0).astype(np.float64)


def reference_summary(baselines: list[dict], cells: pd.DataFrame) -> list[dict]:
    """TF-IDF test accuracy per size: mean (and spread) over the seeds' subsets."""
    out = []
    for size in sizes_of(cells):
        rows = [b for b in baselines if b["train_size"] == size]
        if rows:
            acc = np.array([b["test_accuracy"] for b in rows], dtype=float)
            out.append({"train_size": size, "train_examples": labeled_at(cells, size), "runs": len(rows),
                        "test_accuracy": float(acc.mean()),
                        "test_accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                        "test_accuracy_min": float(acc.min()), "test_accuracy_max": float(acc.max()),
                        "test_roc_auc": float(np.mean([b["test_roc_auc"] for b in rows]))})
    return out


def _per_review(config: dict, correct: dict, ref_probs: dict, y: np.ndarray, size, seeds) -> np.ndarray | None:
    """A candidate's per-review correctness averaged over ``seeds`` (the reference's: over
    the seeds' subsets, its one fit at ``all``)."""
    if is_reference(config):
        return reference_correct(ref_probs, y, size, seeds)
    return seed_mean(correct, config["strategy"], config["architecture"], size, seeds)


def _common_seeds(a: dict, b: dict, size) -> list[int]:
    """The seeds both sides ran; the reference at ``all`` is one fit, paired with every seed."""
    mine = [c["seeds"] for c in (a, b) if not (is_reference(c) and (size == ALL_TRAIN or c["seeds"] is None))]
    return sorted(set(mine[0]).intersection(*mine[1:])) if mine else []


def _decision(chosen: dict, learned: dict | None, network: dict | None, reference: dict | None,
              family: list[dict], correct: dict, ref_probs: dict, y: np.ndarray, size,
              n_boot: int) -> tuple[dict, list[dict]]:
    """The row's choice against the best ``learned`` config and against the best of the other
    kind: TF-IDF when a network is chosen, the best network when TF-IDF is (never a choice
    against itself, so the family holds no empty comparison). Indexes into the family
    (appending the comparisons it lacks)."""
    added: list[dict] = []

    def index(kind: str, a: dict | None, b: dict | None) -> int | None:
        if a is None or b is None or _side(a) == _side(b):
            return None
        for i, c in enumerate(family + added):
            if c["train_size"] == size and c["a"] == _side(a) and c["b"] == _side(b):
                return i
        seeds = _common_seeds(a, b, size)
        sides = [_per_review(x, correct, ref_probs, y, size, seeds) for x in (a, b)] if seeds else [None]
        if any(x is None for x in sides):
            return None
        added.append({"kind": kind, "a": _side(a), "b": _side(b), "train_size": size,
                      "train_examples": chosen["train_examples"], "seeds": seeds, **paired(*sides, n_boot)})
        return len(family) + len(added) - 1

    # An older train report's reference is no candidate, but its predictions still compare.
    reference = reference or {"strategy": REFERENCE, "seeds": None}
    if is_reference(chosen):
        return {"vs_learned": index("decision_vs_learned", chosen, learned), "vs_reference": None,
                "vs_network": index("decision_vs_network", chosen, network)}, added
    return {"vs_learned": index("decision_vs_learned", chosen, learned),
            "vs_reference": index("decision_vs_reference", chosen, reference), "vs_network": None}, added


def _verdicts(family: list[dict], alpha: float) -> None:
    """Holm over the whole family; a verdict is "better"/"worse" only when it survives."""
    for c, adjusted in zip(family, holm([c["p"] for c in family])):
        c["p_holm"] = adjusted
        c["significant"] = bool(adjusted <= alpha)
        c["direction"] = ("better" if c["diff"] > 0 else "worse") if c["significant"] else None
        # The largest difference the 95 % interval still allows, either side.
        c["bound"] = max(abs(c["ci_low"]), abs(c["ci_high"]))


# ------------------------------------------------------------------ the figure
def curve_lines(configs: dict) -> list[dict]:
    """Per strategy and size: its architecture chosen on validation (the selection rule
    within the strategy), with its test accuracy over seeds."""
    strategies = sorted({c["strategy"] for at in configs.values() for c in at})
    lines = []
    for s in strategies:
        pts = [select(at, s) for at in configs.values()]
        lines.append({"strategy": s, "points": [
            {k: p[k] for k in ("train_size", "train_examples", "architecture", "test_accuracy",
                               "test_accuracy_sd", "test_accuracy_min", "test_accuracy_max")}
            for p in pts if p is not None]})
    return lines


# --------------------------------------------------------------- the whole page
def data_facts(data_report: dict | None, embeddings_report: dict | None, y: np.ndarray) -> dict:
    test_pos = int(np.sum(y))
    out = {"n_test": int(len(y)), "test_majority": max(test_pos, len(y) - test_pos) / len(y)}
    if data_report:
        out |= {"source": data_report.get("source"), "n_train": data_report["train"]["reviews"],
                "n_val": data_report["val"]["reviews"]}
    variants = (embeddings_report or {}).get("variants") or {}
    out["variants"] = {name: {"vector_size": v.get("vector_size"), "source": v.get("source"),
                              "text_seen": v.get("text_seen")} for name, v in variants.items()}
    return out


def analyse(cells: pd.DataFrame, correct: dict, y: np.ndarray, baselines: list[dict], ref_probs: dict,
            data_report: dict | None = None, embeddings_report: dict | None = None,
            alpha: float = 0.05, n_boot: int = 4000, cv_below: int = TrainParams().cv_below) -> dict:
    """The contents of ``reports/answer.json``; ``cv_below``: ``train.cv_below``, below which
    labels are few (the one-standard-error rule)."""
    sizes = sizes_of(cells)
    configs = {s: configs_at(cells, s) for s in sizes}
    family: list[dict] = [c for s in sizes for c in versus_learned(configs[s], correct, s, n_boot)]
    facts = data_facts(data_report, embeddings_report, y)
    candidates = {s: reference_at(baselines, cells, s) for s in sizes}
    selection = []
    for s in sizes:
        network, learned = select(configs[s]), select(configs[s], LEARNED)
        chosen, rule = choose([*configs[s], *filter(None, [candidates[s]])], s, labeled_at(cells, s) < cv_below)
        against, added = _decision(chosen, learned, network, candidates[s], family, correct, ref_probs, y, s,
                                   n_boot)
        family += added
        selection.append({**chosen, "rule": rule, "learned": _side(learned) if learned else None,
                          "network": _side(network),
                          **against, "above_majority": chosen["test_accuracy"] > facts["test_majority"]})
    _verdicts(family, alpha)
    return {
        "reference_strategy": LEARNED, "alpha": alpha, "n_boot": n_boot, "level": LEVEL, "power": POWER,
        "mde_se": MDE_SE,
        "sizes": sizes, "train_examples": [labeled_at(cells, s) for s in sizes],
        "seeds": sorted(int(s) for s in cells["seed"].unique()),
        "data": facts, "reference_in_selection": any(candidates.values()),
        "selection": selection, "regimes": regimes(selection),
        "configs": [c for s in sizes for c in configs[s]],
        "reference": reference_summary(baselines, cells),
        "curve": curve_lines(configs),
        "comparisons": family,
        "still_improving": still_improving(cells),
        "family": {"size": len(family), "alpha": alpha, "expected_by_chance": (1 - LEVEL) * len(family)},
    }
