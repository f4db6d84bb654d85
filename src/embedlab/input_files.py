"""Finding and reading input files, whatever their format.

A source (``data.source``, an extra corpus entry) names a file or a glob
(:func:`resolve_sources`). A line format is read through :class:`Lines`: the
decoded lines of a file, ``.gz`` or ``.bz2`` decompressed on the way, with exact
line numbers, the sha256 of the content and the tally of what was found
(:class:`FileReport`), malformed lines included (fatal at ``max_bad_fraction:
0``, else skipped and counted; either way the message names the file and the
line). Parsing a line into a record is the format's job (``embedlab.formats``).
"""

from __future__ import annotations

import bz2
import glob
import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedlab.errors import DataError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2"}
MAX_EXAMPLES = 5
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


# ------------------------------------------------------------------ finding
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


def display(path: Path, root: Path) -> str:
    """How messages name a file: relative to the project root when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


# ------------------------------------------------------------------ reading
def compression_of(path: Path) -> tuple[list[str], str | None]:
    """(the name's suffixes without the compression one, the compression or None)."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    return (suffixes[:-1] if compression else suffixes), compression


def first_line(path: Path, compression: str | None) -> str:
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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class Lines:
    """One input file as a format reads it: its decoded lines with exact line
    numbers (:attr:`lineno`), its :class:`FileReport`, and the malformed-line rule.

    Iterating handles a UTF-8 byte-order mark, CRLF endings, invalid UTF-8
    (reported with line and byte offset) and truncated or corrupt compressed
    streams. A format that knows its field names early (a header row, fixed
    fields) says so with :meth:`found_fields`, which checks them against the
    columns asked for at once and returns where each is found.
    """

    def __init__(self, path: Path, fmt: str, compression: str | None, *, max_bad_fraction: float,
                 chunk_rows: int, names: Sequence[str] | None = None,
                 progress: ProgressFn | None = None, where: str | None = None,
                 on_fields: Callable[[Sequence[str]], Any] | None = None):
        self.path, self.compression = path, compression
        self.where = where or str(path)
        self.report = FileReport(self.where, fmt, compression)
        self.max_bad_fraction, self.chunk_rows = max_bad_fraction, chunk_rows
        self.names = list(names) if names else None  # the fields of a header-less file
        self.progress = progress
        self.on_fields = on_fields
        self.lineno = 0

    def found_fields(self, names: Sequence[str]) -> Any:
        return self.on_fields(names) if self.on_fields else None

    # -- malformed lines
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

    # -- the lines
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
                    self.bad(self.lineno, f"invalid UTF-8 at byte {exc.start} of the line "
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
