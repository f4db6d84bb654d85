"""Run every benchmark module in this folder that has a ``main()``, in name order.

``python -m benchmarks`` (what ``dev.py bench`` calls) runs them all;
``python -m benchmarks.<name>`` runs one with its own options.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    status = 0
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if mod.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{mod}")
        if hasattr(module, "main"):
            print(f"== benchmarks.{mod}", flush=True)
            status |= int(module.main([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
