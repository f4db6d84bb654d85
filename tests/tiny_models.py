"""Tiny real Keras review models for registry, serving and CLI tests.

A synthetic food-review language (real words, tiny vocabulary) that a
mean-pooling model learns in a few seconds on CPU. ``flip=True`` trains on
inverted labels: a real model that is reliably *worse* on the same test set.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

PRODUCTS = ["coffee", "tea", "cookies", "chips", "granola", "popcorn", "treats", "food", "snack", "oil"]
POSITIVE = ["delicious", "great", "good", "excellent", "wonderful", "perfect", "love", "best",
            "recommend", "enjoyed", "fresh", "loves", "likes", "like"]
NEGATIVE = ["terrible", "stale", "awful", "bitter", "disgusting", "waste", "worst", "horrible",
            "bland", "tasteless", "sick", "disappointed", "poor", "broken"]
FILLER = ["the", "this", "is", "was", "my", "i", "it", "and", "very", "these", "a", "of"]


def corpus(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` labelled synthetic reviews; about a quarter are negated positives."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        product = rng.choice(PRODUCTS)
        kind = rng.integers(0, 4)
        if kind in (0, 1):
            words, label = list(rng.choice(POSITIVE, 2)), 1
        elif kind == 2:
            words, label = list(rng.choice(NEGATIVE, 2)), 0
        else:
            words, label = [rng.choice(["not", "don't", "doesn't"]), rng.choice(POSITIVE)], 0
        filler = list(rng.choice(FILLER, 3))
        texts.append(" ".join([filler[0], product, filler[1], *words, filler[2]]) + ".")
        labels.append(label)
    return texts, np.asarray(labels)


TEST_TEXTS, TEST_LABELS = corpus(120, seed=99)


def vocab_tokens() -> list[str]:
    words = dict.fromkeys(itertools.chain(PRODUCTS, POSITIVE, NEGATIVE, FILLER,
                                          ["not", "don't", "doesn't"]))
    return ["<pad>", "<oov>", *words]


def make_model(dest: Path, *, flip: bool = False, epochs: int = 25, seed: int = 1,
               max_len: int = 12, architecture: str = "meanpool", ngrams: int = 1) -> tuple[Path, Path]:
    """Train and save ``model.keras`` and ``vocab.json`` under ``dest``."""
    import keras

    from embedlab.train.models import build_model
    from embedlab_serving.text import encode_texts

    dest.mkdir(parents=True, exist_ok=True)
    tokens = vocab_tokens()
    index = {w: i for i, w in enumerate(tokens)}
    texts, y = corpus(400, seed=seed)
    if flip:
        y = 1 - y
    x = encode_texts(texts, index, max_len)
    model = build_model("learned", architecture, vocab_size=len(tokens), matrix=None,
                        embedding_dim=16, units=8, dropout=0.0, seed=seed, learning_rate=0.02,
                        ngrams=ngrams, ngram_buckets=97)
    keras.utils.set_random_seed(seed)
    model.fit(x, y.astype("float32"), epochs=epochs, batch_size=32, verbose=0)
    keras_path, vocab_path = dest / "model.keras", dest / "vocab.json"
    model.save(keras_path)
    vocab_path.write_text(json.dumps({"tokens": tokens, "max_len": max_len, "truncate": "post"}))
    return keras_path, vocab_path
