"""Thin Prefect 3 flows over ``embedlab``: each module is a DVC stage's command.

``python -m flows.<stage> [--params params.yaml]``. Flows pass file paths and
digests between tasks, never DataFrames or models.
"""

# Prefect reads its settings (server start-up timeout, analytics) when it is
# first imported, which happens before any stage's main() runs: the offline
# defaults must be in the environment first. They are defaults only (an explicit
# setting wins) and touch no files, tracking URI or folders.
import importlib.util as _util
import sys as _sys

# A stage's command is `python -m flows.<stage>`: the first `python` on PATH. Outside
# the project's environment that python has neither embedlab nor Prefect, and the
# import below would end in a traceback; say what to do instead.
_missing = [m for m in ("embedlab", "prefect") if _util.find_spec(m) is None]
if _missing:
    raise SystemExit(
        f"{_sys.executable} cannot import {', '.join(_missing)}: it is not the project's "
        "environment. Run `source .venv/bin/activate` in the project folder (the README's "
        "first command creates .venv), then run `dvc repro`, `dvc exp run` or "
        "`python -m flows.<stage>` again.")

from embedlab.runtime import configure_env as _configure_env  # noqa: E402

_configure_env()
