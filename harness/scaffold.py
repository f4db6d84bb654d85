"""Copy this project's pipeline into a fresh git + DVC repository.

Used by the integration tests and the benchmarks to run the real pipeline in a
scratch folder with changed params, without touching the working copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def merge_params(params: dict, overrides: dict) -> dict:
    """Section-wise override: {section: {key: value}} replaces those keys only."""
    for section, values in overrides.items():
        if isinstance(values, dict) and isinstance(params.get(section), dict):
            params[section].update(values)
        else:
            params[section] = values
    return params


def new_project(dest: Path, overrides: str | dict = "", source: Path = ROOT) -> Path:
    """A git + DVC repository at ``dest`` holding the pipeline of ``source``.

    ``src/`` and ``flows/`` are copied because dvc.yaml lists them as stage
    dependencies; run stages with PYTHONPATH pointing at the copy (see stage_env).
    """
    dest = Path(dest)
    copy_pipeline(dest, overrides, source)
    (dest / "mlruns").mkdir(exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "embedlab", "GIT_AUTHOR_EMAIL": "embedlab@localhost",
           "GIT_COMMITTER_NAME": "embedlab", "GIT_COMMITTER_EMAIL": "embedlab@localhost",
           "DVC_NO_ANALYTICS": "1"}

    def run(*cmd: str) -> None:
        subprocess.run(cmd, cwd=dest, env=env, check=True, capture_output=True)

    run("git", "init", "-q")
    run(sys.executable, "-m", "dvc", "init", "-q")
    run(sys.executable, "-m", "dvc", "config", "core.analytics", "false")
    run(sys.executable, "-m", "dvc", "config", "core.site_cache_dir", ".dvc/tmp/site_cache")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "embedlab pipeline")
    return dest


def copy_pipeline(dest: Path, overrides: str | dict = "", source: Path = ROOT) -> None:
    """Copy (or refresh) the pipeline of ``source`` into ``dest``: dvc.yaml, the code
    (the old copy replaced, so a deleted module does not linger) and params.yaml
    with ``overrides`` merged in. A refreshed project reruns what the new code changes."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(source / name, dest / name)
    for name in ("src", "flows"):
        shutil.rmtree(dest / name, ignore_errors=True)
        shutil.copytree(source / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    if overrides:
        extra = yaml.safe_load(overrides) if isinstance(overrides, str) else overrides
        params = merge_params(yaml.safe_load((dest / "params.yaml").read_text()), extra)
        (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def stage_env(project: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running the stages of ``project``: its own MLflow store and
    its own copy of the sources first on the import path."""
    env = dict(os.environ if base is None else base)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlruns' / 'mlflow.db'}"
    env["DVC_SITE_CACHE_DIR"] = str(project / ".dvc" / "tmp" / "site_cache")
    env["DVC_NO_ANALYTICS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(project / "src"), str(project), env.get("PYTHONPATH", "")) if p)
    # dvc.yaml's commands say `python`: make it this interpreter (the project venv).
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    return env
