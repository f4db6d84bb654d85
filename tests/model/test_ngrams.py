"""Hashed word n-grams (train.ngrams): the hash, the table beside the words, a cell.

Real Keras/TensorFlow on tiny data; the Word2Vec matrix is real gensim output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from embedlab.config import TrainParams
from embedlab.errors import ConfigError
from embedlab.train.fit import fit_cell
from embedlab.train.grid import Cell, fingerprint, train_inputs
from embedlab.train.models import build_model
from tests.conftest import ROOT
from tests.tinydata import write_tiny_project

pytest.importorskip("tensorflow")

IDS = np.array([[5, 6, 7, 0, 0], [1, 2, 0, 0, 0], [9, 0, 0, 0, 0], [3, 1, 1, 4, 8]], np.int32)
HASH_SCRIPT = ("import json, numpy as np; from embedlab_serving.ngrams import ngram_ids; "
               f"ids = np.array({IDS.tolist()}); "
               "print(json.dumps([np.asarray(ngram_ids(ids, n, 1000)).tolist() for n in (2, 3)]))")


def _ngrams(ids, n, buckets):
    from embedlab_serving.ngrams import ngram_ids

    return np.asarray(ngram_ids(ids, n, buckets))


def test_hash_is_the_same_in_every_process():
    here = [_ngrams(IDS, n, 1000).tolist() for n in (2, 3)]
    for seed in ("0", "12345"):   # Python's str hash() would differ between these
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{ROOT / 'src'}"}
        out = subprocess.run([sys.executable, "-c", HASH_SCRIPT], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=True).stdout
        assert json.loads(out.strip().splitlines()[-1]) == here
    # Pinned: a served model hashes with this code, so its buckets may never move.
    assert _ngrams(np.array([[5, 6, 7]]), 2, 10).tolist() == [[8, 10, 0]]


def test_buckets_in_range_and_padding_gives_no_ngram():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 5000, size=(64, 40)).astype(np.int32)
    ids[:, 30:] = 0                                    # post-padding
    for n in (2, 3):
        g = _ngrams(ids, n, 257)
        real = g[:, :31 - n]
        assert real.min() >= 1 and real.max() <= 257  # 0 is reserved for "no n-gram"
        assert (g[:, 31 - n:] == 0).all()             # an n-gram that runs into padding is none
        assert len(np.unique(real)) > 200              # spread over the buckets
    # The same pair gives the same bucket wherever it occurs; the order matters.
    g = _ngrams(np.array([[7, 8, 7, 8, 8, 7]]), 2, 1_000_003)[0]
    assert g[0] == g[2] and g[0] != g[4]
    # A trimmed batch (as bucketing cuts it) hashes the same as the padded one.
    np.testing.assert_array_equal(_ngrams(IDS[:3, :3], 3, 50), _ngrams(IDS[:3], 3, 50)[:, :3])
    np.testing.assert_array_equal(_ngrams(IDS[2:3, :1], 3, 50), [[0]])


def test_ngrams_one_builds_the_words_only_model():
    kw = dict(vocab_size=30, matrix=None, embedding_dim=8, units=4, dropout=0.0, seed=1,
              learning_rate=0.01)
    words, default = build_model("learned", "meanpool", **kw, ngrams=1, ngram_buckets=50), \
        build_model("learned", "meanpool", **kw)
    assert [la.name for la in words.layers] == [la.name for la in default.layers]
    assert "ngrams" not in [la.name for la in words.layers]
    x = IDS + 2
    np.testing.assert_array_equal(np.asarray(words(x)), np.asarray(default(x)))
    bigrams = build_model("learned", "meanpool", **kw, ngrams=2, ngram_buckets=50)
    assert bigrams.get_layer("ngrams").embeddings.shape == (51, 8)
    assert TrainParams().ngrams == 1


@pytest.mark.parametrize("architecture", ["meanpool", "cnn", "lstm", "linear"])
def test_ngram_output_does_not_depend_on_trailing_padding(architecture):
    model = build_model("learned", architecture, vocab_size=50, matrix=None, embedding_dim=8,
                        units=4, dropout=0.0, seed=1, learning_rate=0.01, ngrams=3, ngram_buckets=31)
    rng = np.random.default_rng(0)
    lengths = [5, 1, 3, 5, 2]
    long = np.zeros((len(lengths), 40), np.int32)
    for i, n in enumerate(lengths):
        long[i, :n] = rng.integers(1, 50, size=n)
    b = np.asarray(model(long, training=False)).ravel()
    np.testing.assert_allclose(np.asarray(model(long[:, :5], training=False)).ravel(), b,
                               rtol=1e-5, atol=1e-6)
    alone = [float(np.asarray(model(long[i:i + 1, :n], training=False))[0, 0])
             for i, n in enumerate(lengths)]
    np.testing.assert_allclose(alone, b, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    layout = write_tiny_project(tmp_path_factory.mktemp("tiny-ngrams"))["layout"]
    return train_inputs([Cell("w2v_frozen", "cbow", "meanpool", 1, "w2v_frozen")], layout)


@pytest.mark.parametrize("architecture", ["meanpool", "cnn", "linear"])
def test_bigram_cell_trains_ngram_rows_and_keeps_frozen_words(tiny, architecture):
    """A frozen strategy freezes only its word rows: the n-gram table is random and
    trains (frozen random rows would be noise); its row 0 ("no n-gram") is never read."""
    params = TrainParams(epochs=2, batch_size=32, patience=10, units=8, learning_rate=0.01,
                         ngrams=2, ngram_buckets=211)
    cell = Cell("w2v_frozen", "cbow", architecture, 1, "w2v_frozen")
    model = build_model("w2v_frozen", architecture, vocab_size=len(np.load(tiny.matrices["cbow"])),
                        matrix=np.load(tiny.matrices["cbow"]), embedding_dim=12, units=8,
                        dropout=0.2, seed=1, learning_rate=0.01, ngrams=2, ngram_buckets=211)
    table_before = np.array(model.get_layer("ngrams").embeddings)
    res = fit_cell(cell, params, tiny)
    assert res.epochs_run == 2 and all(np.isfinite(res.history["loss"]))
    assert 0 <= res.test_prob.min() and res.test_prob.max() <= 1
    # Word rows (padding and OOV included) bit-identical: the matrix as it was.
    np.testing.assert_array_equal(res.final_tables["embedding"], np.load(tiny.matrices["cbow"]))
    assert "ngrams" not in res.initial_tables      # drift analysis sees word tables only
    table_after = np.array(res.model.get_layer("ngrams").embeddings)
    assert res.model.get_layer("ngrams").trainable
    np.testing.assert_array_equal(table_after[0], table_before[0])
    moved = np.linalg.norm(table_after[1:] - table_before[1:], axis=1) > 0
    assert 0.2 < moved.mean() < 1.0       # the bigrams the data has moved; unused buckets did not
    trainable = sum(int(np.prod(w.shape)) for w in res.model.trainable_weights)
    assert res.counts["params_trainable"] == trainable >= table_after.size


def test_params_validate_and_enter_the_fingerprint(tiny, tmp_path):
    from embedlab.config import ProbeParams, load_train

    cell = Cell("learned", None, "meanpool", 1, "learned")
    one, two = TrainParams(), TrainParams(ngrams=2)
    assert fingerprint(cell, one, tiny, ProbeParams()) != fingerprint(cell, two, tiny, ProbeParams())
    assert (fingerprint(cell, two, tiny, ProbeParams())
            != fingerprint(cell, TrainParams(ngrams=2, ngram_buckets=7), tiny, ProbeParams()))
    bad = tmp_path / "params.yaml"
    bad.write_text("train:\n  ngrams: 5\n")
    with pytest.raises(ConfigError, match=r"train\.ngrams"):
        load_train(bad)


def test_ngram_rows_step_lazily_and_word_rows_by_plain_adam(tmp_path):
    """The n-gram table's rows move only in the batches that look them up (their moments
    too); the word table keeps Keras' Adam, whose moments move a row a batch did not read.
    A looked-up row's step is Adam's. The optimizer survives a save and load."""
    import keras

    model = build_model("learned", "linear", vocab_size=20, matrix=None, embedding_dim=4, units=2,
                        dropout=0.0, seed=1, learning_rate=0.1, ngrams=2, ngram_buckets=50)
    reference = keras.models.clone_model(model)
    reference.set_weights(model.get_weights())
    reference.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy")
    first, second = np.array([[1, 2, 3, 0]], np.int32), np.array([[4, 5, 6, 0]], np.int32)
    y = np.array([1.0], np.float32)
    seen = np.unique(_ngrams(first, 2, 50)[_ngrams(first, 2, 50) > 0])
    for m in (model, reference):
        m.train_on_batch(first, y)
    ngram, words = (np.array(model.get_layer(n).embeddings) for n in ("ngrams", "embedding"))
    # One step from zero moments: lazy and plain Adam agree on every row.
    np.testing.assert_allclose(ngram, np.array(reference.get_layer("ngrams").embeddings), rtol=0, atol=2e-6)
    model.train_on_batch(second, y)
    reference.train_on_batch(second, y)
    # The first batch's bigram rows: plain Adam's momentum moves them again, lazily they stay.
    after = np.array(model.get_layer("ngrams").embeddings)
    np.testing.assert_array_equal(after[seen], ngram[seen])
    assert not np.allclose(np.array(reference.get_layer("ngrams").embeddings)[seen], ngram[seen])
    # Word rows 1-3 (read by the first batch only) move again under the word table's plain Adam.
    assert not np.allclose(np.array(model.get_layer("embedding").embeddings)[1:4], words[1:4])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.optimizer.lazy_tables == ("ngrams",) and type(loaded.optimizer).__name__ == "TableScaledAdam"
