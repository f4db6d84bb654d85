"""Stage ``embeddings``: Word2Vec variants (or the user's own vectors) and
matrices aligned to the vocabulary.

Row ``i`` of a matrix is the vector of vocabulary id ``i``; row 0 (padding) is
zero; vocabulary words the vectors lack get the ``oov_init`` initialisation
(``random``: N(0, sd) with sd the spread of the vectors' components, so those
rows sit on the same scale; ``zeros``: left at zero). The matrix width is the
vectors' width, so an Embedding built from it cannot disagree with Word2Vec's
``vector_size`` (the 200-vs-100 bug of the original question).

No TensorFlow here. User-supplied vector files are parsed as word2vec text or
binary, never unpickled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from embedlab import config, dvcdeps
from embedlab.config import (W2V_TRAINING_KEYS, EmbeddingsParams, ProbeParams, Word2VecVariant,
                             key_error)
from embedlab.embeddings.vectors import (_head, _single_char_share, check_corpus_file, embedded_spec,
                                         load_variant, package_dir, refuse_unsafe, resolve_workers,
                                         unknown_embedded)
from embedlab.errors import DataError
from embedlab.formats import read_texts, unknown_format
from embedlab.layout import SPLITS, Layout
from embedlab.splits import read_split, read_vocab
from embedlab_serving.text import OOV_ID, PAD_ID, tokenize

# ------------------------------------------------------------------ the corpus
def token_lists(sentences: Iterable, where: str = "Word2Vec corpus") -> Iterator[list[str]]:
    """Pass token lists through, refusing anything else as it streams by.

    A string where a token list belongs would be iterated character by character
    by gensim; a list of one-character strings is the same bug one step later.
    """
    for i, s in enumerate(sentences):
        if isinstance(s, (str, bytes)):
            raise DataError(f"{where}: item {i} is a string ({s[:40]!r}...), not a token list: "
                            "gensim would learn characters. Tokenize it first "
                            "(embedlab_serving.text.tokenize).")
        if not isinstance(s, (list, tuple)) or not all(isinstance(t, str) for t in s):
            raise DataError(f"{where}: item {i} is {type(s).__name__}, not a list of str tokens.")
        if len(s) >= 5 and _single_char_share(s) > 0.8:
            raise DataError(f"{where}: item {i} is a list of single characters "
                            f"({' '.join(s[:10])}...): a string was split into letters. "
                            "Tokenize it with embedlab_serving.text.tokenize.")
        yield list(s)


def write_corpus(fh, sentences: Iterable, where: str) -> tuple[int, int]:
    """Append token lists to an open LineSentence file; (lines, tokens) written."""
    lines = tokens = 0
    for toks in token_lists(sentences, where):
        if not toks:
            continue
        if any(not t or any(c.isspace() for c in t) for t in toks):
            raise DataError(f"{where}: a token is empty or holds whitespace; the corpus file "
                            "would split it differently from the tokenizer.")
        fh.write(" ".join(toks) + "\n")
        lines += 1
        tokens += len(toks)
    return lines, tokens


def build_corpus(params: EmbeddingsParams, train_corpus: Path, eval_texts: Mapping[str, Iterable[str]],
                 out: Path, root: Path = Path(".")) -> tuple[Path, dict]:
    """The Word2Vec corpus file: the train split's tokens, plus (if asked) the
    val/test texts and the extra unlabeled texts, all through the one tokenizer.

    With nothing to add, the prepared ``train_tokens.txt`` is used as it is.
    """
    check_corpus_file(train_corpus)
    info: dict = {"include_eval_texts": params.include_eval_texts, "sources": {}}
    if not params.include_eval_texts and not params.extra_corpus:
        lines = tokens = 0
        with open(train_corpus, encoding="utf-8") as fh:
            for line in fh:
                lines += 1
                tokens += len(line.split())
        info["sources"]["train"] = {"lines": lines, "tokens": tokens}
        info.update(lines=lines, tokens=tokens)
        return train_corpus, info
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        with open(train_corpus, encoding="utf-8") as src:
            n = write_corpus(fh, (line.split() for line in src), str(train_corpus))
        info["sources"]["train"] = {"lines": n[0], "tokens": n[1]}
        if params.include_eval_texts:
            for split, texts in eval_texts.items():
                n = write_corpus(fh, (tokenize(t) for t in texts), f"{split} texts")
                info["sources"][split] = {"lines": n[0], "tokens": n[1]}
        for i, spec in enumerate(params.extra_corpus):
            where = f"embeddings.extra_corpus[{i}] ({spec.path})"
            n = write_corpus(fh, (tokenize(t) for t in read_texts(spec.path, spec.text_columns, spec.format, root)),
                             where)
            if n[0] == 0:
                raise DataError(f"{where}: no text with any word in it; check text_columns "
                                "and format on this entry.")
            info["sources"][f"extra:{spec.path}"] = {"lines": n[0], "tokens": n[1]}
    info["lines"] = sum(s["lines"] for s in info["sources"].values())
    info["tokens"] = sum(s["tokens"] for s in info["sources"].values())
    check_corpus_file(out)
    return out, info


def load_embeddings(path: Path | str = config.DEFAULT_PARAMS) -> EmbeddingsParams:
    """The stage's params (``config.load_embeddings``) with the names the schema leaves
    to it checked: each embedded vectors source and each extra corpus's format."""
    params = config.load_embeddings(path)
    for name, v in params.variants.items():
        if v.kind == "embedded" and (why := unknown_embedded(v.source)):
            raise key_error(path, f"embeddings.variants.{name}", why, v.source)
    for i, extra in enumerate(params.extra_corpus):
        if why := unknown_format(extra.format, labelled=False):
            raise key_error(path, f"embeddings.extra_corpus.{i}.format", why, extra.format)
    return params


def preflight(params: EmbeddingsParams, root: Path = Path(".")) -> None:
    """Cheap checks before any work starts: every external vectors file exists and
    is not a pickle; every embedded vectors package is installed at its pinned
    version; every extra corpus path matches a file; dvc.yaml lists them all."""
    for name, v in params.variants.items():
        if v.kind == "embedded":
            package_dir(embedded_spec(v.source), f"embeddings.variants.{name}: {v.source}")
        elif v.kind == "file":
            path = Path(v.path) if Path(v.path).is_absolute() else root / v.path
            if not path.is_file():
                raise DataError(f"embeddings.variants.{name}.path: {path} not found. Give a "
                                "word2vec text or binary file, relative to the project root.")
            try:
                refuse_unsafe(path, _head(path))
            except DataError as exc:
                raise DataError(f"embeddings.variants.{name}.path: {exc}") from None
    dvcdeps.check("embeddings", dvcdeps.user_files("embeddings", params, root), root)


# -------------------------------------------------------------------- matrices
class CaseLookup:
    """Word -> key of the vectors: the exact word, then its lowercase form, then
    the first (in files sorted by frequency: the most frequent) key that is equal
    ignoring case. Our tokens are lowercase; cased vector files such as
    GoogleNews hold ``Paris`` but not ``paris``."""

    def __init__(self, kv):
        self.kv = kv
        self._folded: dict[str, str] | None = None

    def key(self, word: str) -> str | None:
        k2i = self.kv.key_to_index
        if word in k2i:
            return word
        lower = word.lower()
        if lower in k2i:
            return lower
        if self._folded is None:
            self._folded = {}
            for k in self.kv.index_to_key:  # file order: first wins
                self._folded.setdefault(str(k).lower(), k)
        return self._folded.get(lower)


def lookup(kv, word: str):
    """The vector of ``word`` with case fallback, or None."""
    key = CaseLookup(kv).key(word)
    return None if key is None else kv[key]


def _spread(kv, max_rows: int = 100_000) -> float:
    sd = float(np.std(kv.vectors[:max_rows])) if len(kv.vectors) else 0.0
    return sd if sd > 0 else 0.1


def build_matrix(kv, vocab_tokens: Sequence[str], oov_init: str, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(matrix float32 (len(vocab), dim), found bool (len(vocab),)).

    Row i is the vector of vocabulary id i. Padding (row 0) is zero. Rows for
    words the vectors lack: ``random`` = N(0, sd) with sd the standard deviation
    of the vectors' components, or ``zeros``.
    """
    matrix, found, _ = build_matrix_info(kv, vocab_tokens, oov_init, seed)
    return matrix, found


def build_matrix_info(kv, vocab_tokens: Sequence[str], oov_init: str, seed: int
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`build_matrix` plus how many rows were found only by case fallback."""
    dim = kv.vector_size
    rng = np.random.default_rng(seed)
    sd = _spread(kv)
    matrix = np.zeros((len(vocab_tokens), dim), dtype=np.float32)
    found = np.zeros(len(vocab_tokens), dtype=bool)
    case = CaseLookup(kv)
    n_case = 0
    for i, word in enumerate(vocab_tokens):
        if i == PAD_ID:
            continue
        key = case.key(word) if i != OOV_ID else None  # '<oov>' is a placeholder, not a word
        if key is not None:
            matrix[i] = kv[key]
            found[i] = True
            n_case += key != word
        elif oov_init == "random":
            matrix[i] = rng.normal(0.0, sd, dim)
    return matrix, found, n_case


def coverage(found: np.ndarray, vocab_tokens: Sequence[str], split_ids: Mapping[str, np.ndarray],
             top_missing: int = 20) -> dict:
    """How much of the data the vectors cover.

    ``type_coverage``: share of vocabulary words (ids >= 2; padding and the OOV
    placeholder excluded) that have a vector. ``token_coverage.<split>``: share of
    the split's tokens as the classifier sees them (ids after max_len
    truncation, padding excluded; tokens outside the vocabulary count as
    missing) whose row holds a real vector. ``top_missing``: vocabulary words
    without a vector, most frequent in train first, with their train counts.
    """
    n = len(vocab_tokens)
    words = np.arange(2, n)
    types_found = int(found[words].sum())
    tok_cov = {}
    for split, ids in split_ids.items():
        toks = np.asarray(ids).ravel()
        toks = toks[toks != PAD_ID]
        tok_cov[split] = round(float(found[toks].mean()) if len(toks) else 0.0, 5)
    train = np.asarray(split_ids.get("train", np.zeros(0, np.int64))).ravel()
    counts = np.bincount(train[train != PAD_ID], minlength=n)[:n]
    missing = [int(i) for i in words if not found[i]]
    missing.sort(key=lambda i: (-counts[i], i))
    return {
        "vocab_types": len(words),
        "types_found": types_found,
        "type_coverage": round(types_found / max(len(words), 1), 5),
        "token_coverage": tok_cov,
        "missing_types": len(missing),
        "top_missing": [[vocab_tokens[i], int(counts[i])] for i in missing[:top_missing]],
    }


# ---------------------------------------------------------------------- probes
def probes(matrix: np.ndarray, found: np.ndarray, vocab_tokens: Sequence[str],
           params: ProbeParams) -> dict:
    """Nearest neighbours (cosine) of the probe words among the vocabulary rows
    that hold a real vector, and the cosine of each antonym pair.

    Distributional vectors often put antonyms close ("good"/"bad" share
    contexts); fine-tuning on sentiment labels is what may pull them apart.
    Works on any aligned matrix, so fine-tuned tables can be probed the same way.
    """
    index = {w: i for i, w in enumerate(vocab_tokens)}
    rows = np.flatnonzero(found)
    norms = np.linalg.norm(matrix, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    unit = matrix / safe[:, None]

    def row(word: str) -> int | None:
        i = index.get(word, index.get(word.lower()))
        return i if i is not None and found[i] else None

    neighbours: dict[str, list | None] = {}
    for word in params.words:
        i = row(word)
        if i is None:
            neighbours[word] = None
            continue
        cand = rows[rows != i]
        sims = unit[cand] @ unit[i]
        top = np.argsort(-sims, kind="stable")[: params.topn]
        neighbours[word] = [[vocab_tokens[cand[j]], round(float(sims[j]), 4)] for j in top]
    antonyms = []
    for a, b in params.antonyms:
        i, j = row(a), row(b)
        cos = None if i is None or j is None else round(float(unit[i] @ unit[j]), 4)
        rank = None
        if cos is not None:  # where b ranks among a's neighbours (1 = nearest)
            others = rows[rows != i]
            rank = int((unit[others] @ unit[i] > cos).sum()) + 1
        antonyms.append({"a": a, "b": b, "cosine": cos, "rank_of_b_among_neighbours_of_a": rank})
    return {"neighbours": neighbours, "antonyms": antonyms}


def probe_tables(variant: str, result: dict) -> tuple[list[dict], list[dict]]:
    """Flat rows (neighbours, antonyms) for a table artifact."""
    nb = []
    for word, items in result["neighbours"].items():
        if items is None:
            nb.append({"variant": variant, "word": word, "rank": None, "neighbour": None, "cosine": None})
            continue
        for r, (other, cos) in enumerate(items, 1):
            nb.append({"variant": variant, "word": word, "rank": r, "neighbour": other, "cosine": cos})
    ant = [{"variant": variant, **a} for a in result["antonyms"]]
    return nb, ant


# ---------------------------------------------------------------- one variant
def run_variant(name: str, variant: Word2VecVariant, params: EmbeddingsParams, corpus: Path | None,
                vocab_tokens: Sequence[str], split_ids: Mapping[str, np.ndarray],
                layout: Layout, out_dir: Path, root: Path = Path(".")) -> dict:
    """Train (or load: a file, embedded vectors) one variant; write ``<name>.kv`` and ``<name>.npy`` into ``out_dir``.

    Returns ``{"metrics": ..., "probes": ...}``.
    """
    workers = resolve_workers(params.workers, params.deterministic)
    kv, metrics, seed = load_variant(variant, workers, params.deterministic, corpus, root,
                                     f"embeddings.variants.{name}")
    matrix, found, n_case = build_matrix_info(kv, vocab_tokens, params.oov_init, seed)
    if variant.external:
        # Keep only the rows the project uses: a 3M-word file stays out of the DVC cache.
        from gensim.models import KeyedVectors

        keys = [vocab_tokens[i] for i in np.flatnonzero(found)]
        small = KeyedVectors(kv.vector_size, count=0, dtype=np.float32)
        if keys:
            small.add_vectors(keys, matrix[found])
        kv = small
    # gensim logs its own save (file name, date, platform) into the file; without
    # that log the same vectors give the same bytes.
    kv.lifecycle_events = None
    kv.save(str(out_dir / layout.vectors(name).name))
    np.save(out_dir / layout.matrix(name).name, matrix)
    metrics.update({"vector_size": int(kv.vector_size), "vectors_vocab": len(kv.key_to_index),
                    "found_by_case_fallback": n_case, "oov_init": params.oov_init,
                    **coverage(found, vocab_tokens, split_ids)})
    return {"metrics": metrics, "probes": probes(matrix, found, vocab_tokens, params.probes)}


# ----------------------------------------------------------- the stage's parts
def prepared_inputs(layout: Layout = Layout()) -> Layout:
    """The prepare stage's outputs this stage reads; a clear error if one is missing."""
    for path in (layout.vocab, layout.corpus, *(layout.split(s) for s in SPLITS)):
        if not path.exists():
            raise DataError(f"{path}: not found. Run the prepare stage first: dvc repro prepare")
    return layout


def stage_corpus(params: EmbeddingsParams, out: Path, layout: Layout = Layout()) -> tuple[str, dict]:
    """The Word2Vec corpus of this run (see :func:`build_corpus`)."""
    import pandas as pd

    prepared = prepared_inputs(layout)
    eval_texts = {}
    if params.include_eval_texts:
        eval_texts = {s: pd.read_parquet(prepared.split(s), columns=["text"])["text"].tolist()
                      for s in ("val", "test")}
    path, info = build_corpus(params, prepared.corpus, eval_texts, out)
    return str(path), info


def stage_variant(name: str, variant: Word2VecVariant, params: EmbeddingsParams,
                  corpus: str | None, out_dir: Path, layout: Layout = Layout()) -> dict:
    """One variant's vectors and matrix, aligned to the prepared vocabulary."""
    prepared = prepared_inputs(layout)
    split_ids = {s: read_split(prepared.split(s))[0] for s in SPLITS}
    return run_variant(name, variant, params, Path(corpus) if corpus else None,
                       read_vocab(prepared.vocab)["tokens"], split_ids, layout, out_dir)


# Timings differ on every run: the MLflow run and the log keep them, the tracked
# reports/embeddings.json does not (a fresh clone's `dvc repro` must reproduce it).
TIMING_FIELDS = ("train_seconds", "words_per_sec")


def tracked_report(report: dict) -> dict:
    """``report`` without its timings: what reports/embeddings.json holds."""
    return {**report, "variants": {name: {k: v for k, v in m.items() if k not in TIMING_FIELDS}
                                   for name, m in report["variants"].items()}}


def new_report(params: EmbeddingsParams) -> dict:
    return {"deterministic": params.deterministic,
            "pythonhashseed": os.environ.get("PYTHONHASHSEED", "random"), "corpus": {}, "variants": {}}


def corpus_line(c: dict) -> str:
    return (f"corpus: {c['lines']} lines, {c['tokens']} tokens from {', '.join(c['sources'])}"
            + (" (val/test texts INCLUDED)" if c["include_eval_texts"] else ""))


def variant_lines(name: str, result: dict) -> str:
    """What the stage prints about one variant: size, speed or source, coverage, antonyms."""
    m = result["metrics"]
    speed = (f" in {m['train_seconds']:.1f}s ({m['words_per_sec']:,} words/s, "
             f"{m['workers']} worker(s))" if m["source"] == "trained"
             else f" from {m.get('path') or m['source']}")
    cov = ", ".join(f"{s} {v:.1%}" for s, v in m["token_coverage"].items())
    lines = [f"{name}: {m['vectors_vocab']} words x {m['vector_size']} dims{speed}; "
             f"vocabulary types covered {m['type_coverage']:.1%}; tokens covered: {cov}; "
             f"trained on: {m['text_seen']}"]
    lines += [f"  cos({a['a']}, {a['b']}) = {a['cosine']:.3f}"
              for a in result["probes"]["antonyms"] if a["cosine"] is not None]
    return "\n".join(lines)


# ---------------------------------------------------------------------- MLflow
def run_record(report: dict, probe_results: dict, params: EmbeddingsParams) -> dict:
    """What the ``embeddings`` MLflow run holds (``tracking.log_run`` logs it):
    params and metrics per variant, the coverage report, the probes as tables."""
    import pandas as pd

    flat = {"oov_init": params.oov_init, "deterministic": params.deterministic,
            "include_eval_texts": params.include_eval_texts,
            "extra_corpus": ",".join(e.path for e in params.extra_corpus) or "none",
            "corpus_lines": report["corpus"].get("lines"), "corpus_tokens": report["corpus"].get("tokens")}
    own_keys = {"trained": W2V_TRAINING_KEYS, "file": ("path", "binary", "limit"),
                "embedded": ("source", "limit")}
    for name, v in params.variants.items():
        for k, val in v.model_dump(exclude_none=True).items():
            if k in own_keys[v.kind]:
                flat[f"{name}.{k}"] = val
    metrics = {}
    for name, m in report["variants"].items():
        for k in ("type_coverage", "words_per_sec", "train_seconds", "vector_size",
                  "vectors_vocab", "missing_types", "found_by_case_fallback"):
            if isinstance(m.get(k), (int, float)):
                metrics[f"{name}.{k}"] = float(m[k])
        for split, cov in m["token_coverage"].items():
            metrics[f"{name}.token_coverage.{split}"] = float(cov)
    tables = {}
    for name, res in probe_results.items():
        for a in res["antonyms"]:
            if a["cosine"] is not None:
                key = re.sub(r"[^\w.\- /]", "_", f"{a['a']}-{a['b']}")  # MLflow's allowed characters
                metrics[f"{name}.cos.{key}"] = float(a["cosine"])
        nb, ant = probe_tables(name, res)
        tables[f"probes/{name}_neighbours.json"] = pd.DataFrame(nb)
        tables[f"probes/{name}_antonyms.json"] = pd.DataFrame(ant)
    return {"params": flat, "metrics": metrics, "dicts": {Layout().embeddings_report.name: report}, "tables": tables}
