"""The arithmetic behind docs/scaling.md's generated block `team-scaling`
(benchmarks/team_scaling.py measures, docgen/blocks/scaling.py writes; the staleness
of the block itself is tests/unit/test_generated_docs.py's)."""

from __future__ import annotations

import pytest

from docgen.blocks.scaling import _trend
from benchmarks.team_scaling import _linear_fit


def test_linear_fit_recovers_a_line_and_measures_how_far_points_are_off_it():
    assert _linear_fit([1, 2, 4], [12.0, 14.0, 18.0]) == {
        "intercept_seconds": 10.0, "seconds_per_unit": 2.0, "worst_relative_residual": 0.0}
    bent = _linear_fit([1, 2, 4], [10.0, 20.0, 80.0])  # quadratic growth: far off any line
    assert bent["worst_relative_residual"] > 0.2
    assert bent["seconds_per_unit"] == pytest.approx(1020 / 42, abs=1e-3)  # least squares by hand


def test_trend_says_rises_or_falls_only_for_a_steady_change_beyond_the_tolerance():
    assert _trend([1.0, 2.0, 3.0]) == "rises"
    assert _trend([3.0, 2.0, 1.0]) == "falls"
    assert _trend([1.0, 1.5, 1.1]) == "no trend"      # up and down
    assert _trend([1.0, 1.05, 1.1]) == "no trend"     # steady but within 15 %
