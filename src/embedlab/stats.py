"""Is a difference between two embedding strategies real or noise?

Every cell of the grid is scored on the *same* test reviews, so strategies are
compared **paired**, example by example, never as two independent means.

Primary statistic: the difference of the strategies' mean test accuracy (the
number the report's table shows), with a 95% **hierarchical paired bootstrap**
confidence interval. Cells are paired by (architecture, seed): for pair ``k`` and
test review ``i``, ``d[k, i] = correct_A[k, i] - correct_B[k, i]``. One
bootstrap draw resamples the pairs (seed and architecture noise) and, with
replacement, the test reviews (test-set noise), and takes the mean of ``d``
over both. With one pair it reduces to the classic paired bootstrap over test
examples. A difference whose interval contains 0 is called *within noise*.

Secondary: McNemar's exact test on the two strategies' *averaged-probability*
predictions (each strategy's probabilities averaged over its paired cells, then
thresholded at 0.5), which asks the same question of the strategy-level
ensembles with a classical test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

KEY_COMPARISONS: tuple[tuple[str, str], ...] = (
    ("w2v_finetuned", "learned"),
    ("w2v_frozen", "learned"),
    ("w2v_frozen", "random_frozen"),
)


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    pairs: int                 # (architecture, seed) pairs both strategies have
    n_test: int                # test reviews
    accuracy_a: float          # mean test accuracy over the paired cells
    accuracy_b: float
    diff: float                # accuracy_a - accuracy_b
    ci_low: float
    ci_high: float
    p_bootstrap: float         # two-sided: how often the bootstrap difference crosses 0
    mcnemar_a_only: int        # reviews only A's averaged prediction gets right
    mcnemar_b_only: int
    mcnemar_p: float
    verdict: str               # "better" | "worse" | "within noise"

    @property
    def name(self) -> str:
        return f"{self.a}_vs_{self.b}"

    def as_metrics(self) -> dict[str, float]:
        """Numeric leaves only (for DVC metrics)."""
        d = asdict(self)
        return {k: (round(float(v), 5) if isinstance(v, float) else v)
                for k, v in d.items() if k not in {"a", "b", "verdict"}}

    def sentence(self) -> str:
        ci = f"95% CI [{self.ci_low:+.3f}, {self.ci_high:+.3f}]"
        base = (f"`{self.a}` vs `{self.b}`: mean test accuracy {self.accuracy_a:.3f} vs "
                f"{self.accuracy_b:.3f}, difference {self.diff:+.3f} ({ci}, paired bootstrap over "
                f"{self.n_test} test reviews and {self.pairs} architecture/seed pair"
                f"{'s' if self.pairs != 1 else ''}; McNemar p = {self.mcnemar_p:.3g})")
        if self.verdict == "within noise":
            return base + " — **within noise**: this test set cannot tell them apart."
        return base + f" — `{self.a}` is **{self.verdict}**, and the interval excludes 0."


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (binomial, p = 1/2)."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    from scipy.stats import binom

    # scipy's binomial CDF, not sum(comb) / 2**n: 2**n overflows a float beyond ~1,000
    # discordant reviews (an IMDB-sized test set has thousands).
    return float(min(1.0, 2.0 * binom.cdf(min(a_only, b_only), n, 0.5)))


def paired_bootstrap(diff: np.ndarray, n_boot: int = 4000, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float, float, float]:
    """Hierarchical bootstrap of ``mean(diff)`` for a (pairs, examples) matrix.

    Returns (estimate, ci_low, ci_high, two-sided p). Resampling uses multinomial
    weights so a draw costs one matrix product, not a copy of the data.
    """
    diff = np.atleast_2d(np.asarray(diff, dtype=np.float64))
    k, n = diff.shape
    if k == 0 or n == 0:
        raise ValueError("paired_bootstrap needs at least one pair and one example")
    rng = np.random.default_rng(seed)
    estimate = float(diff.mean())
    stats = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        w_pairs = (rng.multinomial(k, np.full(k, 1.0 / k), size=b) if k > 1
                   else np.ones((b, 1)))
        w_ex = rng.multinomial(n, np.full(n, 1.0 / n), size=b)
        per_example = w_pairs @ diff / k          # (b, n): pair-resampled mean per review
        stats[start:start + b] = (per_example * w_ex).sum(axis=1) / n
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    # Share of draws on the other side of 0 (ties count half), doubled: a
    # bootstrap two-sided p-value; 1.0 when the estimate is exactly 0.
    if estimate == 0:
        p = 1.0
    else:
        other = (stats < 0).mean() + 0.5 * (stats == 0).mean() if estimate > 0 else \
            (stats > 0).mean() + 0.5 * (stats == 0).mean()
        p = float(min(1.0, 2.0 * other))
    return estimate, float(lo), float(hi), p


def compare(a: str, b: str, correct: dict[tuple[str, str, int], np.ndarray],
            probs: dict[tuple[str, str, int], np.ndarray], y: np.ndarray,
            n_boot: int = 4000, seed: int = 0) -> Comparison | None:
    """Compare strategies ``a`` and ``b`` on their common (architecture, seed) cells.

    ``correct`` and ``probs`` are keyed by (strategy, architecture, seed). Returns
    None when the two strategies share no (architecture, seed) pair.
    """
    keys_a = {(arch, s) for (st, arch, s) in correct if st == a}
    keys_b = {(arch, s) for (st, arch, s) in correct if st == b}
    common = sorted(keys_a & keys_b)
    if not common:
        return None
    ca = np.stack([correct[(a, *k)] for k in common]).astype(np.float64)
    cb = np.stack([correct[(b, *k)] for k in common]).astype(np.float64)
    est, lo, hi, p = paired_bootstrap(ca - cb, n_boot=n_boot, seed=seed)
    pred_a = np.mean([probs[(a, *k)] for k in common], axis=0) >= 0.5
    pred_b = np.mean([probs[(b, *k)] for k in common], axis=0) >= 0.5
    ok_a, ok_b = pred_a == y.astype(bool), pred_b == y.astype(bool)
    a_only, b_only = int((ok_a & ~ok_b).sum()), int((ok_b & ~ok_a).sum())
    if lo > 0:
        verdict = "better"
    elif hi < 0:
        verdict = "worse"
    else:
        verdict = "within noise"
    return Comparison(a, b, len(common), int(ca.shape[1]), float(ca.mean()), float(cb.mean()),
                      est, lo, hi, p, a_only, b_only, mcnemar_exact(a_only, b_only), verdict)


def key_comparisons(correct, probs, y, pairs=KEY_COMPARISONS, n_boot: int = 4000,
                    seed: int = 0) -> tuple[list[Comparison], list[str]]:
    """The report's comparisons; the second list says which could not be made and why."""
    strategies = {st for (st, _, _) in correct}
    done, skipped = [], []
    for a, b in pairs:
        missing = [s for s in (a, b) if s not in strategies]
        if missing:
            skipped.append(f"`{a}` vs `{b}`: not in this grid ({', '.join(missing)} missing); "
                           "add it to grid.strategies to get this comparison.")
            continue
        c = compare(a, b, correct, probs, y, n_boot=n_boot, seed=seed)
        if c is None:
            skipped.append(f"`{a}` vs `{b}`: no architecture/seed pair in common.")
        else:
            done.append(c)
    return done, skipped


# ------------------------------------------------------------- labeled-size curves
def _pp(x: float) -> str:
    return f"{100 * x:+.1f}"


def _gap(p: CurvePoint) -> str:
    """The difference in accuracy points with its 95% interval."""
    c = p.comparison
    return f"{_pp(c.diff)} points [{_pp(c.ci_low)}, {_pp(c.ci_high)}]"


def _at(p: CurvePoint) -> str:
    return f"{_gap(p)} at N = {p.train_examples:,}"


def _sizes(pts: list[CurvePoint]) -> str:
    return ", ".join(f"N = {p.train_examples:,} ({_gap(p)})" for p in pts)


@dataclass(frozen=True)
class CurvePoint:
    """One comparison of two strategies at one labeled train size."""

    train_size: int | str          # as in grid.train_sizes ("all" or a count)
    train_examples: int            # labeled reviews at that size
    comparison: Comparison


@dataclass(frozen=True)
class Crossover:
    """Where along the labeled-size axis strategy ``a`` stops beating ``b``.

    The rule, applied to the paired comparisons at each size (ascending): the
    sizes where ``a`` is *better* (its 95% interval above 0) from the smallest
    size on form the range where it wins; the first size after them is the
    crossover ("below N = ..."). Sizes after it are reported as they are (within
    noise, ``b`` better, or ``a`` better again), never smoothed.
    """

    a: str
    b: str
    points: tuple[CurvePoint, ...]  # ascending train size
    scope: str = ""                 # e.g. "cnn": the architecture the pairs are restricted to

    @property
    def lead(self) -> int:
        """How many of the smallest sizes in a row ``a`` is better at."""
        n = 0
        while n < len(self.points) and self.points[n].comparison.verdict == "better":
            n += 1
        return n

    @property
    def below(self) -> int | None:
        """The N below which ``a`` beats ``b`` (None: it beats it everywhere or nowhere
        from the smallest size on)."""
        return self.points[self.lead].train_examples if 0 < self.lead < len(self.points) else None

    @property
    def status(self) -> str:
        if self.lead == len(self.points):
            return "everywhere"
        return "crossover" if self.lead else "none"

    def _rest(self, start: int, noise: bool = False) -> str:
        later = self.points[start:]
        out = ""
        for verdict, says in (("worse", f"`{self.b}` is better at"),
                              ("within noise", "within noise at" if noise else ""),
                              ("better", f"`{self.a}` is better again at")):
            pts = [p for p in later if p.comparison.verdict == verdict]
            if pts and says:
                out += f"; {says} {_sizes(pts)}"
        return out

    def sentence(self) -> str:
        pts, lead = self.points, self.lead
        where = f" ({self.scope})" if self.scope else ""
        span = f"N = {pts[0].train_examples:,} to {pts[-1].train_examples:,}"
        if self.status == "everywhere":
            return (f"`{self.a}` beats `{self.b}`{where} at every labeled size in the range ({span}): "
                    f"no crossover in the range; {_at(pts[0])}, {_at(pts[-1])}.")
        if self.status == "none":
            return (f"`{self.a}` does not beat `{self.b}`{where} at the smallest size, so there is no "
                    f"crossover in the range ({span})" + self._rest(0, noise=True) + ".")
        wins = ", ".join(_at(p) for p in pts[:lead])
        stop = pts[lead]
        return (f"Below N = {stop.train_examples:,}, `{self.a}` beats `{self.b}`{where}: {wins}; "
                f"from N = {stop.train_examples:,} on it does not ({_at(stop)}, "
                f"{stop.comparison.verdict})" + self._rest(lead + 1) + ".")

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "scope": self.scope, "status": self.status,
                "below": self.below, "sentence": self.sentence(),
                "points": [{"train_size": p.train_size, "train_examples": p.train_examples,
                            **asdict(p.comparison)} for p in self.points]}

    @classmethod
    def from_dict(cls, d: dict) -> Crossover:
        fields = set(Comparison.__dataclass_fields__)
        return cls(d["a"], d["b"], tuple(
            CurvePoint(p["train_size"], p["train_examples"], Comparison(**{k: p[k] for k in fields}))
            for p in d["points"]), d.get("scope", ""))
