"""python -m benchmarks [NAME ...] | report

Without names: the quick benchmarks that need a finished `dvc repro` in this
project. `report` rewrites every generated block of README.md and docs/*.md
from the results files (= `python -m benchmarks.docs`).
"""

from __future__ import annotations

import runpy
import sys

QUICK = ["repro", "training_speed", "word2vec_speed", "serving"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["report"]:
        from benchmarks.docs import main as docs

        return docs(argv[1:])
    for name in argv or QUICK:
        print(f"== benchmarks.{name}", flush=True)
        saved = sys.argv
        sys.argv = [f"benchmarks.{name}"]
        try:
            runpy.run_module(f"benchmarks.{name}", run_name="__main__")
        finally:
            sys.argv = saved
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
