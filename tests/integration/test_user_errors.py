"""User errors reach the terminal as one clear message, whichever entry point:
`python -m flows.<stage>` and `dvc repro` run as real subprocesses on bad inputs.
No "Traceback", the message names the file, line or key, and under `dvc repro`
the message says how to get the previous outputs back (which `dvc checkout` does).
"""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import make_project, stage_env
from tests.tinydata import reviews

TINY = """
data: {source: reviews.csv, text_columns: [text], label_column: label,
       label: {positive_values: ["1"], negative_values: ["0"]}}
embeddings: {variants: {cbow: {vector_size: 8, epochs: 1, seed: 1}}, track: false}
train: {epochs: 1, units: 4, embedding_dim: 8, batch_size: 32}
grid: {strategies: [learned], architectures: [meanpool], seeds: [1], baseline: false}
"""


def run(project: Path, env: dict, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)


def write_reviews(path: Path, n: int = 120) -> None:
    reviews(n, 7)[["text", "label"]].to_csv(path, index=False)


@pytest.fixture()
def project(tmp_path, prefect_home):
    project = make_project(tmp_path / "proj", TINY)
    write_reviews(project / "reviews.csv")
    env = stage_env(project)
    assert run(project, env, "embedlab.cli", "deps").returncode == 0
    return project, env


def assert_one_message(out: subprocess.CompletedProcess, pattern: str) -> str:
    import re

    text = out.stdout + out.stderr
    assert out.returncode != 0, text[-3000:]
    assert re.search(pattern, text), f"{pattern!r} not in:\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    return text


def test_an_error_inside_a_prefect_task_prints_one_message(project):
    """The malformed line is found while the prepare task reads the file."""
    root, env = project
    lines = (root / "reviews.csv").read_text().splitlines()
    lines.insert(5, '"an unbalanced quote,1')
    (root / "reviews.csv").write_text("\n".join(lines) + "\n")
    out = run(root, env, "flows.prepare")
    assert out.returncode == 2
    text = assert_one_message(out, r"reviews\.csv: line 6: a quoted field opened on line 6 never closes")
    assert text.count("never closes") == 1          # not repeated by the task's and flow's logs
    assert "Task run failed" not in text and "dvc checkout" not in text   # not run by DVC


def test_dvc_repro_failure_says_how_to_restore_and_checkout_restores(project):
    root, env = project
    good = run(root, env, "dvc", "repro", "prepare")
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    before = {p: p.read_bytes() for p in sorted((root / "data" / "prepared").iterdir())}

    (root / "reviews.csv").write_bytes(b"text,label\n\xff\xfe not utf-8,1\n")
    out = run(root, env, "dvc", "repro", "prepare")
    assert_one_message(out, r"reviews\.csv: line 2: invalid UTF-8")
    assert "dvc checkout prepare" in out.stderr
    assert not (root / "data" / "prepared").exists()       # DVC removed them before the stage ran

    restored = run(root, env, "dvc", "checkout", "prepare")
    assert restored.returncode == 0, restored.stderr
    assert {p: p.read_bytes() for p in sorted((root / "data" / "prepared").iterdir())} == before


# ------------------------------------------------------------- the catalogue
def _params(root: Path, **sections) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    for dotted, value in sections.items():
        *path, key = dotted.split("__")
        node = params
        for p in path:
            node = node.setdefault(p, {})
        node[key] = value
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def _file(name: str, data: bytes):
    def apply(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return apply


def _truncated_gzip(root: Path) -> None:
    full = gzip.compress((root / "reviews.csv").read_bytes())
    (root / "reviews.csv.gz").write_bytes(full[: len(full) // 2])
    _params(root, data__source="reviews.csv.gz")


def _one_class(root: Path) -> None:
    frame = reviews(60, 3)
    frame["label"] = 1
    frame[["text", "label"]].to_csv(root / "reviews.csv", index=False)


def _empty_texts(root: Path) -> None:
    (root / "reviews.csv").write_text("text,label\n" + "\n".join(f",{i % 2}" for i in range(60)) + "\n")


# (id, how to break the project, stage to run, what the message must say)
CATALOGUE = [
    ("missing file", lambda r: _params(r, data__source="nope.csv"), "prepare",
     r"data.source: file 'nope.csv' not found"),
    ("empty glob", lambda r: _params(r, data__source="raw/*.csv"), "prepare",
     r"data.source: the pattern 'raw/\*.csv' matches no files"),
    ("empty file", _file("reviews.csv", b""), "prepare", r"reviews\.csv: no records found"),
    ("missing column", lambda r: _params(r, data__label_column="stars"), "prepare",
     r"reviews\.csv: column\(s\) \['stars'\] not found; columns present: \['text', 'label'\]"),
    ("malformed JSON line", lambda r: (_file("r.jsonl", b'{"text": "ok", "label": 1}\n{broken\n')(r),
                                       _params(r, data__source="r.jsonl")), "prepare",
     r"r\.jsonl: line 2: not valid JSON"),
    ("invalid UTF-8", _file("reviews.csv", b"text,label\ngood,1\n\xff bad,0\n"), "prepare",
     r"reviews\.csv: line 3: invalid UTF-8"),
    ("truncated gzip", _truncated_gzip, "prepare", r"reviews\.csv\.gz: the compressed file ends early"),
    ("one class only", _one_class, "prepare", r"only one class \(positive\)"),
    ("random bytes", lambda r: (_file("r.jsonl", os.urandom(3000))(r), _params(r, data__source="r.jsonl")),
     "prepare", r"r\.jsonl: line \d+: (invalid UTF-8|not valid JSON|a JSON)"),
    ("all-empty texts", _empty_texts, "prepare", r"no usable reviews left"),
    ("bad split fractions", lambda r: _params(r, data__split={"train": 0.8, "val": 0.3, "test": 0.1}),
     "prepare", r"data.split: train \+ val \+ test must sum to 1"),
    ("typo key", lambda r: _params(r, data__sourec="reviews.csv"), "prepare", r"data.sourec: unknown key"),
    ("wrong type", lambda r: _params(r, train__epochs="many"), "train", r"train.epochs: .*integer"),
    ("inverted thresholds", lambda r: _params(r, data__label={"positive_min": 2, "negative_max": 4}),
     "prepare", r"negative_max must be below positive_min"),
    # DVC reads params.yaml before the stage runs, and says where it is broken itself.
    ("broken YAML", _file("params.yaml", b"data: [unclosed\n"), "prepare",
     r"unable to read: 'params.yaml', YAML file structure is corrupted[\s\S]*line 2, column 1"),
    ("pickled vectors", lambda r: (_file("vectors/mine.pkl", pickle.dumps({"good": [1.0]}))(r),
                                   _params(r, embeddings__variants={"mine": {"path": "vectors/mine.pkl"}})),
     "embeddings", r"vectors/mine\.pkl.*pickle"),
    ("garbage vectors", lambda r: (_file("vectors/junk.txt", b"hello world\nthis is not a vector file\n")(r),
                                   _params(r, embeddings__variants={"junk": {"path": "vectors/junk.txt"}})),
     "embeddings", r"vectors/junk\.txt: not a valid word2vec"),
    ("unknown strategy", lambda r: _params(r, grid__strategies=["nope"]), "train", r"unknown strategy 'nope'"),
    ("zero epochs", lambda r: _params(r, train__epochs=0), "train", r"train.epochs: .*greater than 0"),
    ("missing variant", lambda r: _params(r, grid__strategies=["w2v_frozen@nope"]), "train",
     r"vectors variant 'nope' has no matrix"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_home):
    """One tiny project run up to `train` once; each case breaks a copy of its state."""
    project = make_project(tmp_path_factory.mktemp("bad") / "proj", TINY)
    write_reviews(project / "reviews.csv")
    env = stage_env(project)
    assert run(project, env, "embedlab.cli", "deps").returncode == 0
    out = run(project, env, "dvc", "repro", "embeddings")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, capture_output=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "good"],
                   cwd=project, check=True, capture_output=True)
    return project, env


@pytest.mark.slow
@pytest.mark.parametrize("case,breaks,stage,message", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_through_dvc_repro_is_one_message(built, case, breaks, stage, message):
    root, env = built
    try:
        breaks(root)
        run(root, env, "embedlab.cli", "deps")       # what a user does after naming new files
        out = run(root, env, "dvc", "repro", stage)
        text = assert_one_message(out, message)
        # embedlab says "error: ..."; DVC itself, for a params.yaml it cannot parse, "ERROR: ..."
        said = [ln for ln in text.splitlines() if ln.lower().startswith("error")]
        assert said, text
        print(f"\n[{case}] dvc repro {stage}: {said[0]}")
    finally:
        subprocess.run(["git", "checkout", "--", "."], cwd=root, check=True, capture_output=True)
        subprocess.run(["git", "clean", "-fdq", "-e", "mlruns", "-e", ".prefect"], cwd=root,
                       check=True, capture_output=True)
        run(root, env, "dvc", "checkout")


def test_a_stage_outside_the_projects_environment_is_one_message():
    """A stage's command is `python -m flows.<stage>`, the first python on PATH: run
    without the venv active (`.venv/bin/dvc exp run`), that python lacks embedlab.
    `-S` makes this python one without its site-packages, as such a python is."""
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-S", "-m", "flows.prepare"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1
    text = assert_one_message(out, r"cannot import embedlab, prefect: it is not the project's environment")
    assert "source .venv/bin/activate" in text
