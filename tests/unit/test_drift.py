"""Embedding drift and probe-word reports, computed with numpy from two tables."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embedlab.config import ProbeParams
from embedlab.train.cells import InjectedFailure, check_injected_failure
from embedlab.train.drift import drift_summary, probe_report
from embedlab.train.grid import Cell

TOKENS = ["<pad>", "<oov>", "good", "bad", "great", "terrible", "tea", "coffee", "box"]


def _tables():
    rng = np.random.default_rng(0)
    before = rng.normal(size=(len(TOKENS), 4)).astype(np.float32)
    before[0] = 0
    # Word2Vec-like start: antonyms nearly parallel (they share contexts).
    before[3] = before[2] + 0.01
    before[5] = before[4] + 0.01
    after = before.copy()
    after[3] = -before[2]          # training pushed "bad" away from "good"
    after[6] += 0.5                # "tea" moved a little
    return before, after


def test_drift_summary_counts_only_rows_that_moved():
    before, after = _tables()
    metrics, rows = drift_summary({"embedding": before}, {"embedding": after})
    assert rows["embedding"].shape == (len(TOKENS) - 1,)  # padding row excluded
    assert metrics["drift_share_moved"] == pytest.approx(2 / 8)
    assert metrics["drift_max"] == pytest.approx(np.linalg.norm(after[3] - before[3]), rel=1e-5)
    assert metrics["drift_p50"] == 0.0
    multi, _ = drift_summary({"embedding_tuned": before}, {"embedding_tuned": before})
    assert set(multi) == {f"drift_tuned_{k}" for k in ("mean", "p50", "p90", "max", "share_moved")}
    assert multi["drift_tuned_share_moved"] == 0.0


def test_probe_report_sees_antonyms_pushed_apart():
    before, after = _tables()
    metrics, report = probe_report({"embedding": before}, {"embedding": after}, TOKENS, ProbeParams(topn=2))
    ant = report["embedding"]["antonyms"]
    assert set(ant) == {"good/bad", "great/terrible"}  # pairs missing from the vocabulary skipped
    assert ant["good/bad"]["before"] > 0.99 and ant["good/bad"]["after"] < -0.99
    assert ant["great/terrible"]["change"] == pytest.approx(0.0, abs=1e-4)
    assert metrics["drift_antonym_cos_change"] < -0.9
    nb = report["embedding"]["neighbours"]
    assert nb["good"]["before"][0][0] == "bad"          # nearest neighbour before training
    assert nb["good"]["after"][0][0] != "bad"
    assert all(t not in ("<pad>", "<oov>", "good") for t, _ in nb["good"]["after"])
    assert nb["great"]["self_cosine"] == pytest.approx(1.0)
    assert 0.0 <= metrics["drift_probe_overlap"] < 1.0


def test_fail_cells_hook_matches_patterns(monkeypatch):
    cell = Cell("w2v_frozen", "cbow", "cnn", 2, "w2v_frozen")
    monkeypatch.setenv("EMBEDLAB_FAIL_CELLS", "learned/*, w2v_frozen/*/seed2")
    with pytest.raises(InjectedFailure, match="w2v_frozen/cnn/seed2"):
        check_injected_failure(cell)
    check_injected_failure(Cell("w2v_frozen", "cbow", "cnn", 1, "w2v_frozen"))
    monkeypatch.delenv("EMBEDLAB_FAIL_CELLS")
    assert "EMBEDLAB_FAIL_CELLS" not in os.environ
    check_injected_failure(cell)
