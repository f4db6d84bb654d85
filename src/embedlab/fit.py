"""Keras fitting of one cell: datasets, the strategy's schedule, predictions.

The strategy decides *what* happens (``strategies.Strategy.schedule``); this
module does it with Keras: ``Trainer.fit`` runs epochs with early stopping on
validation loss (best weights restored), ``Trainer.unfreeze`` makes tables
trainable and recompiles at a new learning rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embedlab import strategies
from embedlab.config import TrainParams
from embedlab.grid import Cell, TrainInputs

EpochHook = Callable[[int, dict], None]


def _dataset(x, y, batch_size: int, shuffle_seed: int | None):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("float32")))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def epoch_rows(rows: np.ndarray, batch_size: int, min_steps: int) -> np.ndarray:
    """The train rows of one epoch: each labeled review once, or, when that is fewer
    than ``min_steps`` batches, as many whole passes over them as fill ``min_steps``
    batches (shuffled together by the dataset)."""
    passes = max(1, -(-min_steps * batch_size // len(rows)))
    return np.tile(rows, passes)


def _class_weight(y: np.ndarray) -> dict[int, float]:
    n, pos = len(y), int(y.sum())
    return {0: n / (2 * max(n - pos, 1)), 1: n / (2 * max(pos, 1))}


class Trainer:
    """Runs a strategy's schedule on one compiled model; collects the history."""

    def __init__(self, model, train_ds, val_ds, params: TrainParams, class_weight, on_epoch):
        self.model, self.train_ds, self.val_ds = model, train_ds, val_ds
        self.params, self.class_weight, self.on_epoch = params, class_weight, on_epoch
        self.history: dict[str, list[float]] = {}

    def _callbacks(self, early_stopping: bool) -> list:
        import keras

        trainer = self

        class EpochLogger(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if trainer.on_epoch:
                    trainer.on_epoch(epoch, dict(logs or {}))

        stop = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.params.patience,
                                              restore_best_weights=True)] if early_stopping else []
        return [*stop, EpochLogger()]

    def fit(self, epochs: int, initial_epoch: int = 0, early_stopping: bool = True) -> None:
        # shuffle=False: the tf.data pipeline shuffles (per seed); Keras' flag would be ignored.
        h = self.model.fit(self.train_ds, validation_data=self.val_ds, epochs=epochs,
                           initial_epoch=initial_epoch, verbose=0, shuffle=False,
                           class_weight=self.class_weight, callbacks=self._callbacks(early_stopping))
        for key, values in h.history.items():
            self.history.setdefault(key, []).extend(values)

    def unfreeze(self, tables: list[str], learning_rate: float) -> None:
        from embedlab.models import compile_model

        for name in tables:
            self.model.get_layer(name).trainable = True
        compile_model(self.model, learning_rate)


@dataclass
class Fitted:
    """A trained cell: the model, its history, its predictions and its tables."""

    model: object
    history: dict[str, list[float]]
    val_prob: np.ndarray
    test_prob: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    seconds: float
    train_examples: int            # labeled reviews fitted on (the cell's train size)
    epochs_run: int
    examples_per_second: float
    counts: dict[str, int]
    initial_tables: dict[str, np.ndarray]
    final_tables: dict[str, np.ndarray]


def fit_cell(cell: Cell, params: TrainParams, inputs: TrainInputs, on_epoch: EpochHook | None = None) -> Fitted:
    """Build and train one model on the cell's labeled subset of the prepared train split."""
    from embedlab.models import build_model, embedding_tables, parameter_counts
    from embedlab.splits import labeled_subset, read_split, read_vocab

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = (read_split(p) for p in (inputs.train, inputs.val, inputs.test))
    # The cell's labeled reviews: validation and test stay whole, so every size is scored alike.
    subset = labeled_subset(y_tr, cell.train_size, cell.seed)
    rows = epoch_rows(subset, params.batch_size, params.min_steps_per_epoch)
    x_tr, y_tr = x_tr[rows], y_tr[rows]
    matrix = np.load(inputs.matrices[cell.variant]) if cell.variant else None
    model = build_model(cell.strategy, cell.architecture, vocab_size=len(read_vocab(inputs.vocab)["tokens"]),
                        max_len=x_tr.shape[1], matrix=matrix, embedding_dim=params.embedding_dim,
                        units=params.units, dropout=params.dropout, seed=cell.seed,
                        learning_rate=params.learning_rate)
    initial_tables, counts = embedding_tables(model), parameter_counts(model)
    trainer = Trainer(model, _dataset(x_tr, y_tr, params.batch_size, cell.seed),
                      _dataset(x_va, y_va, params.batch_size, None), params,
                      _class_weight(y_tr) if params.class_weight else None, on_epoch)
    strategy = strategies.get(cell.strategy)
    t0 = time.perf_counter()
    strategy.schedule(trainer, strategy.tables, params)
    seconds = time.perf_counter() - t0
    epochs_run = len(trainer.history.get("loss", []))
    return Fitted(model, trainer.history,
                  model.predict(x_va, batch_size=512, verbose=0).ravel(),
                  model.predict(x_te, batch_size=512, verbose=0).ravel(),
                  y_va, y_te, seconds, len(subset), epochs_run, len(x_tr) * epochs_run / max(seconds, 1e-9),
                  counts, initial_tables, embedding_tables(model))
