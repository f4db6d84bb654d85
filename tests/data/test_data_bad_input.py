"""Every bad input ends with a DataError/ConfigError that names the file (and the
line, column or key) and says what to do; earlier outputs stay as they were."""

from __future__ import annotations

import gzip
import json

import pytest
from tests.data.datafiles import MCAULEY, mcauley_rows, reviews, write_jsonl

from embedlab.errors import ConfigError, DataError
from embedlab.prepare.stage import load_prepare

CSV = dict(text_columns=["text"], label_column="label",
           label={"positive_values": ["pos"], "negative_values": ["neg"]})


def _csv_lines(n: int = 40) -> list[str]:
    return ["label,text"] + [f"{'pos' if p else 'neg'},\"{t}\"" for t, p in reviews(n)]


def test_missing_file(run_prepare):
    with pytest.raises(DataError, match=r"data.source: file 'nope.jsonl.gz' not found"):
        run_prepare(source="nope.jsonl.gz", **MCAULEY)


def test_empty_glob(run_prepare):
    with pytest.raises(DataError, match=r"pattern 'raw/\*.jsonl' matches no files"):
        run_prepare(source="raw/*.jsonl", **MCAULEY)


def test_unknown_format(run_prepare):
    (run_prepare.root / "r.xml").write_text("<reviews/>")
    with pytest.raises(DataError, match=r"r.xml: cannot tell the format .*'.xml'.*Set data.format"):
        run_prepare(source="r.xml", **MCAULEY)


def test_missing_column_lists_the_columns_found(run_prepare):
    write_jsonl(run_prepare.root / "r.jsonl", mcauley_rows(20))
    with pytest.raises(DataError) as err:
        run_prepare(source="r.jsonl", text_columns=["body"], label_column="overall",
                    label={"positive_min": 4, "negative_max": 2})
    msg = str(err.value)
    assert "r.jsonl" in msg and "['body'] not found" in msg
    assert "'reviewText'" in msg and "'overall'" in msg and "data.text_columns" in msg


def test_headerless_csv_hint(run_prepare):
    (run_prepare.root / "p.csv").write_text('"2","t","good"\n')
    with pytest.raises(DataError, match=r"p.csv: column\(s\) \['text', 'label'\] not found.*"
                                        r"data.columns"):
        run_prepare(source="p.csv", **CSV)


def test_malformed_json_line_aborts_with_line_number(run_prepare):
    lines = [json.dumps(r) for r in mcauley_rows(40)]
    lines[6] = '{"overall": 5.0, "reviewText": "cut off'
    (run_prepare.root / "r.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"r.jsonl: line 7: not valid JSON .*max_bad_fraction"):
        run_prepare(source="r.jsonl", **MCAULEY)


def test_malformed_lines_skipped_and_counted_under_max_bad_fraction(run_prepare):
    lines = [json.dumps(r) for r in mcauley_rows(60)]
    lines[6] = '{"overall": 5.0, "reviewText": "cut off'
    lines[9] = "[1, 2]"
    (run_prepare.root / "r.jsonl").write_text("\n".join(lines) + "\n")
    report = run_prepare(source="r.jsonl", max_bad_fraction=0.05, **MCAULEY)
    assert report["dropped_malformed_lines"] == 2
    assert any("line 7" in n and "line 10" in n for n in report["notes"])


def test_too_many_malformed_lines_abort(run_prepare):
    lines = [json.dumps(r) for r in mcauley_rows(40)]
    for i in range(0, 40, 4):
        lines[i] = "{oops"
    (run_prepare.root / "r.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"r.jsonl: 10 of 40 lines are malformed .*> "
                                        r"data.max_bad_fraction 0.05.*line 1:"):
        run_prepare(source="r.jsonl", max_bad_fraction=0.05, **MCAULEY)


def test_csv_row_with_wrong_field_count(run_prepare):
    lines = _csv_lines()
    lines[5] = "pos,too,many,fields"
    (run_prepare.root / "r.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"r.csv: line 6: 4 fields where the header has 2 "
                                        r"\(label, text\)"):
        run_prepare(source="r.csv", **CSV)


def test_csv_unbalanced_quote(run_prepare):
    lines = _csv_lines()
    lines[5] = 'pos,"this quote never closes'
    (run_prepare.root / "r.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"r.csv: line 6: .*(quote|CSV)"):
        run_prepare(source="r.csv", **CSV)


def test_invalid_utf8_names_line_and_byte_offset(run_prepare):
    lines = [line.encode() for line in _csv_lines()]
    lines[3] = b'pos,"caf\xe9 was good"'
    data = b"\n".join(lines) + b"\n"
    (run_prepare.root / "r.csv").write_bytes(data)
    offset = data.index(b"\xe9")
    with pytest.raises(DataError, match=rf"r.csv: line 4: invalid UTF-8 at byte 8 of the line "
                                        rf"\(byte offset {offset} in the file\)"):
        run_prepare(source="r.csv", **CSV)


def test_truncated_gz(run_prepare):
    blob = gzip.compress("".join(json.dumps(r) + "\n" for r in mcauley_rows(200)).encode())
    (run_prepare.root / "r.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match=r"r.jsonl.gz: the compressed file ends early, after line "
                                        r"\d+ .*truncated"):
        run_prepare(source="r.jsonl.gz", **MCAULEY)


def test_not_gzip_at_all(run_prepare):
    (run_prepare.root / "r.jsonl.gz").write_text('{"a": 1}\n')
    with pytest.raises(DataError, match=r"r.jsonl.gz: cannot decompress"):
        run_prepare(source="r.jsonl.gz", **MCAULEY)


def test_empty_and_whitespace_texts_dropped_and_counted(run_prepare):
    rows = mcauley_rows(60)
    for i in (2, 4):
        rows[i]["reviewText"], rows[i]["summary"] = "   \t ", ""
    rows[8]["reviewText"], rows[8]["summary"] = None, None
    rows[10]["reviewText"], rows[10]["summary"] = "!!! ...", ""  # text without any word
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    report = run_prepare(source="r.jsonl", **MCAULEY)
    assert report["dropped_empty_text"] == 3
    assert report["dropped_no_tokens"] == 1
    assert report["reviews"] == 56


def test_labels_matching_no_rule(run_prepare):
    lines = _csv_lines()
    lines[4] = 'maybe,"so so"'
    (run_prepare.root / "r.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        run_prepare(source="r.csv", **CSV)
    msg = str(err.value)
    assert "r.csv" in msg and "line 5: 'maybe'" in msg and "positive_values" in msg


def test_non_numeric_labels_for_a_numeric_rule(run_prepare):
    (run_prepare.root / "r.csv").write_text("\n".join(_csv_lines()) + "\n")
    with pytest.raises(DataError, match=r"r.csv: .*not a number .*line 2: 'neg'"):
        run_prepare(source="r.csv", text_columns=["text"], label_column="label",
                    label={"positive_min": 4, "negative_max": 2})


def test_single_class(run_prepare):
    rows = [r for r in mcauley_rows(60) if r["overall"] == 5.0]
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    with pytest.raises(DataError, match=r"r.jsonl: only one class \(positive\).*data.label"):
        run_prepare(source="r.jsonl", **MCAULEY)


def test_too_few_per_class_for_the_split(run_prepare):
    rows = mcauley_rows(60)
    rows = [r for r in rows if r["overall"] == 5.0] + [r for r in rows if r["overall"] == 1.0][:5]
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    with pytest.raises(DataError, match=r"smallest class \(negative\) has 5 reviews.*at least 10"):
        run_prepare(source="r.jsonl", **MCAULEY)


def test_utf16_file(run_prepare):
    (run_prepare.root / "r.csv").write_bytes("\n".join(_csv_lines()).encode("utf-16"))
    with pytest.raises(DataError, match=r"r.csv: the file is UTF-16 encoded; convert it"):
        run_prepare(source="r.csv", **CSV)


def test_json_array_instead_of_lines(run_prepare):
    (run_prepare.root / "r.json").write_text(json.dumps(mcauley_rows(3)))
    with pytest.raises(DataError, match=r"r.json: this is one JSON array, not JSON Lines"):
        run_prepare(source="r.json", **MCAULEY)


def test_fasttext_line_without_label(run_prepare):
    (run_prepare.root / "r.ft").write_text("__label__2 good stuff\nno label here\n")
    with pytest.raises(DataError, match=r"r.ft: line 2: does not start with __label__"):
        run_prepare(source="r.ft", text_columns=["text"], label_column="label",
                    label={"positive_values": ["2"], "negative_values": ["1"]})


@pytest.mark.parametrize("yaml_text, key", [
    ("data:\n  split: {train: 0.8, val: 0.3, test: 0.1}\n", "data.split"),
    ("data:\n  max_len: 0\n", "data"),
    ("data:\n  format: xml\n", "data.format"),
    ("data:\n  label: {positive_min: 2, negative_max: 4}\n", "data.label"),
    ("data:\n  text_columns: [review, score]\n", "data"),
])
def test_params_that_make_no_sense(tmp_path, yaml_text, key):
    path = tmp_path / "params.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_prepare(path)
    assert f"{path}: {key}" in str(err.value) and "Fix params.yaml" in str(err.value)


def test_failure_leaves_previous_outputs_intact(run_prepare):
    write_jsonl(run_prepare.root / "r.jsonl", mcauley_rows(60))
    run_prepare(source="r.jsonl", **MCAULEY)
    before = {p: p.read_bytes() for p in (run_prepare.layout.split("train"),
                                          run_prepare.layout.data_report,
                                          run_prepare.layout.lengths_plot)}
    (run_prepare.root / "r.jsonl").write_text("{broken\n")
    with pytest.raises(DataError):
        run_prepare(source="r.jsonl", **MCAULEY)
    assert {p: p.read_bytes() for p in before} == before
    leftovers = [p.name for p in run_prepare.layout.prepared.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_lines_swallowed_by_a_stray_quote_are_reported(run_prepare):
    lines = _csv_lines(60)
    lines[5] = 'pos,"a stray quote'  # swallows the next line, then breaks on its quote
    (run_prepare.root / "r.csv").write_text("\n".join(lines) + "\n")
    report = run_prepare(source="r.csv", max_bad_fraction=0.1, **CSV)
    assert report["dropped_malformed_lines"] == 1
    assert report["line_record_difference"] == 1  # 2 lines gone, 1 counted as malformed
    assert any("1 line(s) not accounted for" in n for n in report["notes"])


def test_columns_param_on_a_file_with_its_own_names(run_prepare):
    write_jsonl(run_prepare.root / "r.jsonl", mcauley_rows(20))
    with pytest.raises(DataError, match=r"r.jsonl: data.columns names the fields of header-less"):
        run_prepare(source="r.jsonl", columns=["a", "b"], **MCAULEY)
