"""python -m docgen [--check] | embedding-math [...]: see docgen/__init__.py."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["embedding-math"]:
        from docgen.blocks.embedding_math import main as embedding_math

        embedding_math(argv[1:])
        return 0
    from docgen.generate import main as generate

    return generate(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
