"""Shared fixtures. Real components only: temporary stores, no mocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.scaffold import new_project
from harness.scaffold import stage_env as _stage_env

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture()
def mlflow_store(tmp_path, monkeypatch):
    """A fresh sqlite MLflow store for one test; returns its tracking URI."""
    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    (tmp_path / "mlruns").mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri


@pytest.fixture(scope="session")
def prefect_home(tmp_path_factory):
    """Prefect's database in a temp folder, not in the developer's ~/.prefect."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    return home


def make_project(dest: Path, params_overrides: str = "") -> Path:
    """A real git + DVC repository holding this project's pipeline definition."""
    return new_project(dest, params_overrides, ROOT)


def stage_env(project: Path) -> dict[str, str]:
    """Environment for running stages in ``project``: its own MLflow store."""
    return _stage_env(project)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Two tiny real Keras review models (tests/tiny_models.py), trained once per
    session: ``good`` and ``bad`` (trained on inverted labels)."""
    from tests.tiny_models import make_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {"good": make_model(root / "good"), "bad": make_model(root / "bad", flip=True)}


@pytest.fixture(scope="session")
def tiny_ngram_model(tmp_path_factory):
    """A tiny real review model with hashed word bigrams (train.ngrams: 2)."""
    from tests.tiny_models import make_model

    return make_model(tmp_path_factory.mktemp("tiny-ngram-model"), ngrams=2)
