"""The vector sources of an embeddings variant: Word2Vec trained here on the
project's corpus, a word2vec-format file (text or binary, GloVe's header-less
text too), and pretrained vectors a pinned package ships.

Every source returns gensim ``KeyedVectors``; the embeddings stage aligns them
to the vocabulary. Nothing here unpickles a file: pickles (gensim's native
``.kv``/``.model`` files among them) are refused before anything parses them.
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import time
from pathlib import Path

import numpy as np

from embedlab.config import Word2VecVariant
from embedlab.errors import ConfigError, DataError

# The hash seed the stage fixes when `deterministic: true` (any fixed value will do).
DETERMINISTIC_HASH_SEED = "0"


# -------------------------------------------------------------------- training
def hash_seed_fixed() -> bool:
    value = os.environ.get("PYTHONHASHSEED", "random")
    return value != "random" and value.isdigit()


def resolve_workers(workers: int, deterministic: bool = False) -> int:
    if deterministic:
        return 1  # several workers interleave updates in a thread-timing order
    return workers if workers > 0 else max(1, os.cpu_count() or 1)


def train_word2vec(corpus_file: Path, variant: Word2VecVariant, workers: int,
                   deterministic: bool = False, check: bool = True):
    """gensim 4 Word2Vec in corpus_file mode (no Python iterator in the hot loop).

    Returns ``(KeyedVectors, stats)`` with stats ``seconds`` (vocabulary scan +
    training, everything gensim does) and ``words_per_sec`` (raw corpus words
    times epochs, per second of that).
    """
    from gensim.models import Word2Vec

    if deterministic:
        if not hash_seed_fixed():
            raise ConfigError("embeddings.deterministic: true needs a fixed PYTHONHASHSEED: run the "
                              "stage as `python -m flows.embeddings` (it sets one) or export "
                              f"PYTHONHASHSEED={DETERMINISTIC_HASH_SEED} before starting Python.")
        workers = 1
    if check:
        from embedlab.embeddings import check_corpus_file

        check_corpus_file(Path(corpus_file))
    t0 = time.perf_counter()
    try:
        model = Word2Vec(
            corpus_file=str(corpus_file),
            vector_size=variant.vector_size, window=variant.window, sg=variant.sg,
            negative=variant.negative, min_count=variant.min_count, sample=variant.sample,
            epochs=variant.epochs, seed=variant.seed, workers=workers,
        )
    except RuntimeError as exc:  # gensim: "you must first build vocabulary before training"
        raise DataError(f"{corpus_file}: Word2Vec found no word with at least min_count="
                        f"{variant.min_count} occurrences ({exc}); lower min_count or add text.") from None
    seconds = time.perf_counter() - t0
    words = int(model.corpus_total_words) * variant.epochs
    return model.wv, {"seconds": round(seconds, 3), "corpus_words": int(model.corpus_total_words),
                      "words_per_sec": round(words / max(seconds, 1e-9)), "workers": workers}


# ------------------------------------------------------------ external vectors
_REFUSED_SUFFIXES = {".kv", ".model", ".pkl", ".pickle", ".npy", ".npz", ".joblib", ".pt", ".h5"}


def _head(path: Path, n: int = 4096) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(n)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc}).") from None


def refuse_unsafe(path: Path, head: bytes) -> None:
    """Refuse pickles (gensim's native .kv/.model files are pickles) and other
    non-word2vec files before anything parses them: unpickling a file runs
    whatever code it holds."""
    why = ("embedlab never unpickles a user's file: loading a pickle can run arbitrary code. "
           "Convert it once, in an environment you trust, to word2vec format: "
           "KeyedVectors.load(p).save_word2vec_format('vectors.bin', binary=True), "
           "then point path: at vectors.bin.")
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise DataError(f"{path}: this is a Python pickle (gensim's native model/KeyedVectors "
                        f"format). {why}")
    if head.startswith(b"\x93NUMPY") or head.startswith(b"PK\x03\x04"):
        raise DataError(f"{path}: this is a numpy/zip file, not word2vec text or binary. {why}")
    suffix = path.suffix.lower() if path.suffix.lower() != ".gz" else Path(path.stem).suffix.lower()
    if suffix in _REFUSED_SUFFIXES:
        raise DataError(f"{path}: a {suffix} file is a native/pickled format, not word2vec "
                        f"text or binary. {why}")


_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")


def sniff_word2vec(path: Path, head: bytes | None = None) -> tuple[bool, bool]:
    """(binary, has_header) from the file's first bytes.

    word2vec binary files start with a ``count dim`` text line followed by raw
    float32 bytes, which contain control bytes and invalid UTF-8; text files do
    not. A text file without the header line is GloVe's layout.
    """
    head = _head(path) if head is None else head
    first, _, rest = head.partition(b"\n")
    has_header = bool(_HEADER.match(first))
    body = rest if has_header else head
    controls = sum(b < 0x20 and b not in (0x09, 0x0A, 0x0D) for b in body)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    return (controls > 0 or not valid_utf8), has_header


def load_external(variant: Word2VecVariant, root: Path = Path(".")):
    """The user's vectors via ``KeyedVectors.load_word2vec_format``; a pickle is refused."""
    from gensim.models import KeyedVectors

    path = Path(variant.path)
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise DataError(f"{path}: vectors file not found (embeddings variant path:). Give a "
                        "word2vec text or binary file, relative to the project root.")
    head = _head(path)
    refuse_unsafe(path, head)
    sniffed_binary, has_header = sniff_word2vec(path, head)
    binary = sniffed_binary if variant.binary == "auto" else bool(variant.binary)
    if binary and not has_header:
        raise DataError(f"{path}: a word2vec binary file must start with a '<count> <dim>' "
                        "line; this one does not. Is it a text file (set binary: false)?")
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=not has_header,
                                               limit=variant.limit, unicode_errors="replace")
    except (ValueError, EOFError, IndexError, UnicodeDecodeError, OSError) as exc:
        kind = "binary" if binary else "text"
        raise DataError(f"{path}: not a valid word2vec {kind} file ({type(exc).__name__}: {exc}). "
                        "Each line must be a word followed by the same number of floats"
                        + (" after a '<count> <dim>' header" if has_header else "")
                        + "; set binary: true/false if the format was guessed wrong.") from None
    if len(kv.key_to_index) == 0:
        raise DataError(f"{path}: holds no vectors.")
    if not np.isfinite(kv.vectors).all():
        raise DataError(f"{path}: holds NaN or infinite values.")
    return kv, {"binary": binary, "header": has_header, "file_vectors": len(kv.key_to_index)}
