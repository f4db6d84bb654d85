"""Dedupe before split, group split, stratification, determinism, encoding."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from tests.data.datafiles import MCAULEY, mcauley_rows, write_jsonl

from embedlab import fileio
from embedlab.errors import DataError
from embedlab.prepare.stage import SPLITS, assign_splits, encode_batch
from embedlab_serving.text import encode, tokenize


def _split_texts(layout) -> dict[str, list[str]]:
    return {s: pq.read_table(layout.split(s), columns=["text"]).column(0).to_pylist()
            for s in SPLITS}


def _norm(text: str) -> str:
    return " ".join(tokenize(text))


def test_no_normalised_text_in_two_splits(run_prepare):
    rows = mcauley_rows(120)
    # Copies that differ only in case, HTML, spacing, punctuation, Unicode form.
    variants = [lambda t: t.upper(), lambda t: t.replace(" ", "  <br />"),
                lambda t: t + "!!!", lambda t: t.replace("The", "&quot;The&quot;"),
                lambda t: t.replace("a", "\uff41")]  # fullwidth a: NFKC folds it
    for i in range(0, 120, 3):
        dup = dict(rows[i])
        dup["reviewText"] = variants[i % len(variants)](dup["reviewText"])
        rows.append(dup)
        rows.append(dict(rows[i]))  # and an exact copy
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    report = run_prepare(source="r.jsonl", **MCAULEY)
    assert report["dropped_duplicates"] == 80
    assert report["duplicates_exact"] == 40 and report["duplicates_normalised_only"] == 40
    seen: dict[str, str] = {}
    for split, texts in _split_texts(run_prepare.layout).items():
        for t in texts:
            key = _norm(t)
            assert seen.setdefault(key, split) == split, f"{t!r} is in {seen[key]} and {split}"
    assert len(seen) == 120


def test_group_split_keeps_each_product_in_one_split(run_prepare):
    rows = mcauley_rows(300)
    for i, r in enumerate(rows):
        r["asin"] = f"P{i % 37}"
    write_jsonl(run_prepare.root / "r.jsonl", rows)
    report = run_prepare(source="r.jsonl", group_column="asin", **MCAULEY)
    text_to_group = {_norm(r["summary"] + " " + r["reviewText"]): r["asin"] for r in rows}
    where: dict[str, str] = {}
    for split, texts in _split_texts(run_prepare.layout).items():
        for t in texts:
            g = text_to_group[_norm(t)]
            assert where.setdefault(g, split) == split, f"product {g} in {where[g]} and {split}"
    assert report["groups"] == 37
    assert sum(report[s]["groups"] for s in SPLITS) == 37
    assert all(report[s]["positive"] and report[s]["negative"] for s in SPLITS)


def test_group_split_with_too_few_groups_says_so():
    labels = np.array([0, 1] * 20)
    groups = np.array([1] * 40, dtype=np.uint64)
    with pytest.raises(DataError, match=r"group_column gives val no reviews \(1 groups"):
        assign_splits(labels, (0.8, 0.1, 0.1), 1, "r.jsonl", groups)


def test_stratified_class_ratio_in_every_split():
    labels = np.array([1] * 700 + [0] * 300)
    codes = assign_splits(labels, (0.8, 0.1, 0.1), 7, "x")
    for code, size in ((0, 800), (1, 100), (2, 100)):
        part = labels[codes == code]
        assert len(part) == size
        assert part.mean() == pytest.approx(0.7, abs=0.01)


def test_group_split_is_roughly_stratified():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 400, 5000).astype(np.uint64)
    labels = (rng.random(5000) < 0.6).astype(np.int8)
    codes = assign_splits(labels, (0.8, 0.1, 0.1), 3, "x", groups)
    for code, frac in ((0, 0.8), (1, 0.1), (2, 0.1)):
        assert (codes == code).mean() == pytest.approx(frac, abs=0.03)
        assert labels[codes == code].mean() == pytest.approx(0.6, abs=0.06)
    for g in np.unique(groups):
        assert len(np.unique(codes[groups == g])) == 1


def test_same_seed_same_bytes_other_seed_other_split(run_prepare, tmp_path):
    write_jsonl(run_prepare.root / "r.jsonl", mcauley_rows(90))
    files = lambda: [run_prepare.layout.split(s) for s in SPLITS] + [run_prepare.layout.vocab]  # noqa: E731
    run_prepare(source="r.jsonl", **MCAULEY)
    first = fileio.file_digest(*files())
    run_prepare(source="r.jsonl", **MCAULEY)
    assert fileio.file_digest(*files()) == first
    run_prepare(source="r.jsonl", split={"train": 0.8, "val": 0.1, "test": 0.1, "seed": 43},
                **MCAULEY)
    assert fileio.file_digest(*files()) != first


@pytest.mark.parametrize("truncate", ["pre", "post"])
def test_encode_batch_matches_the_serving_encoder(truncate):
    index = {"<pad>": 0, "<oov>": 1, "a": 2, "b": 3, "c": 4}
    lists = [["a", "b", "zz", "c", "a"], [], ["c"], ["q", "q"], ["a", "b", "c"]]
    ids, oov = encode_batch(lists, index, 3, truncate)
    assert ids.tolist() == [encode(t, index, 3, truncate) for t in lists]
    assert oov == 3
