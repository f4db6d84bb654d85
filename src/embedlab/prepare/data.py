"""Reading review data into one shape: columns ``text`` (str), ``label``
(1 = positive, 0 = negative) and ``group`` (product id or None).

The source is a file, a glob, or an embedded data set (``embedlab.sources``:
the default ``embedded:amazon-fine-foods``, 5,000 real Amazon Fine Food reviews,
and ``embedded:imdb-50k``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import sources
from embedlab.config import DataParams, LabelRule, key_error
from embedlab.errors import DataError
from embedlab.formats import detect_format, join_text, read_chunks, unknown_format
from embedlab.input_files import MAX_EXAMPLES, FileReport, ProgressFn, resolve_sources


# Keys an embedded data set fills in when params.yaml leaves them null; a file source
# must name the first three (FILE_KEYS), its length percentile has a default.
FILE_KEYS = ("text_columns", "label_column", "label")
SOURCE_DEFAULT_KEYS = (*FILE_KEYS, "max_len_percentile")


def with_source_defaults(data: DataParams) -> DataParams:
    """``data`` with an embedded data set's own columns, label rule and length
    percentile in the keys left null (a file source: the file's length percentile)."""
    if not sources.is_embedded(data.source):
        if data.max_len_percentile is None:
            return data.model_copy(update={"max_len_percentile": sources.FILE_MAX_LEN_PERCENTILE})
        return data
    entry = sources.embedded_source(data.source)
    own = {"text_columns": list(entry.text_columns), "label_column": entry.label_column,
           "label": LabelRule(**entry.label), "max_len_percentile": entry.max_len_percentile}
    return data.model_copy(update={k: own[k] for k in SOURCE_DEFAULT_KEYS if getattr(data, k) is None})


def check_params(data: DataParams, path: Path | str) -> None:
    """What the schema leaves to this stage, as the schema's one-line error: the
    format and the embedded data set are names the registries know, a file source
    names its columns, and the label stays out of the text."""
    if why := unknown_format(data.format, labelled=True):
        raise key_error(path, "data.format", why, data.format)
    given = data.model_dump(exclude_unset=True)
    if sources.is_embedded(data.source):
        why = sources.unknown_embedded(data.source)
        if why:
            raise key_error(path, "data", why, given)
        if data.format != "auto" or data.columns is not None:
            raise key_error(path, "data", "format and columns describe a file; an embedded data set "
                            "knows its own: set format: auto and columns: null", given)
    elif unset := [k for k in FILE_KEYS if getattr(data, k) is None]:
        raise key_error(path, "data", f"a file source ({data.source!r}) needs {', '.join(unset)}: name "
                        "its text and label columns and the label values (null means an embedded "
                        "data set's own, and a file has none)", given)
    full = with_source_defaults(data)
    if full.label_column in full.text_columns:
        raise key_error(path, "data", f"label_column {full.label_column!r} is also in text_columns: "
                        "the label would leak into the text", given)


# Label outcomes of one row.
POSITIVE, NEGATIVE, NEUTRAL, UNMATCHED = 1, 0, -1, -2


def _as_label_strings(values: pd.Series) -> pd.Series:
    """Raw labels as strings, integral numbers without '.0' (2.0 -> '2'), so a
    Parquet float column matches ``positive_values: ['2']``."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(one)


def label_outcome(values: pd.Series, rule: LabelRule) -> np.ndarray:
    """Per row: 1 positive, 0 negative, -1 neutral (between the numeric thresholds),
    -2 matching no rule (missing, not a number for a numeric rule, an unlisted value)."""
    out = np.full(len(values), UNMATCHED, dtype=np.int8)
    if rule.positive_min is not None:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(numeric)
        out[known] = NEUTRAL
        out[known & (numeric >= rule.positive_min)] = POSITIVE
        out[known & (numeric <= rule.negative_max)] = NEGATIVE
        return out
    as_str = _as_label_strings(values)
    out[as_str.isin([str(v) for v in rule.positive_values or []]).to_numpy()] = POSITIVE
    out[as_str.isin([str(v) for v in rule.negative_values or []]).to_numpy()] = NEGATIVE
    return out


@dataclass
class _LabelTrouble:
    unmatched: int = 0
    rows: int = 0
    examples: list[str] = field(default_factory=list)
    values: dict[str, int] = field(default_factory=dict)


class Ingest:
    """Stream reviews from ``data.source`` as standard chunks: columns ``text``,
    ``label`` (int8, 1 positive / 0 negative), ``group`` (str or None), ``_line``.

    Rows dropped on the way are counted by reason in ``counts``; per-file reading
    statistics land in ``reports``. Errors name the file and line and say what
    to do; nothing is written here, so earlier outputs stay intact.
    """

    def __init__(self, params: DataParams, root: Path | None = None, progress: bool = False,
                 chunk_rows: int = 20_000):
        self.params = with_source_defaults(params)
        self.root = root or Path.cwd()
        self.progress = progress
        self.chunk_rows = chunk_rows
        self.counts: dict[str, int] = {"rows_read": 0, "dropped_malformed_lines": 0,
                                       "dropped_neutral_label": 0, "dropped_unmatched_label": 0,
                                       "dropped_empty_text": 0}
        self.reports: list[FileReport] = []
        self.label_values: dict[str, int] = {}
        self.embedded = (sources.embedded_source(params.source)
                         if sources.is_embedded(params.source) else None)
        self.files: list[Path] = []
        if self.embedded is not None and self.embedded.download:
            sources.setup_file(self.embedded.download, params.source)  # set-up ran?
        if self.embedded is None:
            self.files = resolve_sources(params.source, self.root)
            for f in self.files:  # unknown formats fail before any reading
                detect_format(f, params.format, self.display(f))

    def display(self, path: Path) -> str:
        """How messages name a file: relative to the project root when inside it."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    @property
    def source(self) -> str:
        return self.params.source

    @property
    def columns(self) -> list[str]:
        p = self.params
        return list(dict.fromkeys([*p.text_columns, p.label_column,
                                   *([p.group_column] if p.group_column else [])]))

    def chunks(self) -> Iterator[pd.DataFrame]:
        p = self.params
        if self.embedded is not None:
            report, chunks = self.embedded.read(self.columns, p.max_bad_fraction, self.chunk_rows)
            yield from self._read(report, chunks, report.path if report else self.source)
            return
        with ProgressBar(self.files, self.progress) as bar:
            for i, path in enumerate(self.files):
                where = self.display(path)
                report, chunks = read_chunks(
                    path, self.columns, fmt=p.format, max_bad_fraction=p.max_bad_fraction,
                    chunk_rows=self.chunk_rows, names=p.columns,
                    progress=bar.for_file(i, path.name), where=where)
                yield from self._read(report, chunks, where, bar)

    def _read(self, report: FileReport | None, chunks: Iterator[pd.DataFrame], where: str,
              bar: ProgressBar | None = None) -> Iterator[pd.DataFrame]:
        """Standard chunks of one input, its label trouble checked, its report kept."""
        if report is not None:
            self.reports.append(report)
        trouble = _LabelTrouble()
        for raw in chunks:
            yield self._standard(raw, where, trouble)
            if bar is not None:
                bar.records(self.counts["rows_read"])
        if report is not None:
            self.counts["dropped_malformed_lines"] += report.malformed
        self._check_labels(where, trouble, final=True)

    def _standard(self, raw: pd.DataFrame, where: str, trouble: _LabelTrouble) -> pd.DataFrame:
        p = self.params
        codes = label_outcome(raw[p.label_column], p.label)
        n = len(raw)
        self.counts["rows_read"] += n
        trouble.rows += n
        unmatched = codes == UNMATCHED
        if unmatched.any():
            bad = raw.loc[unmatched, [p.label_column, "_line"]]
            trouble.unmatched += int(unmatched.sum())
            for value, line in bad.head(MAX_EXAMPLES - len(trouble.examples)).itertuples(index=False):
                trouble.examples.append(f"line {line}: {value!r}")
            if len(trouble.values) < 1000:
                for v, c in bad[p.label_column].astype(str).value_counts().head(50).items():
                    trouble.values[v] = trouble.values.get(v, 0) + int(c)
            self._check_labels(where, trouble, final=False)
        if len(self.label_values) < 1000:
            for v, c in _as_label_strings(raw[p.label_column]).value_counts().head(50).items():
                self.label_values[str(v)] = self.label_values.get(str(v), 0) + int(c)
        self.counts["dropped_neutral_label"] += int((codes == NEUTRAL).sum())
        self.counts["dropped_unmatched_label"] += int(unmatched.sum())
        text = join_text(raw, p.text_columns)
        empty = (text == "").to_numpy()
        keep = (codes >= 0) & ~empty
        self.counts["dropped_empty_text"] += int(((codes >= 0) & empty).sum())
        out = pd.DataFrame({
            "text": text[keep].to_numpy(dtype=object),
            "label": codes[keep],
            "group": (raw.loc[keep, p.group_column].map(_group_value).to_numpy(dtype=object)
                      if p.group_column else None),
            "_line": raw["_line"].to_numpy()[keep],
        })
        return out

    def _check_labels(self, where: str, t: _LabelTrouble, final: bool) -> None:
        limit = self.params.max_bad_fraction
        if not t.unmatched:
            return
        if limit > 0 and not (final and t.unmatched / max(t.rows, 1) > limit):
            return
        rule = self.params.label
        if rule.positive_min is not None:
            what = (f"is missing or not a number (the rule is positive_min {rule.positive_min:g}"
                    f" / negative_max {rule.negative_max:g})")
            todo = ("Check data.label_column, or use data.label.positive_values / "
                    "negative_values for string labels")
        else:
            what = (f"is none of positive_values {rule.positive_values} / negative_values "
                    f"{rule.negative_values}")
            todo = "Add the values to data.label.positive_values / negative_values"
        top = ", ".join(f"{v!r} ({c})" for v, c in
                        sorted(t.values.items(), key=lambda kv: -kv[1])[:10])
        raise DataError(f"{where}: {t.unmatched} of {t.rows} rows read so far have a label "
                        f"({self.params.label_column!r}) that {what}: "
                        f"{'; '.join(t.examples)}. Values seen: {top}. {todo}, or raise "
                        "data.max_bad_fraction to drop such rows.")


def _group_value(v) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


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
