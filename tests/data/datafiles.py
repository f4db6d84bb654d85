"""Tiny review fixtures for the data tests, written into tmp_path by the tests."""

from __future__ import annotations

import json
from pathlib import Path

from embedlab.config import DataParams

POS = ["great", "delicious", "love", "excellent", "tasty", "perfect", "wonderful"]
NEG = ["awful", "stale", "hate", "terrible", "bland", "broken", "disgusting"]
NOUNS = ["coffee", "tea", "cookies", "chips", "sauce", "pasta", "candy", "cereal", "soup", "jam"]


def review(i: int, positive: bool) -> str:
    """A distinct, deterministic review text."""
    words = POS if positive else NEG
    a, b = words[i % len(words)], words[(i // len(words)) % len(words)]
    noun = NOUNS[i % len(NOUNS)]
    verb = "would" if positive else "wouldn't"
    return f"The {noun} was {a} and {b}, batch {i}. I {verb} buy it again"


def reviews(n: int = 60, pos_every: int = 3) -> list[tuple[str, bool]]:
    """n reviews, one in ``pos_every`` negative."""
    return [(review(i, i % pos_every != 0), i % pos_every != 0) for i in range(n)]


def mcauley_rows(n: int = 60, new_names: bool = False) -> list[dict]:
    rows = []
    for i, (text, pos) in enumerate(reviews(n)):
        stars = 5 if pos else 1
        if new_names:
            rows.append({"rating": float(stars), "title": f"title {i}", "text": text,
                         "parent_asin": f"B{i % 12:05d}", "user_id": f"U{i}"})
        else:
            rows.append({"overall": float(stars), "summary": f"title {i}", "reviewText": text,
                         "asin": f"B{i % 12:05d}", "reviewerID": f"U{i}",
                         "unixReviewTime": 1300000000 + i})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    import gzip

    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


MCAULEY = dict(text_columns=["summary", "reviewText"], label_column="overall",
               label={"positive_min": 4, "negative_max": 2})


def data_params(**kw) -> DataParams:
    return DataParams(**kw)


