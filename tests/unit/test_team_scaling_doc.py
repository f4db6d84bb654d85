"""docs/scaling.md's figures come from benchmarks/results/team_scaling.json,
written by `python -m benchmarks.team_scaling`; the block fails here when stale."""

from __future__ import annotations

import json

import pytest

from benchmarks.common import RESULTS
from benchmarks.team_scaling import DOC, NAME, _linear_fit, block_in_doc, render


def test_scaling_doc_block_is_generated_from_the_results_file():
    results = json.loads((RESULTS / f"{NAME}.json").read_text())
    assert block_in_doc(DOC.read_text(encoding="utf-8")) == render(results), (
        f"{DOC.name}: the generated block 'team-scaling' is out of date with "
        f"benchmarks/results/{NAME}.json; run `python -m benchmarks.team_scaling --doc` and commit")


def test_linear_fit_recovers_a_line_and_measures_how_far_points_are_off_it():
    assert _linear_fit([1, 2, 4], [12.0, 14.0, 18.0]) == {
        "intercept_seconds": 10.0, "seconds_per_unit": 2.0, "worst_relative_residual": 0.0}
    bent = _linear_fit([1, 2, 4], [10.0, 20.0, 80.0])  # quadratic growth: far off any line
    assert bent["worst_relative_residual"] > 0.2
    assert bent["seconds_per_unit"] == pytest.approx(1020 / 42, abs=1e-3)  # least squares by hand


def test_trend_says_rises_or_falls_only_for_a_steady_change_beyond_the_tolerance():
    from benchmarks.team_scaling import _trend

    assert _trend([1.0, 2.0, 3.0]) == "rises"
    assert _trend([3.0, 2.0, 1.0]) == "falls"
    assert _trend([1.0, 1.5, 1.1]) == "no trend"      # up and down
    assert _trend([1.0, 1.05, 1.1]) == "no trend"     # steady but within 15 %
