"""The train stage's progress line: `[k/N]`, the elapsed time and an estimate for the rest."""

from __future__ import annotations

from embedlab.train.stage import Progress


def test_progress_counts_cells_and_estimates_the_rest_from_the_mean_so_far():
    now = [100.0]
    progress = Progress(4, clock=lambda: now[0])
    now[0] += 30
    assert progress.step("learned/cnn/seed1: trained") == "[1/4] learned/cnn/seed1: trained (30s elapsed, about 1m30s left)"
    now[0] += 90
    assert progress.step("b") == "[2/4] b (2m00s elapsed, about 2m00s left)"
    now[0] += 1
    progress.step("c")
    assert progress.step("d") == "[4/4] d (2m01s elapsed)"     # the last line has nothing left to estimate
