"""Tiny synthetic review data written by the real prepare stage (streaming path)
and a Word2Vec matrix trained by real gensim on its corpus (data/prepared/*,
embeddings/<variant>.npy), for model and grid tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from embedlab.config import (DataParams, EmbeddingsParams, LabelRule, PrepareParams, SplitParams,
                             VocabParams, Word2VecVariant)
from embedlab.embeddings.stage import run_variant
from embedlab.layout import SPLITS, Layout
from embedlab.prepare.stage import prepare
from embedlab.splits import read_split, read_vocab

POSITIVE = ["good", "great", "love", "delicious", "best", "tasty"]
NEGATIVE = ["bad", "terrible", "hate", "awful", "worst", "stale"]
FILLER = ["the", "coffee", "tea", "this", "was", "taste", "product", "box", "i", "it",
          "and", "a", "of", "my", "dog", "bag", "price", "snack", "very", "really"]
MAX_LEN = 16


def reviews(n: int, seed: int) -> pd.DataFrame:
    """Reviews whose label follows their sentiment words (with a little noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        own, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        toks = list(rng.choice(FILLER, size=rng.integers(5, 14)))
        for _ in range(rng.integers(1, 4)):
            toks.insert(int(rng.integers(0, len(toks) + 1)), str(rng.choice(own)))
        if rng.random() < 0.15:
            toks.insert(int(rng.integers(0, len(toks) + 1)), str(rng.choice(other)))
        rows.append({"text": " ".join(toks), "label": label, "tokens": [str(t) for t in toks]})
    return pd.DataFrame(rows)


def write_tiny_project(root: Path, n: int = 240, variants: tuple[str, ...] = ("cbow",),
                       vector_size: int = 16) -> dict:
    """Write data/prepared and embeddings under ``root``; return the layout and vocabulary."""
    root = Path(root)
    layout = Layout(root)
    root.mkdir(parents=True, exist_ok=True)
    reviews(n, 1)[["text", "label"]].to_csv(root / "tiny.csv", index=False)
    prepare(PrepareParams(
        data=DataParams(source="tiny.csv", text_columns=["text"], label_column="label",
                        label=LabelRule(positive_values=["1"], negative_values=["0"]),
                        split=SplitParams(train=2 / 3, val=1 / 6, test=1 / 6, seed=1), max_len=MAX_LEN),
        vocab=VocabParams(min_count=1, max_size=1000)), layout, root=root, progress=False)
    vocab = read_vocab(layout.vocab)["tokens"]
    layout.embeddings.mkdir(parents=True, exist_ok=True)
    split_ids = {name: read_split(layout.split(name))[0] for name in SPLITS}
    # One worker, but not the deterministic mode: that needs a hash seed fixed before this
    # interpreter started (the stage re-executes itself for it; a test process cannot).
    params = EmbeddingsParams(workers=1, deterministic=False, variants={
        v: Word2VecVariant(sg=int(v == "sg"), vector_size=vector_size, window=3, epochs=5,
                           min_count=1, seed=1) for v in variants})
    for v, spec in params.variants.items():
        run_variant(v, spec, params, layout.corpus, vocab, split_ids, layout, layout.embeddings)
    return {"layout": layout, "vocab": vocab}
