"""The committed grids (issue 31): each vectors variant the embeddings stage trains for a
grid is a strategy of its own, frozen; the seed's own strategy (`w2v_frozen`: Word2Vec in a
frozen Embedding) and the linear head are in `embedlab answer`'s default grid and in every
committed curve."""

from __future__ import annotations

import pytest

from benchmarks.curves import PRESETS
from embedlab import strategies
from embedlab.config import AnswerParams, GridParams, load_params
from embedlab.train.architectures import ARCHITECTURES

FROZEN = "w2v_frozen"


def _frozen_variants(entries: list[str]) -> set[str]:
    """The variants the grid runs frozen (a bare name uses grid.variant, as grid expansion does)."""
    return {(variant or GridParams().variant) for name, _, variant in (e.partition("@") for e in entries)
            if name == FROZEN}


def _check(entries: list[str], architectures: list[str], variants: set[str], where: str) -> None:
    for entry in entries:
        name, _, variant = entry.partition("@")
        assert name in strategies.STRATEGIES, f"{where}: unknown strategy {entry}"
        if strategies.get(name).needs_vectors:
            assert (variant or GridParams().variant) in variants, f"{where}: {entry} names a variant not trained"
    assert set(architectures) <= set(ARCHITECTURES), f"{where}: unknown architecture in {architectures}"
    assert FROZEN in entries and "linear" in architectures, where
    assert _frozen_variants(entries) == variants, f"{where}: every trained variant frozen, as its own strategy"


def test_the_answer_default_grid_runs_every_trained_variant_and_the_linear_head():
    answer = load_params().answer
    assert answer == AnswerParams()   # params.yaml repeats the defaults (tests/code/test_house.py too)
    _check(answer.strategies, answer.architectures, set(load_params().embeddings.variants), "params.yaml answer")


@pytest.mark.parametrize("dataset", sorted(PRESETS))
def test_every_committed_curve_runs_every_trained_variant_and_the_linear_head(dataset):
    preset = PRESETS[dataset]
    page = next(p for p in preset["passes"] if p.name == preset["answer_pass"])
    _check(page.strategies, page.architectures, set(preset["overrides"]["embeddings"]["variants"]), dataset)


def test_a_variant_left_out_is_caught():
    with pytest.raises(AssertionError, match="every trained variant"):
        _check(["learned", FROZEN], ["linear"], {"cbow", "glove6b"}, "x")


def test_an_unknown_architecture_is_caught():
    with pytest.raises(AssertionError, match="unknown architecture"):
        _check([FROZEN], ["linear", "transformer"], {"cbow"}, "x")


@pytest.mark.parametrize(("strategy", "architecture", "expected"), [
    ("w2v_frozen", "linear", "head only"), ("random_frozen", "linear", "head only"),
    ("learned", "linear", "trainable table"), ("w2v_finetuned", "linear", "fine-tuned vectors"),
    ("w2v_frozen", "meanpool", "frozen table"), ("w2v_unfreeze", "meanpool", "fine-tuned vectors")])
def test_the_curve_estimate_times_one_cell_per_way_of_training(strategy, architecture, expected):
    """`benchmarks.curves --estimate` times one cell of each kind: the kinds follow how the
    cell trains (a frozen table under the linear head is a logistic regression, not epochs)."""
    from benchmarks.curves import kind
    from embedlab.config import TrainParams
    from embedlab.train.grid import Cell

    variant = "cbow" if strategies.get(strategy).needs_vectors else None
    cell = Cell(strategy, variant, architecture, 1, strategy, 100)
    assert kind(cell, TrainParams()) == expected
    assert kind(cell, TrainParams(ngrams=2)) == ("trainable table" if expected in ("head only", "frozen table") else expected)


def test_the_estimate_scales_an_untimed_size_from_the_timed_size_below_it():
    from benchmarks.curves import scaled

    rows = {100: 100, 1000: 1000, 3000: 3000, "all": 40_000}.__getitem__
    measured = {1000: 10.0, 3000: 30.0}
    assert scaled(measured, 3000, rows) == (3000, 30.0)
    assert scaled(measured, "all", rows) == (3000, 400.0)       # 30 s x 40,000 / 3,000 rows
    assert scaled(measured, 100, rows) == (1000, 10.0)          # no timed size below: the smallest, unscaled


def test_the_estimate_reads_a_size_from_a_timed_size_of_its_own_regime():
    """A holdout size is not read from a cross-validated one (k fits a trial) where a
    holdout size was timed: 3,000 from 'all' (no more), not 300 x 10."""
    from benchmarks.curves import scaled

    rows = {100: 100, 300: 300, 1000: 1000, 3000: 3000, "all": 20_000}.__getitem__
    cv = lambda size: size != "all" and rows(size) < 2000   # noqa: E731
    measured = {300: 50.0, "all": 80.0}
    assert scaled(measured, 3000, rows, cv) == ("all", 80.0)
    assert scaled(measured, 1000, rows, cv) == (300, 50.0 * (1000 / 300))
    assert scaled(measured, 100, rows, cv) == (300, 50.0)
    assert scaled(measured, 3000, rows) == (300, 500.0)          # without regimes, as before
