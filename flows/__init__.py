"""Thin Prefect 3 flows over ``embedlab``: each module is a DVC stage's command.

``python -m flows.<stage> [--params params.yaml]``. Flows pass file paths and
digests between tasks, never DataFrames or models.
"""

# Prefect reads its settings (server start-up timeout, analytics) when it is
# first imported, which happens before any stage's main() runs: the offline
# defaults must be in the environment first. They are defaults only (an explicit
# setting wins) and touch no files, tracking URI or folders.
from embedlab.runtime import configure_env as _configure_env

_configure_env()
