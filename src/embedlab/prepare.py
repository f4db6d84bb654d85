"""Stage ``prepare``: reviews in; deduplicated, split, tokenized and encoded data out.

ingest -> validate -> tokenize -> dedupe -> split -> vocab -> encode -> write.
No TensorFlow here: this stage must stay fast to start.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.model_selection import train_test_split

from embedlab import io
from embedlab.config import PrepareParams, VocabParams
from embedlab.data import load_reviews
from embedlab.errors import DataError
from embedlab_serving.text import OOV_ID, PAD_ID, TOKENIZER_VERSION, encode, tokenize

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class PreparedLayout:
    """Where the stage writes; later stages read the same names."""

    root: Path = Path("data/prepared")
    reports: Path = Path("reports")

    def split(self, name: str) -> Path:
        return self.root / f"{name}.parquet"

    @property
    def vocab(self) -> Path:
        return self.root / "vocab.json"

    @property
    def corpus(self) -> Path:
        return self.root / "train_tokens.txt"

    @property
    def report(self) -> Path:
        return self.reports / "data.json"


def dedupe(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop reviews whose normalised token sequence was seen before.

    Done before splitting, so the same review can never sit in train and test.
    """
    key = frame["tokens"].map(" ".join)
    dup = key.duplicated(keep="first")
    conflicting = int(frame.assign(_k=key).groupby("_k")["label"].nunique().gt(1).sum())
    return frame[~dup].reset_index(drop=True), {
        "dropped_duplicates": int(dup.sum()),
        "duplicate_groups_with_conflicting_labels": conflicting,
    }


def split_frame(frame: pd.DataFrame, fractions: tuple[float, float, float], seed: int,
                where: str) -> dict[str, pd.DataFrame]:
    """Stratified train/val/test split, deterministic by seed."""
    counts = frame["label"].value_counts()
    if len(counts) < 2:
        raise DataError(f"{where}: only one class ({counts.index.tolist()}) after cleaning; "
                        "a sentiment classifier needs positive and negative reviews. "
                        "Check data.label rules.")
    train_f, val_f, test_f = fractions
    min_needed = int(np.ceil(1 / min(fractions)))
    if counts.min() < min_needed:
        raise DataError(f"{where}: the smallest class has {counts.min()} reviews; the split "
                        f"{fractions} needs at least {min_needed} per class. Add data or "
                        "change data.split.")
    rest, test = train_test_split(frame, test_size=test_f, stratify=frame["label"], random_state=seed)
    train, val = train_test_split(rest, test_size=val_f / (train_f + val_f),
                                  stratify=rest["label"], random_state=seed)
    return {"train": train.reset_index(drop=True), "val": val.reset_index(drop=True),
            "test": test.reset_index(drop=True)}


def build_vocab(token_lists: pd.Series, params: VocabParams) -> list[str]:
    """Index 0 = padding, 1 = out-of-vocabulary, then words by falling frequency
    (ties alphabetical, so the order is deterministic)."""
    counts = Counter(t for toks in token_lists for t in toks)
    words = sorted((w for w, c in counts.items() if c >= params.min_count),
                   key=lambda w: (-counts[w], w))
    return ["<pad>", "<oov>", *words[: params.max_size - 2]]


def choose_max_len(lengths: pd.Series, setting: int | str, percentile: float) -> int:
    if setting != "auto":
        return int(setting)
    return max(1, int(np.ceil(np.percentile(lengths, percentile))))


def write_split(path: Path, frame: pd.DataFrame, index: dict[str, int], max_len: int,
                truncate: str) -> None:
    ids = [encode(t, index, max_len, truncate) for t in frame["tokens"]]
    table = pa.table({
        "text": pa.array(frame["text"].tolist(), pa.string()),
        "label": pa.array(frame["label"].astype("int8").to_numpy()),
        "n_tokens": pa.array(frame["tokens"].map(len).to_numpy(np.int32)),
        "ids": pa.array(ids, pa.list_(pa.int32(), max_len)),
    })
    pq.write_table(table, path)


def read_split(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """(ids int32 (n, max_len), labels int8 (n,)) of a prepared split."""
    table = pq.read_table(path, columns=["ids", "label"])
    ids_col = table.column("ids").combine_chunks()
    width = ids_col.type.list_size
    ids = ids_col.values.to_numpy(zero_copy_only=False).astype(np.int32).reshape(-1, width)
    return ids, table.column("label").to_numpy().astype(np.int8)


def read_vocab(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def prepare(params: PrepareParams, layout: PreparedLayout = PreparedLayout()) -> dict:
    """Run the whole stage; returns the data report (also written as JSON)."""
    data = params.data
    loaded = load_reviews(data)
    frame = loaded.frame
    frame["tokens"] = frame["text"].map(tokenize)
    no_tokens = frame["tokens"].map(len) == 0
    counts = dict(loaded.counts)
    counts["dropped_no_tokens"] = int(no_tokens.sum())
    frame = frame[~no_tokens]
    frame, dup_counts = dedupe(frame)
    counts.update(dup_counts)
    if data.sample is not None and data.sample < len(frame):
        frame, _ = train_test_split(frame, train_size=data.sample, stratify=frame["label"],
                                    random_state=data.split.seed)
        counts["sampled_to"] = data.sample
    s = data.split
    splits = split_frame(frame, (s.train, s.val, s.test), s.seed, loaded.source)

    vocab = build_vocab(splits["train"]["tokens"], params.vocab)
    index = {w: i for i, w in enumerate(vocab)}
    max_len = choose_max_len(splits["train"]["tokens"].map(len), data.max_len,
                             data.max_len_percentile)
    report: dict = {"source": loaded.source, **counts, "vocab_size": len(vocab),
                    "max_len": max_len, "truncate": data.truncate}
    for name, part in splits.items():
        lengths = part["tokens"].map(len)
        n_tokens = int(lengths.sum())
        oov = sum(1 for toks in part["tokens"] for t in toks if t not in index)
        report[name] = {
            "reviews": len(part),
            "positive": int(part["label"].sum()),
            "negative": int((part["label"] == 0).sum()),
            "truncated": int((lengths > max_len).sum()),
            "tokens": n_tokens,
            "oov_rate": round(oov / max(n_tokens, 1), 5),
        }

    with io.atomic_dir(layout.root) as tmp:
        for name, part in splits.items():
            write_split(tmp / f"{name}.parquet", part, index, max_len, data.truncate)
        # One whitespace-joined line per train review: the Word2Vec corpus (gensim's
        # corpus_file mode), made from the same tokens the classifier sees.
        with open(tmp / "train_tokens.txt", "w", encoding="utf-8") as fh:
            for toks in splits["train"]["tokens"]:
                fh.write(" ".join(toks) + "\n")
        (tmp / "vocab.json").write_text(json.dumps({
            "tokenizer": TOKENIZER_VERSION, "pad_id": PAD_ID, "oov_id": OOV_ID,
            "max_len": max_len, "truncate": data.truncate, "tokens": vocab,
        }, ensure_ascii=False), encoding="utf-8")
    io.write_json(layout.report, report)
    return report
