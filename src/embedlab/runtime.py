"""Process set-up for entry points (never run at import time)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

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

# Same commit, params and data -> the same numbers, bit for bit, on every x86-64 host
# with AVX2. Two machine properties change TensorFlow's sums, both measured on a cnn
# cell's predictions (docs/grid.md, Reproducible numbers):
# - the intra-op thread count (1 vs 2 threads differ; lstm and meanpool do not), so
#   every process that trains uses one thread, whatever the machine's cores, and
#   parallelism comes from worker processes (params.yaml: runner);
# - the instruction set oneDNN picks at run time (AVX-512 vs AVX2 kernels differ),
#   so oneDNN is capped at AVX2, which every such host has.
# Word2Vec's sums go through OpenBLAS (gensim calls scipy's BLAS), which also picks its
# kernels by CPU: measured here, the same corpus gave other vectors on an AMD host
# (OpenBLAS chose Haswell kernels) than on an AVX-512 Intel host (SkylakeX), and the
# same as that host once forced to SkylakeX. So OpenBLAS is pinned to its AVX2 kernels.
# An explicit setting in the environment still wins, and changes the numbers. Op
# determinism (embedlab.train.models) covers the kernels that would otherwise race.
TF_THREADS = 1
DETERMINISM_ENV = {"TF_NUM_INTRAOP_THREADS": str(TF_THREADS),
                   "TF_NUM_INTEROP_THREADS": str(TF_THREADS),
                   "ONEDNN_MAX_CPU_ISA": "AVX2",
                   "OPENBLAS_CORETYPE": "Haswell"}

def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the
    host's): the default number of worker processes follows it."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def configure_env() -> None:
    """Offline and deterministic defaults; an explicit setting in the environment wins."""
    for key, value in {**OFFLINE_ENV, **DETERMINISM_ENV}.items():
        os.environ.setdefault(key, value)


# A scheduler running the stage (flows/schedule.py) sets this to a file path; the
# stage writes its failure there so the scheduler can report the stage's own
# message and retry only failures that may pass on their own.
ERROR_FILE_ENV = "EMBEDLAB_ERROR_FILE"

_TRANSIENT_NAMES = {
    # requests / urllib3 / httpx (MLflow and Prefect clients), by class name so
    # this module imports none of them.
    "ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "RetryError",
    "MaxRetryError", "NewConnectionError", "ProtocolError", "RemoteDisconnected",
    "ConnectError", "ReadError", "RemoteProtocolError", "PoolTimeout", "WriteError",
}


def is_transient(exc: BaseException) -> bool:
    """True for failures a retry may fix: a tracking or Prefect server that is
    restarting or unreachable for a moment. User errors are never transient."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, EmbedlabError):
            return False
        if isinstance(cur, (ConnectionError, TimeoutError)):
            return True
        if type(cur).__name__ in _TRANSIENT_NAMES:
            return True
        # MLflow wraps every transport failure as "API request to <url> failed ...".
        if type(cur).__name__ == "MlflowException" and str(cur).startswith("API request to"):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def record_failure(exc: BaseException) -> None:
    path = os.environ.get(ERROR_FILE_ENV)
    if not path:
        return
    from embedlab.fileio import write_json

    message = str(exc) if isinstance(exc, EmbedlabError) else f"{type(exc).__name__}: {exc}"
    try:
        write_json(Path(path), {"type": type(exc).__name__, "message": message,
                                "transient": is_transient(exc)})
    except OSError:  # reporting must never hide the original failure
        pass


def user_error(exc: BaseException | None) -> EmbedlabError | None:
    """The user error behind ``exc`` (itself, or one it was raised from), if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, EmbedlabError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


class _UserErrorFilter(logging.Filter):
    """Keeps a user error off the terminal's Prefect log: the task's and the
    flow's tracebacks, and the state messages that repeat it. The entry point
    prints it once; Prefect's own API log (its UI) still gets everything."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        err = user_error(record.exc_info[1]) if record.exc_info else None
        if err is not None:
            self.messages.append(str(err)[:120])
            return False
        text = record.getMessage()
        return not any(m in text for m in self.messages)


def quiet_user_errors() -> None:
    """Install the filter on the console handlers Prefect configured (idempotent)."""
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler" and not any(
                isinstance(f, _UserErrorFilter) for f in handler.filters):
            handler.addFilter(_UserErrorFilter())


def _dvc_hint() -> str:
    """Under `dvc repro`, DVC removed the stage's outputs before running it."""
    stage = os.environ.get("DVC_STAGE")
    if not stage:
        return ""
    return (f"\n`dvc repro` removed the outputs of stage {stage} before running it; "
            f"`dvc checkout {stage}` brings the last good ones back from DVC's cache.")


def run_entry(fn, *args, **kwargs) -> None:
    """Run a stage entry point: user errors become one clear message and exit 2;
    a bug keeps its traceback."""
    quiet_user_errors()
    try:
        fn(*args, **kwargs)
    except EmbedlabError as exc:
        record_failure(exc)
        print(f"error: {exc}{_dvc_hint()}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: previous outputs are left as they were", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        record_failure(exc)
        raise
