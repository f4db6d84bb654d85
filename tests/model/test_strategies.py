"""Every strategy x architecture builds and learns; frozen means frozen.

Real Keras/TensorFlow on tiny data; the Word2Vec matrix is real gensim output.
"""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.config import TrainParams
from embedlab.splits import read_split, read_vocab
from embedlab.strategies import STRATEGIES
from embedlab.train.architectures import ARCHITECTURES
from embedlab.train.fit import fit_cell
from embedlab.train.grid import Cell, train_inputs
from embedlab.train import linear
from embedlab.train.models import build_model, embedding_tables, save_model
from tests.tinydata import write_tiny_project

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    layout = write_tiny_project(root)["layout"]
    return train_inputs([Cell("w2v_frozen", "cbow", "meanpool", 1, "w2v_frozen")], layout)


def _loss(model, x, y) -> float:
    import keras

    prob = model(x, training=False)
    return float(keras.ops.mean(keras.losses.binary_crossentropy(y[:, None].astype("float32"), prob)))


# The whole cross product takes minutes on 2 cores (LSTM graphs trace slowly), so
# the default run covers every strategy (on meanpool) and the cnn and lstm paths
# (with the two-table multichannel strategy); the rest is marked slow.
FAST = ({(s, "meanpool") for s in STRATEGIES} | {("w2v_multichannel", a) for a in ("cnn", "lstm")}
        | {(s, "linear") for s in ("learned", "w2v_frozen")})
GRID = [pytest.param(s, a, marks=() if (s, a) in FAST else pytest.mark.slow)
        for s in STRATEGIES for a in ARCHITECTURES]


@pytest.mark.parametrize("strategy,architecture", GRID)
def test_builds_and_one_step_reduces_loss(tiny, strategy, architecture):
    x, y = read_split(tiny.train)
    x, y = x[:64], y[:64]
    matrix = np.load(tiny.matrices["cbow"])
    vocab_size = len(read_vocab(tiny.vocab)["tokens"])
    model = build_model(strategy, architecture, vocab_size=vocab_size,
                        matrix=matrix if STRATEGIES[strategy].needs_vectors else None,
                        embedding_dim=12, units=8, dropout=0.0, seed=3, learning_rate=0.01)
    assert model.output_shape == (None, 1)

    # The tables are the ones the strategy promises, Word2Vec rows where it says so.
    specs = {t.name: t for t in STRATEGIES[strategy].tables}
    tables = embedding_tables(model)
    assert set(tables) == set(specs)
    for name, spec in specs.items():
        assert model.get_layer(name).trainable is spec.trainable
        if spec.init == "vectors":
            np.testing.assert_array_equal(tables[name], matrix)
        else:
            assert tables[name].shape == (vocab_size, 12)
    frozen_rows = sum(t.size for n, t in tables.items() if not specs[n].trainable)
    trainable_rows = sum(t.size for n, t in tables.items() if specs[n].trainable)
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == frozen_rows
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) > trainable_rows

    before = _loss(model, x, y)
    model.train_on_batch(x, y.astype("float32"))
    after = _loss(model, x, y)
    assert np.isfinite(before) and after < before, (before, after)


def _fit(tiny, strategy, architecture="meanpool", **kw):
    params = TrainParams(**{"epochs": 2, "batch_size": 32, "patience": 10, "embedding_dim": 12,
                            "units": 8, "learning_rate": 0.01, **kw})
    variant = "cbow" if STRATEGIES[strategy].needs_vectors else None
    return fit_cell(Cell(strategy, variant, architecture, 1, strategy), params, tiny)


@pytest.mark.parametrize("strategy,architecture", [
    ("w2v_frozen", "meanpool"), ("w2v_frozen", "cnn"),
    pytest.param("random_frozen", "lstm", marks=pytest.mark.slow)])
def test_frozen_table_is_bit_identical_after_training(tiny, strategy, architecture):
    res = _fit(tiny, strategy, architecture)
    before, after = res.initial_tables["embedding"], res.final_tables["embedding"]
    assert np.array_equal(before, after)
    if strategy == "w2v_frozen":
        assert np.array_equal(after, np.load(tiny.matrices["cbow"]))
    assert res.epochs_run == 2 and all(np.isfinite(res.history["loss"]))


@pytest.mark.parametrize("strategy", ["w2v_finetuned", "learned"])
def test_finetuned_table_changes(tiny, strategy):
    res = _fit(tiny, strategy)
    before, after = res.initial_tables["embedding"], res.final_tables["embedding"]
    moved = np.linalg.norm(after[1:] - before[1:], axis=1) > 0
    assert moved.mean() > 0.5
    np.testing.assert_array_equal(after[0], before[0])  # padding is masked: never trained


def test_multichannel_has_one_frozen_and_one_tuned_table(tiny):
    res = _fit(tiny, "w2v_multichannel")
    init, final = res.initial_tables, res.final_tables
    assert np.array_equal(init["embedding_static"], final["embedding_static"])
    assert not np.array_equal(init["embedding_tuned"], final["embedding_tuned"])
    np.testing.assert_array_equal(init["embedding_static"], init["embedding_tuned"])


def test_unfreeze_is_frozen_first_then_fine_tuned(tiny):
    # Only the frozen phase (epochs == unfreeze_after): the table must not move.
    frozen = _fit(tiny, "w2v_unfreeze", epochs=2, unfreeze_after=2)
    assert np.array_equal(frozen.initial_tables["embedding"], frozen.final_tables["embedding"])
    # One more epoch, unfrozen at a lower learning rate: now it moves.
    tuned = _fit(tiny, "w2v_unfreeze", epochs=3, unfreeze_after=2)
    assert tuned.epochs_run == 3
    assert not np.array_equal(tuned.initial_tables["embedding"], tuned.final_tables["embedding"])


def test_class_weight_and_early_stopping_restore_best(tiny):
    res = _fit(tiny, "learned", epochs=6, patience=1, class_weight=True, learning_rate=0.05)
    val_loss = res.history["val_loss"]
    assert 1 <= len(val_loss) <= 6
    # restore_best_weights: the returned model scores the best epoch's val loss.
    import keras

    x, y = read_split(tiny.val)
    loss = float(keras.ops.mean(keras.losses.binary_crossentropy(
        y[:, None].astype("float32"), res.model(x, training=False))))
    assert loss == pytest.approx(min(val_loss), rel=1e-3, abs=1e-4)


# ------------------------------------------------------------------ the linear head


@pytest.mark.parametrize("strategy", ["w2v_frozen", "random_frozen"])
def test_linear_head_over_a_frozen_table_fits_the_head_alone(tiny, strategy, tmp_path, monkeypatch):
    """Fixed features: computed once per review, only the output layer fits, and the
    saved model (ids -> probability) gives exactly what the head gave."""
    import keras

    means, computed = linear.masked_means, []

    def counted(x, tables):
        computed.append(len(x))
        return means(x, tables)

    monkeypatch.setattr(linear, "masked_means", counted)
    monkeypatch.setattr(linear, "CACHE", type(linear.CACHE)())
    assert linear.fits_head_only(strategy, "linear", TrainParams())
    res = _fit(tiny, strategy, "linear", epochs=4)
    # fit rows and selection rows, once each; a second trial of the cell recomputes nothing
    assert len(computed) == 2
    again = _fit(tiny, strategy, "linear", epochs=4, l2=0.01)
    assert len(computed) == 2 and again.history["loss"] != res.history["loss"]

    # The table did not move: the saved model's embedding is the one it started with.
    save_model(res.model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", compile=False)   # as served
    table = np.asarray(loaded.get_layer("embedding").get_weights()[0])
    np.testing.assert_array_equal(table, res.initial_tables["embedding"])
    if strategy == "w2v_frozen":
        np.testing.assert_array_equal(table, np.load(tiny.matrices["cbow"]))

    # features -> head equals ids -> saved model on the same reviews
    x, y = read_split(tiny.val)
    kernel, bias = loaded.get_layer("output").get_weights()
    head = 1 / (1 + np.exp(-(means(x, [table]) @ kernel + bias).ravel()))
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)).ravel(), head, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res.val_prob, head, rtol=1e-5, atol=1e-6)
    # The head's validation figures are the saved model's.
    loss = float(keras.ops.mean(keras.losses.binary_crossentropy(y[:, None].astype("float32"),
                                                                 head[:, None])))
    assert loss == pytest.approx(min(res.history["val_loss"]), rel=1e-4, abs=1e-5)


def test_linear_head_over_frozen_features_is_at_the_optimum_of_its_penalised_loss(tiny):
    """The exact head (linear.ExactHead) minimises what a Keras fit would: the mean
    log loss on the fit rows plus train.l2 * |w|^2, so its gradient there is zero."""
    l2 = 0.01
    res = _fit(tiny, "w2v_frozen", "linear", l2=l2)
    assert len(res.history["loss"]) == 1    # one exact fit, no epochs of Adam
    f = linear.masked_means(read_split(tiny.train)[0], [np.load(tiny.matrices["cbow"])]).astype(np.float64)
    y = read_split(tiny.train)[1]
    w, b = (np.asarray(v, np.float64) for v in res.model.get_layer("output").get_weights())
    p = 1 / (1 + np.exp(-(f @ w + b).ravel()))
    grad_w, grad_b = f.T @ (p - y) / len(y) + 2 * l2 * w.ravel(), np.mean(p - y)
    assert np.abs(grad_w).max() < 1e-4 and abs(grad_b) < 1e-4
    assert np.abs(w).max() > 1e-3      # not the trivial zero head


def test_linear_head_masked_mean_excludes_padding():
    table = np.arange(12, dtype=np.float32).reshape(6, 2)
    x = np.array([[1, 2, 0, 0], [5, 5, 3, 0], [0, 0, 0, 0]], np.int32)
    np.testing.assert_allclose(linear.masked_means(x, [table, -table]), [
        [3, 4, -3, -4], [26 / 3, 29 / 3, -26 / 3, -29 / 3], [0, 0, 0, 0]], rtol=1e-6)


@pytest.mark.parametrize("strategy,params,head_only", [
    ("learned", {}, False), ("w2v_finetuned", {}, False), ("w2v_unfreeze", {}, False),
    ("w2v_frozen", {"ngrams": 2}, False), ("w2v_frozen", {}, True), ("random_frozen", {}, True)])
def test_only_tables_that_never_train_take_the_head_only_path(strategy, params, head_only):
    assert linear.fits_head_only(strategy, "linear", TrainParams(**params)) is head_only
    assert not linear.fits_head_only(strategy, "meanpool", TrainParams(**params))


def test_linear_head_with_a_learned_table_trains(tiny):
    res = _fit(tiny, "learned", "linear", epochs=4)
    loss = res.history["loss"]
    assert loss[-1] < loss[0]
    before, after = res.initial_tables["embedding"], res.final_tables["embedding"]
    assert (np.linalg.norm(after[1:] - before[1:], axis=1) > 0).mean() > 0.5
    np.testing.assert_array_equal(after[0], before[0])  # padding is masked: never trained
    assert "embedding_dropout" not in [la.name for la in res.model.layers]   # L2 is its regulariser


def test_l2_shrinks_the_linear_head_and_nothing_else(tiny):
    kernels = [np.linalg.norm(_fit(tiny, "w2v_frozen", "linear", epochs=4, l2=l2).model
                              .get_layer("output").get_weights()[0]) for l2 in (0.0, 0.1)]
    assert kernels[1] < 0.5 * kernels[0], kernels
    kw = dict(vocab_size=30, matrix=None, embedding_dim=4, units=4, dropout=0.0, seed=1,
              learning_rate=0.01)
    assert build_model("learned", "linear", **kw, l2=0.1).losses          # the penalty is there
    assert not build_model("learned", "meanpool", **kw, l2=0.1).losses    # dropout's architectures
