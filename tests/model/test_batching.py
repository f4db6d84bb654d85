"""Length-bucketed batches and the one compiled predict per model.

Training cuts each batch to its longest review while the served model pads every
review to max_len: that is only a batching change if no architecture's output
depends on how much padding follows a review. Real Keras on tiny inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.train.architectures import ARCHITECTURES
from embedlab.train.fit import (BUCKET_WINDOW, _dataset, compiled_predict, length_batches, sequence_lengths,
                                validation_logs)
from embedlab.train.models import build_model

pytest.importorskip("tensorflow")


def _padded(lengths, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros((len(lengths), width), np.int32)
    for i, n in enumerate(lengths):
        x[i, :n] = rng.integers(1, 50, size=n)
    return x


def test_every_row_once_and_batches_of_similar_length():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 143, size=1000)
    batches = length_batches(lengths, 16, np.random.default_rng(7))
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(1000))
    assert sum(len(b) < 16 for b in batches) <= 1
    padded = sum(lengths[b].max() * len(b) for b in batches)
    assert 1 - lengths.sum() / padded < 0.15          # vs ~50 % padded to the longest overall
    # Each window is sorted, then the batches are shuffled: not one long sorted run.
    firsts = [lengths[b[0]] for b in batches]
    assert firsts != sorted(firsts)
    # Same seed, same batches; the generator's next draw (next epoch) differs.
    again = length_batches(lengths, 16, np.random.default_rng(7))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    gen = np.random.default_rng(7)
    length_batches(lengths, 16, gen)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, length_batches(lengths, 16, gen)))
    assert BUCKET_WINDOW > 1


def test_training_batches_are_cut_to_their_longest_review():
    lengths = np.array([3, 9, 1, 5, 2, 8, 4, 7, 6, 2, 3])
    x, y = _padded(lengths, 12), np.arange(len(lengths)) % 2
    seen = []
    for xb, yb in _dataset(x, y, 4, seed=3, bucketing=True):
        xb = xb.numpy()
        assert xb.shape[1] == sequence_lengths(xb).max()
        seen += [tuple(r[r > 0]) for r in xb]
    assert sorted(seen) == sorted(tuple(r[r > 0]) for r in x)
    full = [xb.shape[1] for xb, _ in _dataset(x, y, 4, seed=3, bucketing=False)]
    assert set(full) == {12}


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_output_does_not_depend_on_trailing_padding(architecture):
    model = build_model("learned", architecture, vocab_size=50, matrix=None, embedding_dim=8,
                        units=4, dropout=0.0, seed=1, learning_rate=0.01)
    lengths = [5, 1, 3, 5]
    short, long = _padded(lengths, 5), _padded(lengths, 40)
    a = np.asarray(model(short, training=False)).ravel()
    b = np.asarray(model(long, training=False)).ravel()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # and each review alone, cut to its own length, gives the same as in the batch
    alone = [float(np.asarray(model(long[i:i + 1, :n], training=False))[0, 0])
             for i, n in enumerate(lengths)]
    np.testing.assert_allclose(alone, b, rtol=1e-5, atol=1e-6)


def test_compiled_predict_traces_once_and_keeps_row_order():
    model = build_model("learned", "cnn", vocab_size=50, matrix=None, embedding_dim=8,
                        units=4, dropout=0.0, seed=1, learning_rate=0.01)
    predict = compiled_predict(model, batch_size=3)
    rng = np.random.default_rng(2)
    for width, n in ((10, 7), (30, 11), (6, 2)):
        x = _padded(rng.integers(1, width + 1, size=n), width, seed=n)
        np.testing.assert_allclose(predict(x), np.asarray(model(x, training=False)).ravel(),
                                   rtol=1e-5, atol=1e-6)
    assert predict.step.experimental_get_tracing_count() == 1


def test_validation_logs_match_keras():
    import keras

    y = np.array([0, 1, 1, 0, 1], np.int8)
    p = np.array([0.2, 0.9, 0.4, 0.6, 0.51], np.float32)
    logs = validation_logs(y, p)
    keras_loss = float(keras.ops.mean(keras.losses.binary_crossentropy(
        y[:, None].astype("float32"), p[:, None])))
    assert logs["val_loss"] == pytest.approx(keras_loss, rel=1e-5)
    acc = keras.metrics.BinaryAccuracy()
    acc.update_state(y[:, None], p[:, None])
    assert logs["val_accuracy"] == pytest.approx(float(acc.result()))
    assert logs["val_auc"] == pytest.approx(4 / 6)      # 4 of 6 positive/negative pairs in order
