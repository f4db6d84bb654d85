"""Every relative link in README.md and docs/ reaches a file, and every `#anchor` a
heading of it, as GitHub renders them: a section moved between documents must take
its links along (the README once pointed at a scaling.md anchor that had been renamed)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"```.*?```", re.S)
HEADING = re.compile(r"^#+ (.*)$", re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(FENCE.sub("", doc.read_text(encoding="utf-8")))}


def broken_links(doc: Path) -> list[str]:
    out = []
    for link in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", link):   # http(s), mailto: not checked (no network in tests)
            continue
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        if not target.exists():
            out.append(f"{link} (no such file)")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            out.append(f"{link} (no such heading)")
    return out


def test_the_slug_follows_github():
    assert slug("4. Prefect: server on PostgreSQL, work pools and workers") == \
        "4-prefect-server-on-postgresql-work-pools-and-workers"
    assert slug("Word n-grams (`train.ngrams`): a third answer") == "word-n-grams-trainngrams-a-third-answer"


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Served, or from a work pool\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text("[ok](other.md#served-or-from-a-work-pool) [gone](other.md#4-prefect) [none](nope.md)\n",
                   encoding="utf-8")
    assert broken_links(doc) == ["other.md#4-prefect (no such heading)", "nope.md (no such file)"]


def test_every_link_of_the_readme_and_docs_resolves():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = {str(d.relative_to(ROOT)): b for d in docs if (b := broken_links(d))}
    assert broken == {}
