"""The behaviour checks themselves: what a constant model and a sensible one score."""

from __future__ import annotations

import numpy as np

from embedlab.evaluate.behaviour import NEGATION_PAIRS, run_checks
from embedlab_serving.text import tokenize

GOOD = {"delicious", "love", "loves", "great", "excellent", "best", "wonderful", "perfect", "good",
        "recommend", "enjoyed", "likes", "like"}
BAD = {"terrible", "stale", "awful", "bitter", "disgusting", "waste", "worst", "horrible", "bland",
       "tasteless", "sick", "disappointed", "poor", "broken", "not", "don't", "doesn't"}


def lexicon(texts):
    """A transparent 'model': share of positive minus negative words."""
    out = []
    for t in texts:
        toks = tokenize(t)
        score = sum(w in GOOD for w in toks) - sum(w in BAD for w in toks)
        out.append(1 / (1 + np.exp(-2 * score)))
    return np.array(out)


def test_constant_model_scores_one_half():
    rep = run_checks(lambda texts: np.full(len(texts), 0.7))
    m = rep.metrics()
    assert m["mft_pass_rate"] == 0.5          # half the clear reviews are negative
    assert m["negation_pass_rate"] == 0.0     # nothing gets lower
    assert m["invariance_pass_rate"] == 1.0
    assert m["pass_rate"] == 0.5 < 0.6        # below the default gate
    assert "negation" in rep.markdown() and "Failures" in rep.markdown()


def test_near_constant_model_gets_no_negation_credit_from_noise():
    rng = np.random.default_rng(0)
    rep = run_checks(lambda texts: 0.65 + rng.normal(0, 1e-4, len(texts)))
    assert rep.metrics()["negation_pass_rate"] == 0.0


def test_sensible_model_passes():
    rep = run_checks(lexicon)
    m = rep.metrics()
    assert m["mft_pass_rate"] == 1.0
    assert m["negation_pass_rate"] == 1.0
    assert m["invariance_pass_rate"] == 1.0
    assert rep.suites[1].total == len(NEGATION_PAIRS)


def test_wrong_number_of_outputs_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="returned"):
        run_checks(lambda texts: np.zeros(3))
