"""Shared entry-point plumbing for the stage modules."""

from __future__ import annotations

import argparse
import importlib
import threading
from collections.abc import Callable
from pathlib import Path

from embedlab.runtime import configure_env


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"),
                        help="params file (default: params.yaml in the current folder)")
    args = parser.parse_args()
    configure_env()
    return args


def stage_main(description: str, load: Callable, flow: Callable, warm: tuple[str, ...] = ()) -> None:
    """``python -m flows.<stage> [--params FILE]``: bad params fail here, before Prefect
    starts; then Prefect's server starts while the ``warm`` modules are imported."""
    args = parse_args(description)
    load(args.params)
    warm_start(*warm)
    flow(str(args.params))


def warm_start(*modules: str) -> None:
    """Start Prefect's temporary server while importing ``modules`` (what the
    stage's tasks import anyway), then wait for both.

    Without ``PREFECT_API_URL`` a flow run starts a temporary server first (4-10 s
    on 2 cores, in its own process) and its tasks import TensorFlow, MLflow or
    gensim after that; started here, the two overlap. Prefect's server object is
    one per process, so the flow finds it running. If this early start fails,
    the flow starts the server again and reports the failure itself."""
    from prefect.settings import PREFECT_API_URL

    thread = None
    if not PREFECT_API_URL.value():
        from prefect.server.api.server import SubprocessASGIServer

        def start() -> None:
            try:
                SubprocessASGIServer().start()
            except Exception:  # noqa: BLE001 - the flow's own start reports it
                pass

        thread = threading.Thread(target=start, name="prefect-server-start", daemon=True)
        thread.start()
    for name in modules:
        importlib.import_module(name)
    if thread is not None:
        thread.join()
