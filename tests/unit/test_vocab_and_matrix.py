import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from embedlab.config import VocabParams
from embedlab.embeddings.stage import build_matrix, check_corpus_file, token_lists
from embedlab.errors import DataError
from collections import Counter

from embedlab.prepare.stage import choose_max_len, vocab_from_counts


def test_vocab_reserves_padding_and_oov_and_orders_by_frequency():
    toks = [["tea", "good"], ["tea", "bad"], ["tea", "good", "rare"]]
    vocab = vocab_from_counts(Counter(t for r in toks for t in r), VocabParams(min_count=2, max_size=100))
    assert vocab == ["<pad>", "<oov>", "tea", "good"]


def test_vocab_max_size_counts_the_reserved_ids():
    counts = Counter({f"w{i}": 20 - i for i in range(15)})
    assert len(vocab_from_counts(counts, VocabParams(min_count=1, max_size=10))) == 10


def test_max_len_auto_is_a_percentile():
    assert choose_max_len(pd.Series(range(1, 101)), "auto", 90) == 91
    assert choose_max_len(pd.Series([5, 6]), 17, 95) == 17


def _kv(words, dim=4, seed=0):
    kv = KeyedVectors(vector_size=dim)
    kv.add_vectors(words, np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32))
    return kv


def test_matrix_row_i_is_the_vector_of_vocabulary_id_i():
    kv = _kv(["good", "tea", "bad", "unused"])
    vocab = ["<pad>", "<oov>", "tea", "bad", "good", "missing"]
    matrix, found = build_matrix(kv, vocab, "zeros", seed=1)
    assert matrix.shape == (6, kv.vector_size)
    for i, w in enumerate(vocab):
        if w in kv.key_to_index:
            np.testing.assert_array_equal(matrix[i], kv[w])
    assert not matrix[0].any(), "padding row must be zero"
    assert not matrix[5].any() and not found[5]
    assert found.tolist() == [False, False, True, True, True, False]


def test_missing_words_random_init_is_on_the_vectors_scale():
    kv = _kv([f"w{i}" for i in range(200)], dim=16)
    vocab = ["<pad>", "<oov>"] + [f"x{i}" for i in range(300)]
    matrix, found = build_matrix(kv, vocab, "random", seed=3)
    assert not found[2:].any()
    assert not matrix[0].any()
    assert np.std(matrix[2:]) == pytest.approx(np.std(kv.vectors), rel=0.1)


def test_case_fallback_for_cased_pretrained_vectors():
    kv = _kv(["good"])
    matrix, found = build_matrix(kv, ["<pad>", "<oov>", "Good"], "zeros", seed=0)
    assert found[2] and np.array_equal(matrix[2], kv["good"])


def test_corpus_of_characters_is_refused(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_text("g r e a t t e a\nb a d\n")
    with pytest.raises(DataError, match="characters"):
        check_corpus_file(p)
    ok = tmp_path / "ok.txt"
    ok.write_text("great tea\nbad coffee\n")
    check_corpus_file(ok)


def test_raw_strings_are_refused_as_corpus():
    with pytest.raises(DataError, match="string"):
        list(token_lists(["great tea", "bad coffee"]))
    assert list(token_lists([["great", "tea"]])) == [["great", "tea"]]
