"""Behaviour checks on a sentiment model (CheckList-style, Ribeiro et al. 2020).

Accuracy on a held-out set says how often a model is right on reviews like the
training ones; these checks ask whether it behaves sensibly on reviews written
to test one capability each:

* ``mft`` (minimum functionality): short, unambiguous positive and negative
  food reviews get the right label.
* ``negation``: negating a positive statement ("good" -> "not good") lowers the
  positive probability (by at least ``NEGATION_MIN_DROP``).
* ``invariance``: swapping the product name in a review keeps its label.

Each suite's pass rate is a number in [0, 1]; ``pass_rate`` is their mean. A
constant model (same output for every review) scores 0.5 on ``mft`` (half the
reviews are positive), 0 on ``negation`` (nothing gets lower) and 1 on
``invariance``: a mean of 0.5. The gate's ``evaluate.min_behaviour_pass_rate``
(default 0.6) therefore asks for better than a constant model. The checks are
plain data so the report can list every failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

MFT_POSITIVE = (
    "Delicious! I love this coffee and will buy it again.",
    "Great taste, my kids love these snacks.",
    "Excellent tea, fresh and full of flavor. Highly recommend.",
    "The best cookies I have ever had. Wonderful!",
    "Perfect treats, my dog loves them.",
    "Very good product, great price and fast shipping.",
)
MFT_NEGATIVE = (
    "Terrible taste, it was stale. Do not buy.",
    "Awful coffee, bitter and disgusting. A waste of money.",
    "The worst snack I have ever tried. Horrible.",
    "Bland and tasteless. I threw it away.",
    "My dog got sick from these treats. Very disappointed.",
    "Poor quality, the package arrived broken and the chips were stale.",
)
# (positive statement, its negation): the negation must get a lower probability.
NEGATION_PAIRS = (
    ("This coffee is good.", "This coffee is not good."),
    ("The taste is great.", "The taste is not great."),
    ("I love these cookies.", "I don't love these cookies."),
    ("I would recommend this tea.", "I would not recommend this tea."),
    ("These chips are delicious.", "These chips are not delicious."),
    ("My dog likes this food.", "My dog doesn't like this food."),
)
INVARIANCE_TEMPLATES = (
    "I bought the {} and it was delicious, will order again.",
    "The {} arrived stale and tasted awful.",
    "My family enjoyed the {} very much.",
    "The {} was a waste of money, very bland.",
)
# "not good" must score at least this much lower than "good": a model whose
# outputs barely move (a near-constant one) gets no credit from rounding noise.
NEGATION_MIN_DROP = 0.01
PRODUCT_NAMES = ("coffee", "green tea", "granola", "dog treats", "popcorn", "olive oil")


@dataclass
class SuiteResult:
    name: str
    passed: int
    total: int
    failures: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 1.0


@dataclass
class BehaviourReport:
    suites: list[SuiteResult]

    @property
    def pass_rate(self) -> float:
        return float(np.mean([s.pass_rate for s in self.suites]))

    def metrics(self) -> dict[str, float]:
        out = {f"{s.name}_pass_rate": round(s.pass_rate, 5) for s in self.suites}
        out["pass_rate"] = round(self.pass_rate, 5)
        return out

    def markdown(self) -> str:
        lines = ["| check | passed | pass rate |", "|---|---|---|"]
        for s in self.suites:
            lines.append(f"| {s.name} | {s.passed}/{s.total} | {s.pass_rate:.2f} |")
        lines.append(f"| **mean** | | **{self.pass_rate:.2f}** |")
        fails = [f"- {s.name}: {f}" for s in self.suites for f in s.failures[:5]]
        if fails:
            lines += ["", "Failures (up to 5 per check):", "", *fails]
        return "\n".join(lines)


def run_checks(predict_proba: Callable[[Sequence[str]], np.ndarray]) -> BehaviourReport:
    """Run the three suites with one call of ``predict_proba`` (raw texts -> P(positive))."""
    inv_groups = [[t.format(name) for name in PRODUCT_NAMES] for t in INVARIANCE_TEMPLATES]
    texts = [*MFT_POSITIVE, *MFT_NEGATIVE, *(p for pair in NEGATION_PAIRS for p in pair),
             *(t for g in inv_groups for t in g)]
    prob = np.asarray(predict_proba(texts), dtype=np.float64).ravel()
    if prob.shape != (len(texts),):
        raise ValueError(f"predict_proba returned {prob.shape} values for {len(texts)} texts")
    it = iter(prob)

    mft = SuiteResult("mft", 0, 0)
    for texts_, want in ((MFT_POSITIVE, True), (MFT_NEGATIVE, False)):
        for t in texts_:
            p = next(it)
            mft.total += 1
            if (p >= 0.5) == want:
                mft.passed += 1
            else:
                mft.failures.append(f"{t!r}: P(positive) = {p:.3f}")

    neg = SuiteResult("negation", 0, 0)
    for pos_text, neg_text in NEGATION_PAIRS:
        p_pos, p_neg = next(it), next(it)
        neg.total += 1
        if p_neg <= p_pos - NEGATION_MIN_DROP:
            neg.passed += 1
        else:
            neg.failures.append(f"{neg_text!r} {p_neg:.3f} is not at least {NEGATION_MIN_DROP} "
                                f"below {pos_text!r} {p_pos:.3f}")

    inv = SuiteResult("invariance", 0, 0)
    for group in inv_groups:
        ps = np.array([next(it) for _ in group])
        ref = ps[0] >= 0.5
        for t, p in zip(group[1:], ps[1:]):
            inv.total += 1
            if (p >= 0.5) == ref:
                inv.passed += 1
            else:
                inv.failures.append(f"{t!r} {p:.3f} changes the label of {group[0]!r} {ps[0]:.3f}")
    return BehaviourReport([mft, neg, inv])
