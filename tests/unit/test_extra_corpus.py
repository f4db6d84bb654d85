"""Extra unlabeled text for Word2Vec: every format read, bad input named."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from embedlab.config import ExtraCorpus
from embedlab.errors import DataError
from embedlab.formats import read_texts


def _read(tmp_path, name: str, **kw) -> list[str]:
    spec = ExtraCorpus(path=name, **kw)
    return list(read_texts(spec.path, spec.text_columns, spec.format, tmp_path))


def test_every_format_is_read_without_labels(tmp_path):
    (tmp_path / "a.txt").write_text("first review\nsecond review\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text('title,body,stars\nNice,"good, really\nnice",\nMeh,bad,1\n',
                                    encoding="utf-8")
    (tmp_path / "c.tsv").write_text('body\tstars\nhe said "great\t5\n', encoding="utf-8")
    with gzip.open(tmp_path / "d.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"summary": "Yum", "reviewText": "tasty"}) + "\n\n")
        fh.write(json.dumps({"reviewText": "no summary here"}) + "\n")
    (tmp_path / "e.ft").write_text("__label__2 loved it\n__label__1 __label__x hated it\n", encoding="utf-8")
    pd.DataFrame({"text": ["from parquet", None]}).to_parquet(tmp_path / "f.parquet")

    assert _read(tmp_path, "a.txt") == ["first review", "second review"]
    assert _read(tmp_path, "b.csv", text_columns=["title", "body"]) == ["Nice good, really\nnice", "Meh bad"]
    assert _read(tmp_path, "c.tsv", text_columns=["body"]) == ['he said "great']
    assert _read(tmp_path, "d.jsonl.gz", text_columns=["summary", "reviewText"]) == [
        "Yum tasty", "no summary here"]
    assert _read(tmp_path, "e.ft") == ["loved it", "hated it"]
    assert _read(tmp_path, "f.parquet", text_columns=["text"]) == ["from parquet"]  # no empty texts
    assert _read(tmp_path, "*.txt") == ["first review", "second review"]   # globs
    assert _read(tmp_path, "a.txt", format="txt") == ["first review", "second review"]
    with pytest.raises(DataError, match=r"a\.txt: line 1: does not start with __label__"):
        _read(tmp_path, "a.txt", format="fasttext")


def test_bad_extra_corpus_input_is_named(tmp_path):
    with pytest.raises(DataError, match="matches no file"):
        _read(tmp_path, "nothing*.jsonl")
    (tmp_path / "x.jsonl").write_text('{"review": "ok"}\n{broken\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.jsonl: line 2: not valid JSON"):
        _read(tmp_path, "x.jsonl")
    (tmp_path / "y.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"column\(s\) \['review'\] not found; columns present: \['a', 'b'\]"):
        _read(tmp_path, "y.csv")
    (tmp_path / "z.weird").write_text("hi\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot tell the format"):
        _read(tmp_path, "z.weird")
    (tmp_path / "bad.txt").write_bytes(b"fine\n\xff\xfe broken\n")
    with pytest.raises(DataError, match=r"bad\.txt: line 2: invalid UTF-8"):
        _read(tmp_path, "bad.txt")
