"""A project's MLflow store records absolute artifact paths (MLflow resolves them
when it creates the experiment): a copied or moved project must not log into the
old folder. `tracking.setup` refuses with one message naming both folders."""

from __future__ import annotations

import shutil

import pytest

from embedlab import tracking
from embedlab.errors import EmbedlabError


def test_a_copied_project_refuses_the_store_it_brought(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    first, copy = tmp_path / "first", tmp_path / "copy"
    first.mkdir()
    _, experiment_id = tracking.setup(first)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.setup(first)[1] == experiment_id      # its own store: fine, again
    shutil.copytree(first, copy)
    # mlflow.set_tracking_uri (in setup) exports the store's URI; a stage process sets up once.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(EmbedlabError) as err:
        tracking.setup(copy)
    message = str(err.value)
    assert str(first / "mlruns" / "artifacts") in message and str(copy / "mlruns") in message
    assert "dvc repro" in message
