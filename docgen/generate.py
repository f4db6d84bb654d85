"""Generated blocks: every measured figure in README.md and docs/ is written here.

A block in a Markdown file is two marker lines around text that nobody edits by hand:

    <!-- begin generated: serving-speed (source: benchmarks/results/serving.json) -->
    ... written by the function registered as `serving-speed` ...
    <!-- end generated -->

    python -m docgen           # rewrite every block of README.md and docs/**/*.md
    python -m docgen --check   # name the stale blocks and exit 1
    python -m docgen --check --head   # the same against the sources as committed (what the test does)

**Adding a block** = one function in the document's module under `docgen/blocks/`
(`docgen/blocks/<document>.py`), decorated with `@block("<name>", "<source>", ...)`,
plus the marker pair where its text goes (write `<!-- begin generated: <name> -->`;
the command fills in the sources). Sources are paths from the project root — a
results file (`benchmarks/results/*.json`), an output of the committed default run
(`reports/*.json`, `reports/grid.csv`, `reports/report.md`) or `params.yaml` — and
the function receives each one loaded: JSON as a dict or list, CSV as a DataFrame,
anything else as text; a glob as {file stem: loaded file}. A block's text depends
on its sources only (no clock, no file dates), so it is stale exactly when a source
changed and the command was not run. A marker may also sit inside a line
(`... <!-- begin generated: x -->3.2<!-- end generated --> ...`).

The command writes from the working tree. The staleness test reads each source as
git holds it at HEAD (the working tree only outside a git checkout or for a file git
does not track), so a user's own `dvc repro` that rewrites reports/ never fails it:
committed documents are compared with committed sources.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import docgen.blocks  # noqa: F401  (registers every block)
from docgen.registry import BLOCKS, Block

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "docs/*.md", "docs/*/*.md")
COMMAND = "python -m docgen"

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
    at_head: bool = False

    def __str__(self) -> str:
        where = " as committed (HEAD)" if self.at_head else ""
        return (f"{self.document}: generated block '{self.block}' is out of date with "
                f"{', '.join(self.sources)}{where}; run `{COMMAND}` and commit the result")


def documents(root: Path = ROOT) -> list[Path]:
    return sorted({p for pattern in DOCUMENTS for p in root.glob(pattern)})


def _parse(text: str, suffix: str) -> Any:
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".csv":
        import pandas as pd

        return pd.read_csv(io.StringIO(text))
    return text


def _git(root: Path, *args: str) -> str | None:
    """git's output in `root`, or None outside a checkout (or without a commit)."""
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except OSError:
        return None
    return out.stdout.decode("utf-8") if out.returncode == 0 else None


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
    """Loads each source once per command; a missing one is an error naming its producer.

    With `at_head`, a source is read as git holds it at HEAD (`git show HEAD:<path>`);
    a file HEAD does not hold (untracked) and any file outside a git checkout is read
    from the working tree."""

    def __init__(self, root: Path, at_head: bool = False):
        self.root, self.cache = root, {}
        listing = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD") if at_head else None
        self.committed = set(filter(None, listing.split("\0"))) if listing is not None else set()

    def _text(self, rel: str) -> str | None:
        if rel in self.committed:
            return _git(self.root, "show", f"HEAD:./{rel}")
        path = self.root / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _matches(self, pattern: str) -> list[str]:
        found = {p.relative_to(self.root).as_posix() for p in self.root.glob(pattern) if p.is_file()}
        parts = len(PurePosixPath(pattern).parts)
        found |= {p for p in self.committed
                  if len(PurePosixPath(p).parts) == parts and PurePosixPath(p).match(pattern)}
        return sorted(found)

    def get(self, source: str, block: str) -> Any:
        if source not in self.cache:
            if any(ch in source for ch in "*?["):
                self.cache[source] = {PurePosixPath(rel).stem: _parse(self._text(rel), PurePosixPath(rel).suffix)
                                      for rel in self._matches(source)}
            else:
                text = self._text(source)
                if text is None:
                    raise DocsError(f"{source}: not found (source of generated block '{block}'); "
                                    f"it is written by {_producer(source)}")
                self.cache[source] = _parse(text, PurePosixPath(source).suffix)
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
                            f"in its document's module under docgen/blocks/ (known: {', '.join(sorted(BLOCKS))})")
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


def run(root: Path = ROOT, write: bool = True, at_head: bool = False) -> list[Stale]:
    """Render every document (all of them before writing any), write the changed ones
    unless `write` is false, and return what was stale. `at_head`: read the sources as
    committed (a check only: the command writes from the working tree)."""
    from embedlab import fileio

    if write and at_head:
        raise ValueError("documents are written from the working tree's sources, not HEAD's")
    sources, stale, changed_docs = Sources(root, at_head), [], []
    for path in documents(root):
        rel = path.relative_to(root).as_posix()
        old = path.read_text(encoding="utf-8")
        new, changed = render_document(old, rel, sources)
        stale += [Stale(rel, name, BLOCKS[name].sources, at_head) for name in changed]
        if new != old:
            stale += [] if changed else [Stale(rel, "(marker line)", ())]
            changed_docs.append((path, new))
    for path, new in changed_docs if write else ():
        fileio.write_text(path, new)
    return stale


def used_blocks_in(path: Path) -> set[str]:
    return {m["name"] for m in MARKED.finditer(path.read_text(encoding="utf-8"))}


def used_blocks(root: Path = ROOT) -> set[str]:
    return {name for path in documents(root) for name in used_blocks_in(path)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block is stale")
    ap.add_argument("--head", action="store_true",
                    help="with --check: read the sources as committed at HEAD (what the test suite does)")
    args = ap.parse_args(argv)
    if args.head and not args.check:
        ap.error("--head only checks: the documents are written from the working tree")
    try:
        stale = run(ROOT, write=not args.check, at_head=args.head)
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
