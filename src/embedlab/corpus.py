"""Unlabeled review text for the Word2Vec corpus (``embeddings.extra_corpus``).

:func:`read_texts` is the one place the embeddings stage reads user text files.
It yields raw review strings; the caller tokenizes them with the project's one
tokenizer. Labels are never needed here, so rows without one are kept.

The prepare stage's data layer (``embedlab.data``) owns the labelled-review
readers; when it exposes a label-free text reader, the body of
:func:`read_texts` should become a call to it (same signature, same errors).
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from embedlab.config import ExtraCorpus
from embedlab.errors import DataError

_FASTTEXT_LABEL = re.compile(r"^(?:__label__\S+\s+)+")


def detect_format(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".gz", ".bz2"):
        name = name.removesuffix(suffix)
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    known = {"txt": "txt", "text": "txt", "jsonl": "jsonl", "json": "jsonl", "ndjson": "jsonl",
             "csv": "csv", "tsv": "tsv", "ft": "fasttext", "fasttext": "fasttext",
             "parquet": "parquet", "pq": "parquet"}
    if ext not in known:
        raise DataError(f"{path}: cannot tell the format from the extension {ext!r}; set "
                        "format: (txt, jsonl, csv, tsv, fasttext or parquet) on this "
                        "embeddings.extra_corpus entry in params.yaml.")
    return known[ext]


def expand(pattern: str, root: Path) -> list[Path]:
    """A path or a glob, relative to the project root."""
    full = pattern if Path(pattern).is_absolute() else str(root / pattern)
    paths = sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())
    if not paths:
        raise DataError(f"embeddings.extra_corpus: {pattern!r} matches no file (looked in "
                        f"{root.resolve()}). Fix the path or remove the entry.")
    return paths


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _join(values: list) -> str:
    return " ".join(str(v) for v in values if v is not None and str(v) != "nan").strip()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with _open_text(path) as fh:
            for n, line in enumerate(fh, 1):
                yield n, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid UTF-8 (byte offset {exc.start} of a line): "
                        "re-encode the file as UTF-8.") from None
    except (EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: truncated or corrupt gzip file ({exc}).") from None


def _columns_error(path: Path, wanted: list[str], found: list[str]) -> DataError:
    return DataError(f"{path}: text column(s) {wanted} not found; columns present: {found}. "
                     "Set text_columns on this embeddings.extra_corpus entry.")


def _read_one(path: Path, fmt: str, columns: list[str]) -> Iterator[str]:
    if fmt == "txt":
        for _, line in _lines(path):
            yield line
    elif fmt == "fasttext":
        for _, line in _lines(path):
            yield _FASTTEXT_LABEL.sub("", line)
    elif fmt == "jsonl":
        for n, line in _lines(path):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: line {n}: not valid JSON ({exc.msg}); fix or remove "
                                "the line.") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}: line {n}: expected a JSON object per line")
            if not any(c in row for c in columns):
                raise _columns_error(path, columns, sorted(row))
            yield _join([row.get(c) for c in columns])
    elif fmt in ("csv", "tsv"):
        with _open_text(path) as fh:
            reader = csv.reader(fh, delimiter="," if fmt == "csv" else "\t",
                                quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE)
            try:
                header = next(reader, None)
                if header is None:
                    return
                missing = [c for c in columns if c not in header]
                if missing:
                    raise _columns_error(path, columns, header)
                idx = [header.index(c) for c in columns]
                for row in reader:
                    yield _join([row[i] if i < len(row) else None for i in idx])
            except csv.Error as exc:
                raise DataError(f"{path}: line {reader.line_num}: malformed {fmt.upper()} "
                                f"({exc}).") from None
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: not valid UTF-8 near line {reader.line_num} "
                                f"(byte offset {exc.start}): re-encode the file as UTF-8.") from None
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise DataError(f"{path}: not a readable Parquet file ({exc}).") from None
        found = pf.schema_arrow.names
        missing = [c for c in columns if c not in found]
        if missing:
            raise _columns_error(path, columns, found)
        for batch in pf.iter_batches(columns=columns, batch_size=10_000):
            cols = [batch.column(c).to_pylist() for c in columns]
            for values in zip(*cols):
                yield _join(list(values))
    else:  # config validation makes this unreachable
        raise DataError(f"{path}: unknown format {fmt!r}")


def read_texts(spec: ExtraCorpus, root: Path = Path(".")) -> Iterator[str]:
    """Raw review texts of one ``extra_corpus`` entry (a file or a glob), streamed."""
    for path in expand(spec.path, root):
        fmt = detect_format(path) if spec.format == "auto" else spec.format
        yield from _read_one(path, fmt, list(spec.text_columns))
