"""Shared fixtures. Real components only: temporary stores, no mocks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    """A real git + DVC repository holding this project's pipeline definition.

    The code is the installed package; src/ and flows/ are copied because dvc.yaml
    lists them as dependencies.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(ROOT / name, dest / name)
    for name in ("src", "flows"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (dest / "mlruns").mkdir(exist_ok=True)
    if params_overrides:
        import yaml

        params = yaml.safe_load((dest / "params.yaml").read_text())
        for section, values in yaml.safe_load(params_overrides).items():
            params.setdefault(section, {}).update(values)
        (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    run = lambda *c: subprocess.run(c, cwd=dest, env=env, check=True, capture_output=True)  # noqa: E731
    run("git", "init", "-q")
    run(sys.executable, "-m", "dvc", "init", "-q")
    run(sys.executable, "-m", "dvc", "config", "core.analytics", "false")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "init")
    return dest


def stage_env(project: Path) -> dict[str, str]:
    """Environment for running stages in ``project``: its own MLflow store."""
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlruns' / 'mlflow.db'}"
    env["DVC_SITE_CACHE_DIR"] = str(project / ".dvc" / "tmp" / "site_cache")
    # The project's own sources (copied) come first, like a user's checkout would.
    env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), str(project),
                                        env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Two tiny real Keras review models (tests/tiny_models.py), trained once per
    session: ``good`` and ``bad`` (trained on inverted labels)."""
    from tests.tiny_models import make_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {"good": make_model(root / "good"), "bad": make_model(root / "bad", flip=True)}
