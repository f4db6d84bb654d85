"""The report's statistics on cases that can be checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedlab.stats import compare, key_comparisons, mcnemar_exact, paired_bootstrap


def _cells(pattern: dict[tuple[str, str, int], np.ndarray], y: np.ndarray):
    """correct/probs dicts from per-cell correctness vectors."""
    correct = {k: v.astype(bool) for k, v in pattern.items()}
    # A probability that is right exactly where ``correct`` says so.
    probs = {k: np.where(v == y, np.where(y == 1, 0.9, 0.1), np.where(y == 1, 0.1, 0.9)).astype(float)
             for k, v in ((k, np.where(c, y, 1 - y)) for k, c in correct.items())}
    return correct, probs


def test_mcnemar_exact_matches_the_binomial_by_hand():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    # n = 5, k = 1: P(X <= 1) = (1 + 5) / 32, two-sided doubles it.
    assert mcnemar_exact(1, 4) == pytest.approx(12 / 32)
    assert mcnemar_exact(4, 1) == mcnemar_exact(1, 4)


def test_identical_strategies_are_within_noise():
    y = np.array([0, 1] * 50)
    c = np.arange(100) % 3 != 0
    correct, probs = _cells({("a", "lstm", 1): c, ("b", "lstm", 1): c}, y)
    res = compare("a", "b", correct, probs, y)
    assert res.diff == 0 and res.ci_low == 0 and res.ci_high == 0
    assert res.p_bootstrap == 1.0 and res.mcnemar_p == 1.0
    assert res.verdict == "within noise"
    assert "within noise" in res.sentence()


def test_always_right_vs_always_wrong_is_certain():
    y = np.array([0, 1] * 25)
    correct, probs = _cells({("a", "cnn", 1): np.ones(50), ("b", "cnn", 1): np.zeros(50)}, y)
    res = compare("a", "b", correct, probs, y)
    assert (res.diff, res.ci_low, res.ci_high) == (1.0, 1.0, 1.0)
    assert res.mcnemar_a_only == 50 and res.mcnemar_b_only == 0
    assert res.mcnemar_p == pytest.approx(2 * 0.5 ** 50)
    assert res.verdict == "better"
    flipped = compare("b", "a", correct, probs, y)
    assert flipped.verdict == "worse" and flipped.diff == -1.0


def test_single_pair_interval_matches_the_normal_approximation():
    # 200 reviews: A alone right on 30, B alone right on 10, both right on the rest.
    n = 200
    a = np.ones(n)
    b = np.ones(n)
    b[:30] = 0
    a[30:40] = 0
    est, lo, hi, p = paired_bootstrap((a - b)[None, :], n_boot=6000, seed=1)
    assert est == pytest.approx(0.1)
    se = math.sqrt((40 / n - 0.1 ** 2) / n)          # sd of d_i over sqrt(n)
    assert lo == pytest.approx(0.1 - 1.96 * se, abs=0.01)
    assert hi == pytest.approx(0.1 + 1.96 * se, abs=0.01)
    assert p < 0.01


def test_small_difference_is_called_within_noise():
    y = np.array([0, 1] * 50)
    a = np.ones(100)
    b = np.ones(100)
    b[:3] = 0   # A alone right on 3 reviews
    a[3:4] = 0  # B alone right on 1
    correct, probs = _cells({("w2v_frozen", "lstm", 1): a, ("learned", "lstm", 1): b}, y)
    res = compare("w2v_frozen", "learned", correct, probs, y)
    assert res.diff == pytest.approx(0.02)
    assert res.ci_low < 0 < res.ci_high
    assert res.verdict == "within noise"
    assert res.mcnemar_p == pytest.approx(mcnemar_exact(3, 1))


def test_seed_disagreement_widens_the_interval():
    # Seed 1: A better by 0.2; seed 2: B better by 0.2. The mean is 0, but the
    # interval must show the seed-to-seed spread, not only test-set noise.
    n = 100
    y = np.array([0, 1] * 50)
    up, down = np.ones(n), np.ones(n)
    down[:20] = 0
    pattern = {("a", "lstm", 1): up, ("b", "lstm", 1): down,
               ("a", "lstm", 2): down, ("b", "lstm", 2): up}
    correct, probs = _cells(pattern, y)
    res = compare("a", "b", correct, probs, y)
    assert res.pairs == 2 and res.diff == pytest.approx(0.0)
    assert res.ci_low < -0.1 and res.ci_high > 0.1


def test_cells_are_paired_by_architecture_and_seed_only_where_both_exist():
    y = np.array([0, 1] * 10)
    pattern = {("a", "lstm", 1): np.ones(20), ("b", "lstm", 1): np.zeros(20),
               ("a", "cnn", 1): np.zeros(20)}  # no b/cnn/1: left out of the comparison
    correct, probs = _cells(pattern, y)
    res = compare("a", "b", correct, probs, y)
    assert res.pairs == 1 and res.diff == 1.0
    assert compare("a", "c", correct, probs, y) is None


def test_key_comparisons_say_which_are_missing():
    y = np.array([0, 1] * 10)
    pattern = {(s, "lstm", 1): np.ones(20) for s in ("learned", "w2v_frozen", "w2v_finetuned")}
    correct, probs = _cells(pattern, y)
    done, skipped = key_comparisons(correct, probs, y, n_boot=200)
    assert [c.name for c in done] == ["w2v_finetuned_vs_learned", "w2v_frozen_vs_learned"]
    assert len(skipped) == 1 and "random_frozen" in skipped[0] and "grid.strategies" in skipped[0]
