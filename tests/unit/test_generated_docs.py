"""Every figure in README.md and docs/ is written by a script from a results file
(docgen/generate.py + docgen/blocks/<document>.py), and a stale block fails here."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import docgen.blocks
from docgen import generate as docs
from docgen.registry import BLOCKS, Block

ROOT = Path(__file__).resolve().parents[2]


def test_every_generated_block_is_up_to_date():
    """Committed documents against committed sources: a user's own `dvc repro` that
    rewrites reports/ in the working tree does not make this fail."""
    stale = docs.run(ROOT, write=False, at_head=True)
    assert not stale, "\n".join(map(str, stale))


def test_every_block_function_has_a_place_in_a_document():
    unused = set(BLOCKS) - docs.used_blocks(ROOT)
    assert not unused, f"blocks defined under docgen/blocks/ but used in no document: {sorted(unused)}"


def test_each_block_is_written_by_its_documents_module():
    """docgen/blocks/<module>.py holds the blocks of its DOCUMENT, and only those."""
    module_of = {blk.name: blk.render.__module__ for blk in BLOCKS.values()}
    documents = {m.__name__: m.DOCUMENT for m in docgen.blocks.MODULES}
    misplaced = [f"{name} ({module_of[name]}) in {path.relative_to(ROOT).as_posix()}"
                 for path in docs.documents(ROOT) for name in docs.used_blocks_in(path)
                 if name in module_of and documents.get(module_of[name]) != path.relative_to(ROOT).as_posix()]
    assert not misplaced, f"blocks used outside their module's document: {misplaced}"


# ---- the mechanism, on a scratch project --------------------------------------------

@pytest.fixture()
def scratch(tmp_path, monkeypatch):
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "benchmarks" / "results" / "toy.json").write_text(json.dumps({"figures": {"speed": 1234.5}}))
    monkeypatch.setitem(BLOCKS, "toy", Block("toy", ("benchmarks/results/toy.json",),
                                             lambda r: f"{r['figures']['speed']:,.0f} reviews/s\nsecond line"))
    monkeypatch.setitem(BLOCKS, "toy-inline", Block("toy-inline", ("benchmarks/results/toy.json",),
                                                    lambda r: f"{r['figures']['speed']:.0f}"))
    return tmp_path


def test_blocks_are_filled_from_their_source_and_reported_stale_when_it_changes(scratch):
    doc = scratch / "docs" / "x.md"
    doc.write_text("# X\n\nSpeed:\n<!-- begin generated: toy -->\nold figure\n<!-- end generated -->\n\n"
                   "- a list item\n  <!-- begin generated: toy -->\n  <!-- end generated -->\n\n"
                   "Inline: <!-- begin generated: toy-inline -->9<!-- end generated --> reviews/s.\n")
    stale = docs.run(scratch, write=False)
    assert [s.block for s in stale] == ["toy", "toy", "toy-inline"]
    assert "run `python -m docgen`" in str(stale[0]) and "benchmarks/results/toy.json" in str(stale[0])
    assert "old figure" in doc.read_text()                                # --check writes nothing

    assert docs.run(scratch) and docs.run(scratch, write=False) == []     # written, then up to date
    text = doc.read_text()
    assert ("<!-- begin generated: toy (source: benchmarks/results/toy.json) -->\n1,234 reviews/s\nsecond line\n"
            "<!-- end generated -->") in text
    assert "  <!-- begin generated: toy (source: benchmarks/results/toy.json) -->\n  1,234 reviews/s\n" \
           "  second line\n  <!-- end generated -->" in text              # indented like its marker
    assert "Inline: <!-- begin generated: toy-inline (source: benchmarks/results/toy.json) -->1234" in text

    (scratch / "benchmarks" / "results" / "toy.json").write_text(json.dumps({"figures": {"speed": 99.0}}))
    assert [s.block for s in docs.run(scratch, write=False)] == ["toy", "toy", "toy-inline"]


def test_unknown_block_missing_end_marker_and_missing_source_are_clear_errors(scratch):
    doc = scratch / "docs" / "x.md"
    doc.write_text("line 1\n<!-- begin generated: nope -->\n<!-- end generated -->\n")
    with pytest.raises(docs.DocsError, match=r"docs/x.md:2: unknown generated block 'nope'"):
        docs.run(scratch, write=False)
    doc.write_text("<!-- begin generated: toy -->\nno end\n")
    with pytest.raises(docs.DocsError, match="docs/x.md: .* has no '<!-- end generated -->'"):
        docs.run(scratch, write=False)
    doc.write_text("<!-- begin generated: toy -->\n<!-- end generated -->\n")
    (scratch / "benchmarks" / "results" / "toy.json").unlink()
    with pytest.raises(docs.DocsError, match=r"toy.json: not found .*python -m benchmarks.toy"):
        docs.run(scratch, write=False)


def test_check_command_exits_1_naming_the_stale_block(scratch, monkeypatch, capsys):
    (scratch / "README.md").write_text("<!-- begin generated: toy -->\n<!-- end generated -->\n")
    monkeypatch.setattr(docs, "ROOT", scratch)
    assert docs.main(["--check"]) == 1
    assert "README.md: generated block 'toy' is out of date" in capsys.readouterr().out
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root), *args],
                   check=True, capture_output=True)


def test_the_check_reads_committed_sources_and_the_command_the_working_tree(scratch):
    """A source rewritten in the working tree only (a user's own `dvc repro`) leaves the
    committed document up to date; committing the new source makes it stale."""
    doc, source = scratch / "docs" / "x.md", scratch / "benchmarks" / "results" / "toy.json"
    doc.write_text("<!-- begin generated: toy-inline -->\n<!-- end generated -->\n")
    docs.run(scratch)
    _git(scratch, "init", "-q")
    _git(scratch, "add", ".")
    _git(scratch, "commit", "-q", "-m", "source and document")

    source.write_text(json.dumps({"figures": {"speed": 99.0}}))                 # working tree only
    assert docs.run(scratch, write=False, at_head=True) == []
    assert [s.block for s in docs.run(scratch, write=False)] == ["toy-inline"]  # the command sees it

    _git(scratch, "commit", "-q", "-am", "a new source, the document not rewritten")
    stale = docs.run(scratch, write=False, at_head=True)
    assert [s.block for s in stale] == ["toy-inline"] and "as committed (HEAD)" in str(stale[0])

    docs.run(scratch)                                                            # writes from the working tree
    assert "\n99\n<!-- end generated -->" in doc.read_text()
    assert docs.run(scratch, write=False, at_head=True) == []                   # the document is not read at HEAD


def test_an_untracked_source_is_read_from_the_working_tree(scratch):
    doc = scratch / "docs" / "x.md"
    doc.write_text("<!-- begin generated: toy-inline -->\n<!-- end generated -->\n")
    docs.run(scratch)
    _git(scratch, "init", "-q")
    _git(scratch, "add", "docs")
    _git(scratch, "commit", "-q", "-m", "the document only")
    assert docs.run(scratch, write=False, at_head=True) == []
    (scratch / "benchmarks" / "results" / "toy.json").write_text(json.dumps({"figures": {"speed": 5.0}}))
    assert [s.block for s in docs.run(scratch, write=False, at_head=True)] == ["toy-inline"]


# ---- figures outside generated blocks ---------------------------------------------------

# A measured figure: a number with a unit of time, size, speed or share, or a metric
# with three decimals. Outside generated blocks and code, only these may appear: they
# are constants of the code or the literature, not measurements.
MEASURED = re.compile(r"(?<![\w.-])\d[\d,.]*(?:–\d[\d,.]*)?\s?(?:ms|s|min|minutes|%|×|MB|GB|MiB|GiB|"
                      r"reviews/s|words/s|ex/s)(?![\w/])|(?<![\w.])0\.\d{3,}")
NOT_MEASURED = {
    "README.md": ["0.165 breaks"],            # a fastapi version
    "docs/scaling.md": ["15 s, 60 s",         # the schedule's retry backoff (flows/schedule.py)
                        "64 and 120 s, about 4 minutes",   # MLflow's default HTTP retry backoff
                        "restarted 10 s later"],  # the outage the fault test makes (test_team_stack.py)
    "docs/grid.md": ["20 s busy", "15 minutes"],   # MLflow's sqlite busy timeout; the first run's budget
    "docs/benchmarks.md": [],
    "docs/embeddings.md": ["3.6 GB", "≥ 0.9×", "400000 ×"],   # GoogleNews file size; a target; GloVe matrix shape
}


def _prose(text: str) -> str:
    text = docs.MARKED.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


@pytest.mark.parametrize("path", [p.relative_to(ROOT).as_posix() for p in docs.documents(ROOT)
                                  if p.name != "embedding-math.md"])
def test_no_measured_figure_is_typed_by_hand(path):
    text = _prose((ROOT / path).read_text(encoding="utf-8"))
    for allowed in NOT_MEASURED.get(path, []):
        text = text.replace(allowed, "")
    found = [m.group(0) for m in MEASURED.finditer(text)]
    assert not found, (f"{path}: figures typed by hand {found}: write them with a generated block "
                       "(docgen/blocks/<document>.py), or list a constant in NOT_MEASURED")


def test_params_comments_hold_no_measured_figure():
    """params.yaml is shown verbatim in the docs: its comments must not carry measurements."""
    comments = "\n".join(line.split("#", 1)[1] for line in (ROOT / "params.yaml").read_text().splitlines()
                         if "#" in line)
    found = [m.group(0) for m in MEASURED.finditer(comments)]
    assert not found, f"params.yaml comments hold measured figures {found}: put them in a generated block"


# ---- docs/embedding-math.md ---------------------------------------------------------------

def test_embedding_math_doc_matches_its_template():
    """The generated math document is its template with every placeholder filled: an edit
    of the template (or of the document by hand) without `python -m docgen embedding-math`
    fails here. (Its numbers need the run's models, so they are not recomputed.)"""
    template = (ROOT / "docs" / "embedding-math.template.md").read_text(encoding="utf-8")
    doc = (ROOT / "docs" / "embedding-math.md").read_text(encoding="utf-8")
    literal = re.split(r"\{\{[^{}]+\}\}", template)
    pattern = "(?s)" + "(.*?)".join(re.escape(part) for part in literal)
    assert re.fullmatch(pattern, doc), ("docs/embedding-math.md differs from docs/embedding-math.template.md "
                                        "outside its placeholders; run `python -m docgen embedding-math`")
