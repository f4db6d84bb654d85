"""Shared entry-point plumbing for the stage modules."""

from __future__ import annotations

import argparse
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


def stage_main(description: str, load: Callable, flow: Callable) -> None:
    """``python -m flows.<stage> [--params FILE]``: bad params fail here, before Prefect starts."""
    args = parse_args(description)
    load(args.params)
    flow(str(args.params))
