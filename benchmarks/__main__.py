"""python -m benchmarks [NAME ...] | report

Without names: the quick benchmarks that need a finished `dvc repro` in this
project (repro, training_speed). `report` rewrites docs/benchmarks.md from
benchmarks/results/*.json.
"""

from __future__ import annotations

import runpy
import sys

QUICK = ["repro", "training_speed", "word2vec_speed", "serving"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["report"]:
        from benchmarks.report import main as report

        report()
        return 0
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
