"""Tiny synthetic review data laid out exactly like the prepare and embeddings
stages write it (data/prepared/*, embeddings/<variant>.npy), for model and grid
tests. The Word2Vec matrix is trained by real gensim on the tiny corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab.config import EmbeddingsParams, VocabParams, Word2VecVariant
from embedlab.embeddings import EmbeddingsLayout, run_variant
from embedlab.prepare import PreparedLayout, build_vocab, read_split, write_split
from embedlab_serving.text import OOV_ID, PAD_ID, TOKENIZER_VERSION

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


def write_tiny_project(root: Path, n_train: int = 160, n_val: int = 40, n_test: int = 40,
                       variants: tuple[str, ...] = ("cbow",), vector_size: int = 16) -> dict:
    """Write data/prepared and embeddings under ``root``; return the paths."""
    root = Path(root)
    layout = PreparedLayout(root / "data" / "prepared", root / "reports")
    layout.root.mkdir(parents=True, exist_ok=True)
    parts = {"train": reviews(n_train, 1), "val": reviews(n_val, 2), "test": reviews(n_test, 3)}
    vocab = build_vocab(parts["train"]["tokens"], VocabParams(min_count=1, max_size=1000))
    index = {w: i for i, w in enumerate(vocab)}
    for name, frame in parts.items():
        write_split(layout.split(name), frame, index, MAX_LEN, "post")
    with open(layout.corpus, "w", encoding="utf-8") as fh:
        for toks in parts["train"]["tokens"]:
            fh.write(" ".join(toks) + "\n")
    layout.vocab.write_text(json.dumps({
        "tokenizer": TOKENIZER_VERSION, "pad_id": PAD_ID, "oov_id": OOV_ID, "max_len": MAX_LEN,
        "truncate": "post", "tokens": vocab}), encoding="utf-8")

    emb = EmbeddingsLayout(root / "embeddings", root / "reports")
    emb.root.mkdir(parents=True, exist_ok=True)
    split_ids = {name: read_split(layout.split(name))[0] for name in parts}
    params = EmbeddingsParams(workers=1, variants={
        v: Word2VecVariant(sg=int(v == "sg"), vector_size=vector_size, window=3, epochs=5,
                           min_count=1, seed=1) for v in variants})
    for v, spec in params.variants.items():
        run_variant(v, spec, params, layout.corpus, vocab, split_ids, emb, emb.root)
    return {"prepared": layout, "embeddings": emb, "vocab": vocab}
