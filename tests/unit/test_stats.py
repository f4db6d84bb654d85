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


def test_mcnemar_exact_holds_for_thousands_of_discordant_reviews():
    # 2**n overflows a float here; the p-value must not.
    assert mcnemar_exact(1500, 1500) == pytest.approx(1.0)
    assert 0.0 <= mcnemar_exact(1400, 1600) < 0.001
    assert mcnemar_exact(1490, 1510) == pytest.approx(0.7287, abs=0.001)   # scipy.stats.binomtest


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


# ----------------------------------------------------------- crossover along sizes
N_REVIEWS = 400
Y400 = np.array([0, 1] * (N_REVIEWS // 2))


def _pair(a_right: int, b_right: int, both: int) -> tuple[np.ndarray, np.ndarray]:
    """Correctness of A and B: ``both`` reviews right for both, then A-only, then B-only."""
    a, b = np.zeros(N_REVIEWS, bool), np.zeros(N_REVIEWS, bool)
    a[:both] = b[:both] = True
    a[both:both + a_right] = True
    b[both + a_right:both + a_right + b_right] = True
    return a, b


def _curve(discordant: dict[int, tuple[int, int]]):
    """A Crossover of A = w2v_finetuned@glove6b vs B = learned from (A-only, B-only)
    discordant counts per size; two seeds with the same answers, so the interval
    is the test-review interval of the paired difference."""
    from embedlab.stats import Crossover, CurvePoint

    pts = []
    for n, (a_only, b_only) in sorted(discordant.items()):
        a, b = _pair(a_only, b_only, 200)
        correct, probs = _cells({(s, "cnn", seed): v for s, v in (("w2v_finetuned@glove6b", a), ("learned", b))
                                 for seed in (1, 2)}, Y400)
        c = compare("w2v_finetuned@glove6b", "learned", correct, probs, Y400, n_boot=2000)
        pts.append(CurvePoint(n, n, c))
    return Crossover("w2v_finetuned@glove6b", "learned", tuple(pts))


def test_crossover_states_below_which_size_pretraining_wins():
    # +25, +10, 0 and -10 points at N = 100, 300, 1,000 and 3,000 (400 test reviews).
    x = _curve({100: (100, 0), 300: (40, 0), 1000: (20, 20), 3000: (0, 40)})
    diffs = [round(p.comparison.diff, 3) for p in x.points]
    assert diffs == [0.25, 0.1, 0.0, -0.1]
    assert [p.comparison.verdict for p in x.points] == ["better", "better", "within noise", "worse"]
    assert x.status == "crossover" and x.below == 1000
    text = x.sentence()
    assert text.startswith("Below N = 1,000, `w2v_finetuned@glove6b` beats `learned`: +25.0 points [")
    assert "+10.0 points [" in text and "at N = 300; from N = 1,000 on it does not (+0.0 points [" in text
    assert "`learned` is better at N = 3,000 (-10.0 points [" in text
    lo, hi = x.points[1].comparison.ci_low, x.points[1].comparison.ci_high
    # 40 discordant reviews of 400: sd of the mean difference = sqrt(0.1 - 0.01) / 20 = 0.015
    assert lo == pytest.approx(0.1 - 1.96 * 0.015, abs=0.008) and hi == pytest.approx(0.1 + 1.96 * 0.015, abs=0.008)


def test_no_crossover_when_one_side_wins_everywhere_or_nowhere():
    from embedlab.stats import Crossover, _gap

    everywhere = _curve({100: (100, 0), 1000: (40, 0)})
    assert everywhere.status == "everywhere" and everywhere.below is None
    assert "at every labeled size in the range (N = 100 to 1,000): no crossover" in everywhere.sentence()
    nowhere = _curve({100: (20, 20), 1000: (0, 40)})
    assert nowhere.status == "none" and nowhere.below is None
    assert nowhere.sentence() == (
        "`w2v_finetuned@glove6b` does not beat `learned` at the smallest size, so there is no crossover in the "
        f"range (N = 100 to 1,000); `learned` is better at N = 1,000 ({_gap(nowhere.points[1])}); "
        f"within noise at N = 100 ({_gap(nowhere.points[0])}).")
    # what curve.json stores gives back the same statement
    assert Crossover.from_dict(everywhere.as_dict()).sentence() == everywhere.sentence()
