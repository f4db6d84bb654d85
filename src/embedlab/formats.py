"""The format registry: how each kind of input file turns into records.

Formats (:data:`FORMATS`, extension -> reader): JSON Lines (the McAuley/SNAP
Amazon dumps, old and new field names), CSV / TSV with or without a header (the
Amazon Polarity dump is a header-less ``label,title,text`` CSV), fastText
(``__label__2 text``), Parquet, and plain text (one review a line, no label:
unlabeled corpora only); ``.gz`` and ``.bz2`` compression for the line formats
(``embedlab.input_files`` finds, decompresses and counts; this module parses).
Readers: the prepare stage (``data.Ingest``), the Word2Vec extra corpus
(:func:`read_texts`) and ``embedlab predict --file`` (:func:`read_column`).

Adding a format is one function ``read_<format>(lines)`` and one row in
:data:`FORMATS`. The function iterates the file's decoded lines, yields
``(line number, record dict)`` pairs, reports malformed lines with
``lines.bad(...)`` and counts blank, header and multi-line records in
``lines.report``; a format whose field names are known before its records (a
header row, fixed fields) announces them with ``lines.found_fields(...)``.

Every file comes out as pandas chunks of at most ``chunk_rows`` records holding
the requested columns plus ``_line`` (the line a record starts on; the row number
for Parquet), so memory stays bounded whatever the file size. For line formats
the number of records parsed is reconciled with the number of lines read, so
rows merged or split by a quoting rule show up in the report instead of passing
silently.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from embedlab.errors import DataError
from embedlab.input_files import (MAX_EXAMPLES, FileReport, Lines, ProgressFn, compression_of,
                                  display, file_sha256, first_line, resolve_sources)

FASTTEXT_PREFIX = "__label__"
FASTTEXT_COLUMNS = ["label", "text"]

# The McAuley dumps renamed their fields between the 2014/2018 and 2023 releases;
# a column asked for under one name is found under the other.
COLUMN_ALIASES = {
    "reviewText": "text", "text": "reviewText",
    "summary": "title", "title": "summary",
    "overall": "rating", "rating": "overall",
    "asin": "parent_asin", "parent_asin": "asin",
}

COLUMNS_KEY = "data.text_columns / data.label_column / data.group_column in params.yaml"
# A format that names its fields late (JSON Lines) is resolved from the keys of this many records.
_RESOLVE_FROM = 1000

Records = Iterator[tuple[int, dict]]


# ------------------------------------------------------------------ the formats
def read_jsonl(lines: Lines) -> Records:
    for text in lines:
        if not text.strip():
            lines.report.blank_lines += 1
            continue
        if lines.lineno == 1 and text.lstrip().startswith("["):
            raise DataError(f"{lines.where}: this is one JSON array, not JSON Lines (one object "
                            "per line). Convert it, e.g. `jq -c '.[]' in.json > out.jsonl`.")
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as exc:
            lines.bad(lines.lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(rec, dict):
            lines.bad(lines.lineno, f"a JSON {type(rec).__name__}, not an object")
            continue
        lines.report.records += 1
        yield lines.lineno, rec


def read_csv(lines: Lines) -> Records:
    return _delimited(lines, ",", csv.QUOTE_MINIMAL, "CSV")


def read_tsv(lines: Lines) -> Records:
    # TSV has no quoting: a quote character is just a character.
    return _delimited(lines, "\t", csv.QUOTE_NONE, "TSV")


def _delimited(lines: Lines, delimiter: str, quoting: int, kind: str) -> Records:
    def source() -> Iterator[str]:
        for text in lines:
            yield text + "\n"

    report, names = lines.report, lines.names
    reader = csv.reader(source(), delimiter=delimiter, quoting=quoting, strict=True)
    header: list[str] | None = None
    if names:
        header = names
        lines.found_fields(header)
    prev_end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = prev_end + 1
            prev_end = lines.lineno
            if "unexpected end of data" in str(exc):
                why = (f"a quoted field opened on line {start} never closes (it runs to the end "
                       f"of the file, line {lines.lineno}): an unbalanced quote character")
            else:
                why = f"not valid {kind} ({exc})"
            lines.bad(start, why)
            continue
        start, prev_end = prev_end + 1, lines.lineno
        if not row or (len(row) == 1 and not row[0].strip()):
            report.blank_lines += prev_end - start + 1
            continue
        span = prev_end - start + 1
        if header is None:
            header = [h.strip() for h in row]
            lines.found_fields(header)
            report.header_lines += span
            continue
        if names and start == 1 and [h.strip() for h in row] == names:
            report.header_lines += span  # a header equal to data.columns: skip it
            continue
        if len(row) != len(header):
            lines.bad(start, f"{len(row)} fields where the header has {len(header)} "
                             f"({', '.join(header)})"
                      + (f"; the record spans lines {start}-{prev_end}, check its quotes"
                         if span > 1 else ""))
            continue
        report.records += 1
        if span > 1:
            report.multiline_records += 1
            report.merged_lines += span - 1
            if len(report.multiline_examples) < MAX_EXAMPLES:
                report.multiline_examples.append(start)
        yield start, dict(zip(header, row))
    if header is None:
        raise DataError(f"{lines.where}: no records found (empty file?).")


def read_fasttext(lines: Lines) -> Records:
    lines.found_fields(FASTTEXT_COLUMNS)
    for text in lines:
        if not text.strip():
            lines.report.blank_lines += 1
            continue
        parts = text.split(None, 1)
        if not parts[0].startswith(FASTTEXT_PREFIX):
            lines.bad(lines.lineno, f"does not start with {FASTTEXT_PREFIX}<label> "
                                    f"(starts with {text[:30]!r})")
            continue
        label = parts[0][len(FASTTEXT_PREFIX):]
        body = parts[1] if len(parts) > 1 else ""
        # Extra labels (multi-label lines) are not part of the text.
        while body.startswith(FASTTEXT_PREFIX):
            split = body.split(None, 1)
            body = split[1] if len(split) > 1 else ""
        lines.report.records += 1
        yield lines.lineno, {"label": label, "text": body}


def read_txt(lines: Lines) -> Records:
    lines.found_fields(["text"])
    for text in lines:
        if not text.strip():
            lines.report.blank_lines += 1
            continue
        lines.report.records += 1
        yield lines.lineno, {"text": text}


def read_parquet(lines: Lines) -> Iterator[pd.DataFrame]:
    """Not a line format: record batches straight from the file, already in the
    columns asked for (``found_fields`` returns where each one is)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(lines.path, pre_buffer=False)  # else memory grows with the file
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{lines.where}: not a readable Parquet file ({exc}). Check the file, "
                        "or set data.format if the extension is wrong.") from None
    resolved = lines.found_fields(pf.schema_arrow.names)
    file_cols = list(dict.fromkeys(resolved.values()))
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=lines.chunk_rows, columns=file_cols):
            df = batch.to_pandas()
            out = pd.DataFrame({c: df[f].to_numpy() for c, f in resolved.items()})
            out["_line"] = range(row + 1, row + len(df) + 1)
            row += len(df)
            lines.report.records += len(df)
            lines.report.lines = row
            if lines.progress is not None:
                lines.progress(int(lines.path.stat().st_size * row / max(pf.metadata.num_rows, 1)))
            yield out
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{lines.where}: cannot read Parquet after row {row}: {exc}") from None
    lines.report.sha256 = file_sha256(lines.path)


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    read: Callable[[Lines], Iterator]     # (line, record) pairs, or DataFrames if chunked
    labelled: bool = True                 # can hold a label: usable as data.source
    fields: tuple[str, ...] | None = None  # fixed field names (no header in the format)
    chunked: bool = False


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("jsonl", (".jsonl", ".ndjson", ".json"), read_jsonl),
    Format("csv", (".csv",), read_csv),
    Format("tsv", (".tsv", ".tab"), read_tsv),
    Format("fasttext", (".ft", ".fasttext"), read_fasttext, fields=tuple(FASTTEXT_COLUMNS)),
    Format("parquet", (".parquet", ".pq"), read_parquet, chunked=True),
    # A .txt whose first line starts with __label__ is fastText (see detect_format).
    Format("txt", (".txt", ".text"), read_txt, labelled=False, fields=("text",)),
)}
EXTENSIONS = {ext: f.name for f in FORMATS.values() for ext in f.extensions}


def format_names(labelled: bool = True) -> list[str]:
    """The formats a params key may name: data.format (labelled) or an extra corpus."""
    return [name for name, f in FORMATS.items() if f.labelled or not labelled]


def unknown_format(fmt: str, labelled: bool = True) -> str | None:
    """Why a params key's format name is not one (a params error), or None when it is."""
    allowed = ["auto", *format_names(labelled)]
    return None if fmt in allowed else f"unknown format {fmt!r}; choose from {', '.join(allowed)}"


def detect_format(path: Path, fmt: str = "auto", where: str | None = None,
                  labelled: bool = True, key: str = "data.format in params.yaml") -> tuple[str, str | None]:
    """(format, compression) of a file; ``fmt`` other than 'auto' overrides the
    extension. ``labelled``: the file must be able to hold labels (data.source)."""
    suffixes, compression = compression_of(path)
    allowed = format_names(labelled)
    if fmt != "auto":
        if fmt not in allowed:
            raise DataError(f"{where or path}: unknown format {fmt!r}; choose auto, {', '.join(allowed)}")
        return fmt, compression
    ext = suffixes[-1] if suffixes else ""
    kind = EXTENSIONS.get(ext)
    if kind == "txt" and first_line(path, compression).startswith(FASTTEXT_PREFIX):
        kind = "fasttext"
    if kind in allowed:
        return kind, compression
    if kind is not None:
        raise DataError(f"{where or path}: plain text holds no labels; give a labelled file "
                        "(JSON Lines, CSV, TSV, fastText, Parquet), or use it as "
                        "unlabeled text in embeddings.extra_corpus.")
    raise DataError(f"{where or path}: cannot tell the format from the name (extension {ext or 'none'!r}). "
                    f"Set {key} to one of {', '.join(allowed)}.")


# ------------------------------------------------------------------ records -> chunks
class _Columns:
    """The columns params ask for, found in one file (McAuley aliases allowed)."""

    def __init__(self, wanted: Sequence[str], lines: Lines, fmt: str, columns_key: str):
        self.wanted, self.lines, self.fmt, self.columns_key = list(wanted), lines, fmt, columns_key
        self.resolved: dict[str, str] | None = None  # wanted name -> name in the file

    def resolve(self, found: Sequence[str]) -> dict[str, str]:
        present = set(found)
        mapping, missing = {}, []
        for name in self.wanted:
            if name in present:
                mapping[name] = name
            elif COLUMN_ALIASES.get(name) in present:
                mapping[name] = COLUMN_ALIASES[name]
                self.lines.report.aliases[name] = COLUMN_ALIASES[name]
            else:
                missing.append(name)
        if missing:
            hint = ""
            if self.fmt in ("csv", "tsv") and not self.lines.names and self.columns_key == COLUMNS_KEY:
                hint = (" If this file has no header row, name its fields with data.columns "
                        "(e.g. data.columns: [label, title, text] for Amazon Polarity).")
            raise DataError(f"{self.lines.where}: column(s) {missing} not found; columns present: "
                            f"{list(found)}. Set {self.columns_key} to columns of this file.{hint}")
        self.resolved = mapping
        return mapping

    def chunks(self, records: Records, chunk_rows: int) -> Iterator[pd.DataFrame]:
        cols: dict[str, list] = {c: [] for c in self.wanted}
        lines: list[int] = []
        for lineno, rec in self._resolved(records):
            for c in self.wanted:
                cols[c].append(rec.get(self.resolved[c]))
            lines.append(lineno)
            if len(lines) >= chunk_rows:
                yield pd.DataFrame({**cols, "_line": lines})
                cols = {c: [] for c in self.wanted}
                lines = []
        if lines:
            yield pd.DataFrame({**cols, "_line": lines})

    def _resolved(self, records: Records) -> Records:
        """The records, once the columns are resolved: at once when the format named its
        fields, else from the keys of the first records (not just the first one)."""
        first: list[tuple[int, dict]] = []
        for item in records:
            if self.resolved is not None:
                yield item
                continue
            first.append(item)
            if len(first) >= _RESOLVE_FROM:
                self.resolve(_keys(r for _, r in first))
                yield from first
                first = []
        if self.resolved is None:
            if not first:
                raise DataError(f"{self.lines.where}: no records found (empty file?).")
            self.resolve(_keys(r for _, r in first))
        yield from first


def _keys(records) -> list[str]:
    seen: dict[str, None] = {}
    for r in records:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def read_chunks(path: Path, columns: Sequence[str], *, fmt: str = "auto",
                max_bad_fraction: float = 0.0, chunk_rows: int = 20_000,
                names: Sequence[str] | None = None, progress: ProgressFn | None = None,
                where: str | None = None, columns_key: str = COLUMNS_KEY
                ) -> tuple[FileReport, Iterator[pd.DataFrame]]:
    """(report, chunks) for one file. The report fills in as the chunks are consumed.
    ``where`` is how messages name the file (default: the path). ``path`` may also
    be a ``zipfile.Path``: a line format read straight out of an archive (the
    embedded IMDB CSV inside its wheel), with the same line-level reporting."""
    kind, compression = detect_format(path, fmt, where, labelled=False)
    if kind == "parquet" and compression:
        raise DataError(f"{where or path}: Parquet compresses internally; decompress it first.")
    if names and kind not in ("csv", "tsv"):
        raise DataError(f"{where or path}: data.columns names the fields of header-less CSV/TSV "
                        f"files, and this is a {kind} file. Remove data.columns.")
    lines = Lines(path, kind, compression, max_bad_fraction=max_bad_fraction, chunk_rows=chunk_rows,
                  names=names, progress=progress, where=where)
    wanted = _Columns(columns, lines, kind, columns_key)
    lines.on_fields = wanted.resolve
    return lines.report, _checked(lines, wanted, FORMATS[kind])


def _checked(lines: Lines, wanted: _Columns, fmt: Format) -> Iterator[pd.DataFrame]:
    """The file's chunks, then the malformed-line rule over the whole file."""
    if fmt.chunked:
        yield from fmt.read(lines)
    else:
        yield from wanted.chunks(fmt.read(lines), lines.chunk_rows)
    lines.check_bad_fraction()


def join_text(raw: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The text columns joined with a space (title + body); missing parts skipped."""
    parts = [raw[c].map(_text_value) for c in columns]
    text = parts[0]
    for p in parts[1:]:
        text = text.str.cat(p, sep=" ")
    return text.str.strip()


def _text_value(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, str) else str(v)


def read_texts(source: str, text_columns: Sequence[str], fmt: str = "auto",
               root: Path | None = None, key: str = "embeddings.extra_corpus") -> Iterator[str]:
    """Raw texts (no labels needed) of a file or glob, streamed: the Word2Vec
    extra corpus. Formats with fixed fields (plain text, fastText) read ``text``."""
    root = root or Path.cwd()
    for path in resolve_sources(source, root, key):
        kind, _ = detect_format(path, fmt, display(path, root), labelled=False,
                                key=f"format on this {key} entry in params.yaml")
        columns = ["text"] if FORMATS[kind].fields else list(text_columns)
        _, chunks = read_chunks(path, columns, fmt=kind, where=display(path, root),
                                columns_key=f"text_columns on this {key} entry")
        for chunk in chunks:
            yield from (t for t in join_text(chunk, columns) if t)


def read_column(path: Path, column: str) -> list[str]:
    """One text column of a whole file (``embedlab predict --file``)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    kind, _ = detect_format(path, "auto", str(path), labelled=False,
                            key=f"the file's extension ({', '.join(EXTENSIONS)}); the format")
    _, chunks = read_chunks(path, ["text"] if FORMATS[kind].fields else [column], fmt=kind,
                            columns_key="--column")
    return [t for chunk in chunks for t in join_text(chunk, [chunk.columns[0]])]
