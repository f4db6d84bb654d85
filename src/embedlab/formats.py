"""The format registry: every input file embedlab reads goes through here.

Formats (:data:`FORMATS`, extension -> reader): JSON Lines (the McAuley/SNAP
Amazon dumps, old and new field names), CSV / TSV with or without a header (the
Amazon Polarity dump is a header-less ``label,title,text`` CSV), fastText
(``__label__2 text``), Parquet, and plain text (one review a line, no label:
unlabeled corpora only); ``.gz`` and ``.bz2`` compression for the line formats.
Readers: the prepare stage (``data.Ingest``), the Word2Vec extra corpus
(:func:`read_texts`), ``embedlab predict --file`` (:func:`read_column`) and the
scheduler (:func:`resolve_sources`). Adding a format is one reader method on
``_Reader`` and one entry in :data:`FORMATS`.

Every reader yields pandas chunks of at most ``chunk_rows`` records holding the
requested columns plus ``_line`` (the line a record starts on; the row number
for Parquet), so memory stays bounded whatever the file size. Malformed lines
are either fatal (``max_bad_fraction: 0``, the default) or skipped and counted;
either way the message names the file and the line. For line formats the
number of records parsed is reconciled with the number of lines read, so rows
merged or split by a quoting rule show up in the report instead of passing
silently.
"""

from __future__ import annotations

import bz2
import csv
import glob
import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from embedlab.errors import DataError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2"}
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

MAX_EXAMPLES = 5
COLUMNS_KEY = "data.text_columns / data.label_column / data.group_column in params.yaml"
_GLOB_CHARS = set("*?[")

ProgressFn = Callable[[int], None]  # called with bytes of the current file read so far


@dataclass
class FileReport:
    """What reading one file found; goes into the data report."""

    path: str
    format: str
    compression: str | None = None
    lines: int = 0              # physical lines read (line formats) or rows (Parquet)
    blank_lines: int = 0
    records: int = 0            # records parsed
    malformed: int = 0          # lines skipped as malformed
    header_lines: int = 0
    multiline_records: int = 0  # records spanning more than one line (quoted newlines)
    merged_lines: int = 0       # lines beyond the first of those records
    examples: list[str] = field(default_factory=list)            # "line 7: why"
    multiline_examples: list[int] = field(default_factory=list)  # first lines of such records
    aliases: dict[str, str] = field(default_factory=dict)        # asked-for -> found column
    sha256: str = ""            # of the (decompressed) content

    @property
    def line_record_difference(self) -> int:
        """Non-blank, non-header lines minus records parsed minus lines skipped.

        Zero for a clean one-record-per-line file. Quoted newlines make it positive
        (``merged_lines`` says how much of it they explain): a stray quote that
        swallows lines into one field shows up here instead of passing silently.
        """
        if self.format == "parquet":
            return 0
        return self.lines - self.blank_lines - self.header_lines - self.malformed - self.records

    def summary(self) -> dict:
        return {
            "path": self.path, "format": self.format, "compression": self.compression,
            "lines": self.lines, "blank_lines": self.blank_lines,
            "header_lines": self.header_lines, "records": self.records,
            "malformed": self.malformed, "line_record_difference": self.line_record_difference,
            "multiline_records": self.multiline_records, "merged_lines": self.merged_lines,
            "multiline_first_lines": self.multiline_examples,
            "malformed_examples": self.examples, "column_aliases": self.aliases,
            "sha256": self.sha256,
        }


# ------------------------------------------------------------------ sources
def resolve_sources(source: str, root: Path | None = None, key: str = "data.source") -> list[Path]:
    """A path or a glob (``data/raw/*.jsonl.gz``, ``**`` allowed) to sorted files;
    ``key`` is the params key that named it, for the message."""
    root = root or Path.cwd()
    pattern = source if Path(source).is_absolute() else str(root / source)
    if _GLOB_CHARS & set(source):
        files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(f"{key}: the pattern {source!r} matches no files (looked from "
                            f"{root.resolve()}). Check the path, or download the data there first.")
        return files
    path = Path(pattern)
    if path.is_dir():
        raise DataError(f"{key}: {source!r} is a folder; give a file or a glob such as "
                        f"'{source.rstrip('/')}/*.jsonl.gz'.")
    if not path.exists():
        raise DataError(f"{key}: file {source!r} not found (looked from {root.resolve()}). "
                        "Check the path, or download the data there first.")
    return [path]


def detect_format(path: Path, fmt: str = "auto", where: str | None = None,
                  labelled: bool = True, key: str = "data.format in params.yaml") -> tuple[str, str | None]:
    """(format, compression) of a file; ``fmt`` other than 'auto' overrides the
    extension. ``labelled``: the file must be able to hold labels (data.source)."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    allowed = format_names(labelled)
    if fmt != "auto":
        if fmt not in allowed:
            raise DataError(f"{where or path}: unknown format {fmt!r}; choose auto, {', '.join(allowed)}")
        return fmt, compression
    ext = suffixes[-1] if suffixes else ""
    kind = EXTENSIONS.get(ext)
    if kind == "txt" and _first_line(path, compression).startswith(FASTTEXT_PREFIX):
        kind = "fasttext"
    if kind in allowed:
        return kind, compression
    if kind is not None:
        raise DataError(f"{where or path}: plain text holds no labels; give a labelled file "
                        "(JSON Lines, CSV, TSV, fastText, Parquet), or use it as "
                        "unlabeled text in embeddings.extra_corpus.")
    raise DataError(f"{where or path}: cannot tell the format from the name (extension {ext or 'none'!r}). "
                    f"Set {key} to one of {', '.join(allowed)}.")


def _first_line(path: Path, compression: str | None) -> str:
    try:
        with _open_binary(path, compression) as fh:
            return fh.readline(4096).lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    except (OSError, EOFError, zlib.error):
        return ""


def _open_binary(path: Path, compression: str | None):
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    return path.open("rb")


# ------------------------------------------------------------------ lines
class _Lines:
    """Decoded lines of a (compressed) text file with exact line numbers.

    Handles a UTF-8 byte-order mark, CRLF endings, invalid UTF-8 (reported with
    line and byte offset) and truncated or corrupt compressed streams.
    """

    def __init__(self, path: Path, compression: str | None, report: FileReport,
                 on_bad: Callable[[int, str], None], progress: ProgressFn | None,
                 where: str | None = None):
        self.path, self.compression, self.report = path, compression, report
        self.where = where or str(path)
        self.on_bad, self.progress = on_bad, progress
        self.lineno = 0

    def __iter__(self) -> Iterator[str]:
        digest = hashlib.sha256()
        offset = 0
        raw = self.path.open("rb")  # a file, or a member of an archive (zipfile.Path)
        try:
            if self.compression == "gzip":
                stream = gzip.GzipFile(fileobj=raw, mode="rb")
            elif self.compression == "bz2":
                stream = bz2.BZ2File(raw, mode="rb")
            else:
                stream = raw
            it = iter(stream)
            while True:
                try:
                    line = next(it)
                except StopIteration:
                    break
                except EOFError:
                    raise DataError(
                        f"{self.where}: the compressed file ends early, after line {self.lineno} "
                        "(a truncated download or copy?). Fetch it again; `gzip -t` checks a .gz "
                        "file.") from None
                except (OSError, zlib.error) as exc:
                    raise DataError(f"{self.where}: cannot decompress after line {self.lineno}: "
                                    f"{exc}. The file is corrupt or not {self.compression}; "
                                    "fetch it again or fix its extension.") from None
                self.lineno += 1
                digest.update(line)
                start = offset
                offset += len(line)
                if self.progress is not None and self.lineno % 4096 == 0:
                    self.progress(raw.tell())
                if self.lineno == 1:
                    if line.startswith((b"\xff\xfe", b"\xfe\xff")):
                        raise DataError(f"{self.where}: the file is UTF-16 encoded; convert it to "
                                        "UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 in > out).")
                    if line.startswith(b"\xef\xbb\xbf"):
                        line = line[3:]
                        start += 3
                line = line.rstrip(b"\r\n")
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    snippet = line[max(0, exc.start - 20): exc.start + 20]
                    self.on_bad(self.lineno, f"invalid UTF-8 at byte {exc.start} of the line "
                                             f"(byte offset {start + exc.start} in the "
                                             f"{'decompressed ' if self.compression else ''}file) "
                                             f"near {snippet!r}")
                    continue
                yield text
            if self.progress is not None:
                self.progress(raw.tell())
        finally:
            raw.close()
        self.report.lines = self.lineno
        self.report.sha256 = digest.hexdigest()


# ------------------------------------------------------------------ readers
class _Reader:
    def __init__(self, path: Path, fmt: str, compression: str | None, columns: Sequence[str],
                 max_bad_fraction: float, chunk_rows: int, names: Sequence[str] | None,
                 progress: ProgressFn | None, where: str | None = None):
        self.path, self.fmt, self.compression = path, fmt, compression
        self.where = where or str(path)
        self.wanted = list(columns)
        self.max_bad_fraction, self.chunk_rows = max_bad_fraction, chunk_rows
        self.names = list(names) if names else None
        self.progress = progress
        self.report = FileReport(self.where, fmt, compression)
        self.resolved: dict[str, str] | None = None  # wanted name -> name in the file
        self.columns_key = COLUMNS_KEY  # what the user sets to name columns (for messages)

    # -- errors
    def bad(self, lineno: int, why: str) -> None:
        self.report.malformed += 1
        if len(self.report.examples) < MAX_EXAMPLES:
            self.report.examples.append(f"line {lineno}: {why}")
        if self.max_bad_fraction == 0:
            raise DataError(f"{self.where}: line {lineno}: {why}. Fix or remove the line, or set "
                            "data.max_bad_fraction (e.g. 0.001) to skip and count malformed lines.")

    def check_bad_fraction(self) -> None:
        r = self.report
        total = r.records + r.malformed
        if r.malformed and r.malformed / max(total, 1) > self.max_bad_fraction:
            raise DataError(f"{self.where}: {r.malformed} of {total} lines are malformed "
                            f"({r.malformed / total:.2%} > data.max_bad_fraction "
                            f"{self.max_bad_fraction:g}); first ones: {'; '.join(r.examples)}. "
                            "Fix the file or raise data.max_bad_fraction.")

    def resolve(self, found: Sequence[str]) -> dict[str, str]:
        """Map the columns params ask for to columns of this file (McAuley aliases)."""
        present = set(found)
        mapping, missing = {}, []
        for name in self.wanted:
            if name in present:
                mapping[name] = name
            elif COLUMN_ALIASES.get(name) in present:
                mapping[name] = COLUMN_ALIASES[name]
                self.report.aliases[name] = COLUMN_ALIASES[name]
            else:
                missing.append(name)
        if missing:
            hint = ""
            if self.fmt in ("csv", "tsv") and not self.names and self.columns_key == COLUMNS_KEY:
                hint = (" If this file has no header row, name its fields with data.columns "
                        "(e.g. data.columns: [label, title, text] for Amazon Polarity).")
            raise DataError(f"{self.where}: column(s) {missing} not found; columns present: "
                            f"{list(found)}. Set {self.columns_key} to columns of this file.{hint}")
        return mapping

    # -- chunking
    def _chunks(self, rows: Iterator[tuple[int, dict]]) -> Iterator[pd.DataFrame]:
        cols: dict[str, list] = {c: [] for c in self.wanted}
        lines: list[int] = []
        for lineno, rec in rows:
            for c in self.wanted:
                cols[c].append(rec.get(self.resolved[c]))
            lines.append(lineno)
            if len(lines) >= self.chunk_rows:
                yield pd.DataFrame({**cols, "_line": lines})
                cols = {c: [] for c in self.wanted}
                lines = []
        if lines:
            yield pd.DataFrame({**cols, "_line": lines})

    def chunks(self) -> Iterator[pd.DataFrame]:
        fmt = FORMATS[self.fmt]
        if fmt.chunked:
            yield from fmt.records(self)
        else:
            yield from self._chunks(fmt.records(self))
        self.check_bad_fraction()

    def _lines(self) -> _Lines:
        return _Lines(self.path, self.compression, self.report, self.bad, self.progress,
                      self.where)

    def _jsonl(self) -> Iterator[tuple[int, dict]]:
        lines = self._lines()
        first: list[tuple[int, dict]] = []
        for text in lines:
            if not text.strip():
                self.report.blank_lines += 1
                continue
            if lines.lineno == 1 and text.lstrip().startswith("["):
                raise DataError(f"{self.where}: this is one JSON array, not JSON Lines (one object "
                                "per line). Convert it, e.g. `jq -c '.[]' in.json > out.jsonl`.")
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                self.bad(lines.lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(rec, dict):
                self.bad(lines.lineno, f"a JSON {type(rec).__name__}, not an object")
                continue
            self.report.records += 1
            if self.resolved is None:
                # Resolve columns from the keys of the first records, not just the first.
                first.append((lines.lineno, rec))
                if len(first) < 1000:
                    continue
                self.resolved = self.resolve(_keys(r for _, r in first))
                yield from first
                first = []
                continue
            yield lines.lineno, rec
        if self.resolved is None:
            if not first:
                raise DataError(f"{self.where}: no records found (empty file?).")
            self.resolved = self.resolve(_keys(r for _, r in first))
            yield from first

    def _delimited(self, delimiter: str, quoting: int) -> Iterator[tuple[int, dict]]:
        lines = self._lines()

        def source() -> Iterator[str]:
            for text in lines:
                yield text + "\n"

        reader = csv.reader(source(), delimiter=delimiter, quoting=quoting, strict=True)
        header: list[str] | None = None
        if self.names:
            header = self.names
            self.resolved = self.resolve(header)
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
                    why = f"not valid {self.fmt.upper()} ({exc})"
                self.bad(start, why)
                continue
            start, prev_end = prev_end + 1, lines.lineno
            if not row or (len(row) == 1 and not row[0].strip()):
                self.report.blank_lines += prev_end - start + 1
                continue
            span = prev_end - start + 1
            if header is None:
                header = [h.strip() for h in row]
                self.resolved = self.resolve(header)
                self.report.header_lines += span
                continue
            if self.names and start == 1 and [h.strip() for h in row] == self.names:
                self.report.header_lines += span  # a header equal to data.columns: skip it
                continue
            if len(row) != len(header):
                self.bad(start, f"{len(row)} fields where the header has {len(header)} "
                                f"({', '.join(header)})"
                         + (f"; the record spans lines {start}-{prev_end}, check its quotes"
                            if span > 1 else ""))
                continue
            self.report.records += 1
            if span > 1:
                self.report.multiline_records += 1
                self.report.merged_lines += span - 1
                if len(self.report.multiline_examples) < MAX_EXAMPLES:
                    self.report.multiline_examples.append(start)
            yield start, dict(zip(header, row))
        if header is None:
            raise DataError(f"{self.where}: no records found (empty file?).")

    def _csv(self) -> Iterator[tuple[int, dict]]:
        return self._delimited(",", csv.QUOTE_MINIMAL)

    def _tsv(self) -> Iterator[tuple[int, dict]]:
        # TSV has no quoting: a quote character is just a character.
        return self._delimited("\t", csv.QUOTE_NONE)

    def _fasttext(self) -> Iterator[tuple[int, dict]]:
        lines = self._lines()
        self.resolved = self.resolve(FASTTEXT_COLUMNS)
        for text in lines:
            if not text.strip():
                self.report.blank_lines += 1
                continue
            parts = text.split(None, 1)
            if not parts[0].startswith(FASTTEXT_PREFIX):
                self.bad(lines.lineno, f"does not start with {FASTTEXT_PREFIX}<label> "
                                       f"(starts with {text[:30]!r})")
                continue
            label = parts[0][len(FASTTEXT_PREFIX):]
            body = parts[1] if len(parts) > 1 else ""
            # Extra labels (multi-label lines) are not part of the text.
            while body.startswith(FASTTEXT_PREFIX):
                split = body.split(None, 1)
                body = split[1] if len(split) > 1 else ""
            self.report.records += 1
            yield lines.lineno, {"label": label, "text": body}

    def _txt(self) -> Iterator[tuple[int, dict]]:
        lines = self._lines()
        self.resolved = self.resolve(["text"])
        for text in lines:
            if not text.strip():
                self.report.blank_lines += 1
                continue
            self.report.records += 1
            yield lines.lineno, {"text": text}

    def _parquet(self) -> Iterator[pd.DataFrame]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path, pre_buffer=False)  # else memory grows with the file
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{self.where}: not a readable Parquet file ({exc}). Check the file, "
                            "or set data.format if the extension is wrong.") from None
        self.resolved = self.resolve(pf.schema_arrow.names)
        file_cols = list(dict.fromkeys(self.resolved.values()))
        row = 0
        try:
            for batch in pf.iter_batches(batch_size=self.chunk_rows, columns=file_cols):
                df = batch.to_pandas()
                out = pd.DataFrame({c: df[self.resolved[c]].to_numpy() for c in self.wanted})
                out["_line"] = range(row + 1, row + len(df) + 1)
                row += len(df)
                self.report.records += len(df)
                self.report.lines = row
                if self.progress is not None:
                    self.progress(int(self.path.stat().st_size * row / max(pf.metadata.num_rows, 1)))
                yield out
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{self.where}: cannot read Parquet after row {row}: {exc}") from None
        h = hashlib.sha256()
        with open(self.path, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        self.report.sha256 = h.hexdigest()


def _keys(records) -> list[str]:
    seen: dict[str, None] = {}
    for r in records:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    records: Callable[[_Reader], Iterator]  # (line, record) pairs, or DataFrames if chunked
    labelled: bool = True                   # can hold a label: usable as data.source
    fields: tuple[str, ...] | None = None   # fixed field names (no header in the format)
    chunked: bool = False


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("jsonl", (".jsonl", ".ndjson", ".json"), _Reader._jsonl),
    Format("csv", (".csv",), _Reader._csv),
    Format("tsv", (".tsv", ".tab"), _Reader._tsv),
    Format("fasttext", (".ft", ".fasttext"), _Reader._fasttext, fields=tuple(FASTTEXT_COLUMNS)),
    Format("parquet", (".parquet", ".pq"), _Reader._parquet, chunked=True),
    # A .txt whose first line starts with __label__ is fastText (see detect_format).
    Format("txt", (".txt", ".text"), _Reader._txt, labelled=False, fields=("text",)),
)}
EXTENSIONS = {ext: f.name for f in FORMATS.values() for ext in f.extensions}


def format_names(labelled: bool = True) -> list[str]:
    """The formats a params key may name: data.format (labelled) or an extra corpus."""
    return [name for name, f in FORMATS.items() if f.labelled or not labelled]


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
    reader = _Reader(path, kind, compression, columns, max_bad_fraction, chunk_rows, names,
                     progress, where)
    reader.columns_key = columns_key
    return reader.report, reader.chunks()


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
        kind, _ = detect_format(path, fmt, _display(path, root), labelled=False,
                                key=f"format on this {key} entry in params.yaml")
        columns = ["text"] if FORMATS[kind].fields else list(text_columns)
        _, chunks = read_chunks(path, columns, fmt=kind, where=_display(path, root),
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


def _display(path: Path, root: Path) -> str:
    """How messages name a file: relative to the project root when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


# ------------------------------------------------------------------ progress
class ProgressBar:
    """A rich progress bar over the bytes of the input files (compressed bytes
    for .gz), shown on long reads only; silent when disabled."""

    def __init__(self, files: Sequence[Path], enabled: bool):
        self.enabled = enabled
        self.sizes = [p.stat().st_size for p in files]
        self.done = 0
        self._progress = None
        self._task = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn,
                                       TransferSpeedColumn)

            self._progress = Progress(
                TextColumn("[bold]reading[/] {task.description}"), BarColumn(), DownloadColumn(),
                TransferSpeedColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[records]} records"),
                console=Console(stderr=True), transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task("input", total=sum(self.sizes), records=0)
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def for_file(self, i: int, name: str) -> ProgressFn | None:
        if self._progress is None:
            return None
        base = sum(self.sizes[:i])
        self._progress.update(self._task, description=name, completed=base)

        def update(pos: int) -> None:
            self._progress.update(self._task, completed=base + pos)

        return update

    def records(self, n: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, records=n)
