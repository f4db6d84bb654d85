"""Every supported format, written as a small real file, prepares end to end."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.data.datafiles import MCAULEY, mcauley_rows, reviews, write_jsonl

from embedlab.splits import read_split, read_vocab


def _total(report: dict) -> int:
    return sum(report[s]["reviews"] for s in ("train", "val", "test"))


def test_mcauley_jsonl_gz_old_field_names(run_prepare):
    rows = mcauley_rows(60)
    rows[5]["overall"] = 3.0  # neutral: dropped and counted
    write_jsonl(run_prepare.root / "reviews.jsonl.gz", rows)
    report = run_prepare(source="reviews.jsonl.gz", **MCAULEY)
    assert report["rows_read"] == 60
    assert report["dropped_neutral_label"] == 1
    assert _total(report) == 59
    assert report["files"] == 1 and report["line_record_difference"] == 0
    x, y = read_split(run_prepare.layout.split("train"))
    assert x.shape == (report["train"]["reviews"], report["max_len"])
    # title and body joined: the summary words are in the vocabulary
    assert "title" in read_vocab(run_prepare.layout.vocab)["tokens"]


def test_mcauley_new_field_names_found_through_aliases(run_prepare):
    write_jsonl(run_prepare.root / "new.jsonl", mcauley_rows(60, new_names=True))
    report = run_prepare(source="new.jsonl", group_column="asin", **MCAULEY)
    assert _total(report) == 60
    manifest = json.loads(run_prepare.layout.manifest.read_text())
    assert manifest["files"][0]["column_aliases"] == {
        "summary": "title", "reviewText": "text", "overall": "rating", "asin": "parent_asin"}
    assert any("read from 'text'" in n for n in report["notes"])


def test_glob_reads_every_matching_file(run_prepare):
    rows = mcauley_rows(80)
    (run_prepare.root / "raw").mkdir()
    write_jsonl(run_prepare.root / "raw" / "a.jsonl.gz", rows[:40])
    write_jsonl(run_prepare.root / "raw" / "b.jsonl.gz", rows[40:])
    report = run_prepare(source="raw/*.jsonl.gz", **MCAULEY)
    assert report["files"] == 2 and report["rows_read"] == 80


def test_amazon_polarity_csv_without_header_and_quoted_newlines(run_prepare):
    path = run_prepare.root / "train.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        for i, (text, pos) in enumerate(reviews(60)):
            body = text.replace(" and ", ",\nand ") if i == 7 else text  # embedded newline
            w.writerow(["2" if pos else "1", f"Title {i}", body])
    report = run_prepare(source="train.csv", columns=["polarity", "title", "text"],
                         text_columns=["title", "text"], label_column="polarity",
                         label={"positive_values": ["2"], "negative_values": ["1"]})
    assert _total(report) == 60
    assert report["multiline_records"] == 1
    assert report["lines_read"] == 61 and report["records_parsed"] == 60
    manifest = json.loads(run_prepare.layout.manifest.read_text())
    assert manifest["files"][0]["multiline_first_lines"] == [8]
    assert any("span several lines" in n and "61 lines gave 60 records" in n
               for n in report["notes"])


def test_polarity_numeric_rule_works_too(run_prepare):
    path = run_prepare.root / "p.csv"
    path.write_text("".join(f'"{2 if p else 1}","t","{t}"\n' for t, p in reviews(40)))
    report = run_prepare(source="p.csv", columns=["label", "title", "text"],
                         text_columns=["title", "text"], label_column="label",
                         label={"positive_min": 2, "negative_max": 1})
    assert _total(report) == 40


def test_csv_with_header_bom_and_crlf(run_prepare):
    lines = ["stars,review"] + [f"{5 if p else 1},\"{t}\"" for t, p in reviews(40)]
    (run_prepare.root / "r.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    report = run_prepare(source="r.csv", text_columns=["review"], label_column="stars",
                         label={"positive_min": 4, "negative_max": 2})
    assert _total(report) == 40 and report["line_record_difference"] == 0
    vocab = read_vocab(run_prepare.layout.vocab)["tokens"]
    assert not any("\r" in w or "\ufeff" in w for w in vocab)


def test_tsv_quotes_are_plain_characters(run_prepare):
    rows = [f"{'pos' if p else 'neg'}\t{t}" for t, p in reviews(40)]
    rows[3] = rows[3] + ' a stray " quote'
    rows[4] = rows[4] + ' 12" pizza'
    (run_prepare.root / "r.tsv").write_text("label\ttext\n" + "\n".join(rows) + "\n")
    report = run_prepare(source="r.tsv", text_columns=["text"], label_column="label",
                         label={"positive_values": ["pos"], "negative_values": ["neg"]})
    # Unbalanced quotes must not merge rows: every line is one record.
    assert report["records_parsed"] == 40 and report["line_record_difference"] == 0
    assert _total(report) == 40


def test_fasttext(run_prepare):
    lines = [f"__label__{2 if p else 1} {t}" for t, p in reviews(40)]
    (run_prepare.root / "train.ft.txt").write_text("\n".join(lines) + "\n")
    report = run_prepare(source="train.ft.txt", text_columns=["text"], label_column="label",
                         label={"positive_values": ["2"], "negative_values": ["1"]})
    assert _total(report) == 40
    assert "__label__2" not in read_vocab(run_prepare.layout.vocab)["tokens"]
    assert "label__2" not in read_vocab(run_prepare.layout.vocab)["tokens"]


def test_parquet_float_labels_match_string_values(run_prepare):
    texts, labels = zip(*reviews(40))
    pq.write_table(pa.table({"body": list(texts), "y": [2.0 if p else 1.0 for p in labels]}),
                   run_prepare.root / "r.parquet")
    report = run_prepare(source="r.parquet", text_columns=["body"], label_column="y",
                         label={"positive_values": ["2"], "negative_values": ["1"]})
    assert _total(report) == 40


def test_format_override_for_an_unusual_extension(run_prepare):
    write_jsonl(run_prepare.root / "dump.data", mcauley_rows(40))
    report = run_prepare(source="dump.data", format="jsonl", **MCAULEY)
    assert _total(report) == 40


@pytest.mark.parametrize("truncate", ["pre", "post"])
def test_fixed_max_len_and_truncation_side(run_prepare, truncate):
    rows = mcauley_rows(40)
    for r in rows:
        r["reviewText"] = "first " + r["reviewText"] + " last"
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    report = run_prepare(source="r.jsonl", max_len=3, truncate=truncate, **MCAULEY)
    assert report["max_len"] == 3
    assert sum(report[s]["truncated"] for s in ("train", "val", "test")) == 40
    vocab = read_vocab(run_prepare.layout.vocab)["tokens"]
    x, _ = read_split(run_prepare.layout.split("train"))
    kept = {vocab[i] for i in x[:, 0 if truncate == "post" else -1]}
    assert kept == ({"title"} if truncate == "post" else {"last"})


def test_embedded_default_still_works(run_prepare):
    report = run_prepare(sample=300)
    assert report["source"] == "embedded:amazon-fine-foods"
    assert report["sampled_to"] == 300 and _total(report) == 300
    assert run_prepare.layout.lengths_plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data_json = json.loads(run_prepare.layout.data_report.read_text())
    assert data_json["train"]["oov_rate"] >= 0 and "notes" not in data_json
