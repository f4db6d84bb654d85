"""Process set-up for entry points (never run at import time)."""

from __future__ import annotations

import os
import sys

from embedlab.errors import EmbedlabError

OFFLINE_ENV = {
    # Nothing phones home: the machine running this may have no network at all.
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "DVC_NO_ANALYTICS": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # A temporary Prefect server needs ~16 s on a fresh database on 2 cores;
    # the default 20 s is too tight on a busy machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # Git-free MLflow runs (no warning about a missing git executable in pyfunc).
    "GIT_PYTHON_REFRESH": "quiet",
}


def configure_env() -> None:
    """Offline defaults; an explicit setting in the environment wins."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def run_entry(fn, *args, **kwargs) -> None:
    """Run a stage entry point: user errors become one clear message and exit 2."""
    try:
        fn(*args, **kwargs)
    except EmbedlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: previous outputs are left as they were", file=sys.stderr)
        sys.exit(130)
