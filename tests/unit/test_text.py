import numpy as np
import pytest

from embedlab_serving.text import OOV_ID, PAD_ID, encode, encode_texts, normalize, tokenize


def test_tokenize_strips_html_and_lowercases():
    assert tokenize("GREAT taste!<br /><br />Would buy&amp;again") == ["great", "taste", "would", "buy", "again"]


def test_negations_and_contractions_survive_as_tokens():
    toks = tokenize("I don't like it, it's NOT good")
    assert "don't" in toks and "not" in toks and "good" in toks


def test_typographic_apostrophe_is_the_same_token():
    assert tokenize("don\u2019t") == tokenize("don't") == ["don't"]


def test_unicode_is_normalised():
    # NFKC folds the ligature and full-width letters into plain ones.
    assert tokenize("\ufb01ne ＧＯＯＤ café") == ["fine", "good", "café"]


def test_tokenize_returns_words_not_characters():
    toks = tokenize("delicious coffee")
    assert toks == ["delicious", "coffee"]
    assert all(len(t) > 1 for t in toks)


def test_tokenize_rejects_non_strings():
    with pytest.raises(TypeError):
        tokenize(["already", "tokens"])


def test_encode_pads_at_end_and_maps_oov():
    index = {"<pad>": 0, "<oov>": 1, "good": 2, "tea": 3}
    assert encode(["good", "tea", "xyz"], index, 5) == [2, 3, OOV_ID, PAD_ID, PAD_ID]


def test_encode_truncates_on_the_configured_side():
    index = {"a1": 2, "b2": 3, "c3": 4}
    toks = ["a1", "b2", "c3"]
    assert encode(toks, index, 2, "post") == [2, 3]
    assert encode(toks, index, 2, "pre") == [3, 4]


def test_encode_texts_shape_and_dtype():
    index = {"good": 2}
    arr = encode_texts(["Good good", "", "bad"], index, 4)
    assert arr.dtype == np.int32 and arr.shape == (3, 4)
    assert arr.tolist() == [[2, 2, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]


def test_normalize_unescapes_entities():
    assert normalize("Tom &amp; Jerry&#39;s") == "tom & jerry's"
