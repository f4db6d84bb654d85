"""Stage ``embeddings``: Word2Vec variants and matrices aligned to the vocabulary.

Row ``i`` of a matrix is the vector of vocabulary id ``i``; row 0 (padding) is
zero; vocabulary words the vectors lack get the ``oov_init`` initialisation. The
matrix width is the vectors' width, so an Embedding built from it cannot disagree
with Word2Vec's ``vector_size`` (the 200-vs-100 bug of the original question).
No TensorFlow here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlab import io
from embedlab.config import EmbeddingsParams, Word2VecVariant
from embedlab.errors import DataError
from embedlab_serving.text import PAD_ID


@dataclass(frozen=True)
class EmbeddingsLayout:
    root: Path = Path("embeddings")
    reports: Path = Path("reports")

    def vectors(self, variant: str) -> Path:
        return self.root / f"{variant}.kv"

    def matrix(self, variant: str) -> Path:
        return self.root / f"{variant}.npy"

    @property
    def coverage(self) -> Path:
        return self.reports / "embeddings.json"


def check_corpus_file(path: Path, sample_lines: int = 1000) -> None:
    """The corpus must be whitespace-separated tokens, one review per line.

    A file of raw strings or of one-character "tokens" is refused: that is the
    classic bug where Word2Vec ends up learning characters instead of words.
    """
    n_tokens = n_single = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= sample_lines:
                break
            toks = line.split()
            n_tokens += len(toks)
            n_single += sum(len(t) == 1 for t in toks)
    if n_tokens == 0:
        raise DataError(f"{path}: the Word2Vec corpus is empty; re-run the prepare stage.")
    if n_single / n_tokens > 0.5:
        raise DataError(f"{path}: {n_single / n_tokens:.0%} of the corpus tokens are single "
                        "characters: the corpus looks like characters, not words. Word2Vec "
                        "needs token lists (embedlab_serving.text.tokenize).")


def check_token_lists(sentences: Sequence) -> None:
    """Guard for in-memory corpora: a list of token lists, never of strings."""
    for i, s in enumerate(sentences[:100] if hasattr(sentences, "__getitem__") else []):
        if isinstance(s, str):
            raise DataError(f"Word2Vec corpus item {i} is a string ({s[:40]!r}...): gensim "
                            "would iterate it character by character. Pass token lists.")


def resolve_workers(workers: int) -> int:
    return workers if workers > 0 else max(1, os.cpu_count() or 1)


def train_word2vec(corpus_file: Path, variant: Word2VecVariant, workers: int):
    """gensim 4 Word2Vec in corpus_file mode (no Python iterator in the hot loop)."""
    from gensim.models import Word2Vec

    check_corpus_file(corpus_file)
    model = Word2Vec(
        corpus_file=str(corpus_file),
        vector_size=variant.vector_size, window=variant.window, sg=variant.sg,
        negative=variant.negative, min_count=variant.min_count, sample=variant.sample,
        epochs=variant.epochs, seed=variant.seed, workers=workers,
    )
    return model.wv


def lookup(kv, word: str):
    """Exact word, then its lowercase form (pretrained vectors are often cased)."""
    if word in kv.key_to_index:
        return kv[word]
    lower = word.lower()
    if lower != word and lower in kv.key_to_index:
        return kv[lower]
    return None


def build_matrix(kv, vocab_tokens: Sequence[str], oov_init: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(matrix float32 (len(vocab), dim), found bool (len(vocab),)).

    Rows for words the vectors lack: ``random`` = N(0, sd) with sd the standard
    deviation of all vector components (so they are on the same scale), or ``zeros``.
    """
    dim = kv.vector_size
    rng = np.random.default_rng(seed)
    sd = float(np.std(kv.vectors)) if len(kv.vectors) else 0.1
    matrix = np.zeros((len(vocab_tokens), dim), dtype=np.float32)
    found = np.zeros(len(vocab_tokens), dtype=bool)
    for i, word in enumerate(vocab_tokens):
        if i == PAD_ID:
            continue
        vec = lookup(kv, word)
        if vec is not None:
            matrix[i] = vec
            found[i] = True
        elif oov_init == "random":
            matrix[i] = rng.normal(0.0, sd, dim)
    return matrix, found


def coverage(found: np.ndarray, vocab_tokens: Sequence[str], token_counts: dict[str, int],
             top_missing: int = 20) -> dict:
    """Share of vocabulary types (padding/OOV rows excluded) and of running tokens
    whose word has a vector."""
    words = range(2, len(vocab_tokens))
    types_found = int(sum(found[i] for i in words))
    total_tok = sum(token_counts.get(vocab_tokens[i], 0) for i in words)
    tok_found = sum(token_counts.get(vocab_tokens[i], 0) for i in words if found[i])
    missing = sorted((i for i in words if not found[i]),
                     key=lambda i: -token_counts.get(vocab_tokens[i], 0))[:top_missing]
    return {
        "vocab_types": len(words),
        "types_found": types_found,
        "type_coverage": round(types_found / max(len(words), 1), 5),
        "token_coverage": round(tok_found / max(total_tok, 1), 5),
        "top_missing": [vocab_tokens[i] for i in missing],
    }


def run_variant(name: str, variant: Word2VecVariant, params: EmbeddingsParams, corpus: Path,
                vocab_tokens: Sequence[str], token_counts: dict[str, int],
                layout: EmbeddingsLayout, out_dir: Path) -> dict:
    """Train one variant, write ``<name>.kv`` and ``<name>.npy`` into ``out_dir``."""
    import time

    t0 = time.perf_counter()
    kv = train_word2vec(corpus, variant, resolve_workers(params.workers))
    seconds = time.perf_counter() - t0
    matrix, found = build_matrix(kv, vocab_tokens, params.oov_init, variant.seed)
    kv.save(str(out_dir / layout.vectors(name).name))
    np.save(out_dir / layout.matrix(name).name, matrix)
    cov = coverage(found, vocab_tokens, token_counts)
    return {"vector_size": kv.vector_size, "w2v_vocab": len(kv.key_to_index),
            "train_seconds": round(seconds, 3), **cov}
