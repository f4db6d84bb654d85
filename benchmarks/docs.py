"""Generated blocks: every measured figure in README.md and docs/*.md is written here.

A block in a Markdown file is two marker lines around text that nobody edits by hand:

    <!-- begin generated: serving-speed (source: benchmarks/results/serving.json) -->
    ... written by the function registered as `serving-speed` ...
    <!-- end generated -->

    python -m benchmarks.docs           # rewrite every block of README.md and docs/*.md
    python -m benchmarks.docs --check   # name the stale blocks and exit 1 (a default-CI test runs it)

**Adding a block** = one function in `benchmarks/blocks.py`, decorated with
`@block("<name>", "<source>", ...)`, plus the marker pair where its text goes (write
`<!-- begin generated: <name> -->`; the command fills in the sources). Sources are
paths from the project root — a results file (`benchmarks/results/*.json`), an
output of the committed default run (`reports/*.json`, `reports/grid.csv`,
`reports/report.md`) or `params.yaml` — and the function receives each one loaded:
JSON as a dict or list, CSV as a DataFrame, anything else as text; a glob as
{file stem: loaded file}. A block's text depends on its sources only (no clock, no
file dates), so it is stale exactly when a source changed and the command was not run.
A marker may also sit inside a line (`... <!-- begin generated: x -->3.2<!-- end generated --> ...`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.blocks import BLOCKS, Block

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "docs/*.md")
COMMAND = "python -m benchmarks.docs"

BEGIN = "<!-- begin generated:"
OPENED = re.compile(r"<!-- begin generated: [\w.@-]+")   # a real name: `<name>` in prose is not a marker
MARKED = re.compile(r"<!-- begin generated: (?P<name>[\w.@-]+)(?: \(source: [^)]*\))? -->"
                    r"(?P<body>.*?)<!-- end generated -->", re.S)


class DocsError(Exception):
    """A document or a block cannot be rendered; the message says where and what to do."""


@dataclass(frozen=True)
class Stale:
    document: str
    block: str
    sources: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.document}: generated block '{self.block}' is out of date with "
                f"{', '.join(self.sources)}; run `{COMMAND}` and commit the result")


def documents(root: Path = ROOT) -> list[Path]:
    return sorted({p for pattern in DOCUMENTS for p in root.glob(pattern)})


def _load_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".csv":
        import io

        import pandas as pd

        return pd.read_csv(io.StringIO(text))
    return text


# Results files whose script is not `benchmarks/<file stem>.py`.
PRODUCERS = {f"benchmarks/results/curves_{d}.json": f"python -m benchmarks.curves --dataset {d}"
             for d in ("amazon", "imdb")}


def _producer(source: str) -> str:
    if source in PRODUCERS:
        return f"`{PRODUCERS[source]}`"
    if source.startswith("benchmarks/results/"):
        return f"`python -m benchmarks.{Path(source).stem}`"
    return "`dvc repro` (the default run)"


class Sources:
    """Loads each source once per command; a missing one is an error naming its producer."""

    def __init__(self, root: Path):
        self.root, self.cache = root, {}

    def get(self, source: str, block: str) -> Any:
        if source not in self.cache:
            if any(ch in source for ch in "*?["):
                self.cache[source] = {p.stem: _load_file(p) for p in sorted(self.root.glob(source))}
            else:
                path = self.root / source
                if not path.is_file():
                    raise DocsError(f"{source}: not found (source of generated block '{block}'); "
                                    f"it is written by {_producer(source)}")
                self.cache[source] = _load_file(path)
        return self.cache[source]


def render_block(blk: Block, sources: Sources) -> str:
    return blk.render(*(sources.get(s, blk.name) for s in blk.sources)).strip("\n")


def render_document(text: str, where: str, sources: Sources) -> tuple[str, list[str]]:
    """The document with every block rewritten, and the names of the blocks whose text changed."""
    if len(OPENED.findall(text)) != len(MARKED.findall(text)):
        raise DocsError(f"{where}: a '{BEGIN} ...' marker has no '<!-- end generated -->' after it")
    changed: list[str] = []

    def sub(m: re.Match) -> str:
        name, body = m["name"], m["body"]
        blk = BLOCKS.get(name)
        if blk is None:
            line = text.count("\n", 0, m.start()) + 1
            raise DocsError(f"{where}:{line}: unknown generated block '{name}'; add a function for it "
                            f"in benchmarks/blocks.py (known: {', '.join(sorted(BLOCKS))})")
        new = render_block(blk, sources)
        if body.startswith("\n"):   # a block of lines, indented as its begin marker (e.g. in a list item)
            indent = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
            indent = indent if indent.isspace() else ""
            new = "\n".join(indent + line if line else line for line in new.split("\n"))
            new = f"\n{new}\n{indent}"
        if new != body:
            changed.append(name)
        return f"{BEGIN} {name} (source: {', '.join(blk.sources)}) -->{new}<!-- end generated -->"

    return MARKED.sub(sub, text), changed


def run(root: Path = ROOT, write: bool = True) -> list[Stale]:
    """Render every document (all of them before writing any), write the changed ones
    unless `write` is false, and return what was stale."""
    from embedlab import fileio

    sources, stale, changed_docs = Sources(root), [], []
    for path in documents(root):
        rel = path.relative_to(root).as_posix()
        old = path.read_text(encoding="utf-8")
        new, changed = render_document(old, rel, sources)
        stale += [Stale(rel, name, BLOCKS[name].sources) for name in changed]
        if new != old:
            stale += [] if changed else [Stale(rel, "(marker line)", ())]
            changed_docs.append((path, new))
    for path, new in changed_docs if write else ():
        fileio.write_text(path, new)
    return stale


def used_blocks(root: Path = ROOT) -> set[str]:
    return {m["name"] for path in documents(root) for m in MARKED.finditer(path.read_text(encoding="utf-8"))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block is stale")
    args = ap.parse_args(argv)
    try:
        stale = run(ROOT, write=not args.check)
    except DocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for s in stale:
        print(s if args.check else f"rewrote {s.document}: {s.block}")
    if not stale:
        print("every generated block is up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
