"""Fixtures for the data tests: a runner for the real prepare stage on files
written into tmp_path (no TensorFlow, no Prefect)."""

from __future__ import annotations

import pytest

from embedlab.config import DataParams, PrepareParams, VocabParams
from embedlab.layout import Layout
from embedlab.prepare.stage import prepare


@pytest.fixture()
def run_prepare(tmp_path):
    """prepare() on params built from keywords, outputs under tmp_path."""
    layout = Layout(tmp_path)

    def run(vocab_min_count: int = 1, **kw) -> dict:
        params = PrepareParams(data=DataParams(**kw), vocab=VocabParams(min_count=vocab_min_count))
        return prepare(params, layout, root=tmp_path, progress=False)

    run.layout = layout
    run.root = tmp_path
    return run
