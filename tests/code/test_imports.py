"""The import rule docs/architecture.md states (Packages): heavy libraries are imported
inside the functions of `embedlab` that use them, and where a light start matters
(`embedlab --help`, `sources` read by dev.py) not even pandas or pyarrow load."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"tensorflow", "keras", "mlflow", "gensim", "matplotlib", "sklearn", "optuna", "dask", "distributed"}
FRAMES = {"pandas", "pyarrow"}


def top_level_imports(source: str) -> set[str]:
    """Top-level package names a module imports when it is imported (its body, and
    try/except blocks there; not functions, not `if TYPE_CHECKING:`)."""
    names, todo = set(), list(ast.parse(source).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
    return names


def test_the_walk_finds_top_level_imports_only():
    src = "import keras.layers\ntry:\n    import mlflow\nexcept ImportError:\n    pass\ndef f():\n    import gensim\n"
    assert top_level_imports(src) == {"keras", "mlflow"}


def test_heavy_libraries_are_imported_where_used():
    at_top = {p.relative_to(ROOT).as_posix(): sorted(top_level_imports(p.read_text(encoding="utf-8")) & HEAVY)
              for p in sorted((ROOT / "src" / "embedlab").rglob("*.py"))}
    assert not {k: v for k, v in at_top.items() if v}, at_top


def test_the_command_and_the_sources_start_light():
    probe = ("import sys, embedlab.cli, embedlab.sources; "
             f"print(sorted(m for m in {sorted(HEAVY | FRAMES)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout
