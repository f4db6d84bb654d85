"""python -m benchmarks [NAME ...]

Without names: the quick benchmarks that need a finished `dvc repro` in this
project. Then `python -m docgen` rewrites the documents' figures from the results.
"""

from __future__ import annotations

import runpy
import sys

QUICK = ["repro", "original_question_speed", "word2vec_speed", "serving"]


def main(argv: list[str]) -> int:
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
