"""Keras fitting of one cell: datasets, the strategy's schedule, predictions.

The strategy decides *what* happens (``strategies.Strategy.schedule``); this
module does it with Keras: ``Trainer.fit`` runs epochs with early stopping on
validation loss (best weights restored), ``Trainer.unfreeze`` makes tables
trainable and recompiles at a new learning rate.

"Validation" is the cell's selection rows (:func:`selection_data`): the val
split at train size ``all``, a held-out share of the cell's own N labels below
it. Below ``train.cv_below`` labels a cell is selected by k-fold
cross-validation over its N labels instead (:func:`cross_validate`: each fold
early-stops on its held fold) and its model refit on all N (:func:`refit`);
:func:`fit_selected` picks the way. :func:`train_model` never reads the test
split, so a search can compare models with it (``embedlab.train.tuning``);
:func:`with_test` scores the one kept.

Batches (``train.bucketing``) hold reviews of similar length, cut to their
longest, so recurrent and convolutional steps run over real words rather than
padding. One compiled function per model predicts: each epoch's validation
figures and the final validation and test probabilities.

A linear head over tables that never train (``embedlab.train.linear``) fits its
output layer alone on each review's fixed features, then hands the weights to the
whole model, which predicts as above.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from embedlab import strategies
from embedlab.config import ALL_TRAIN, TrainParams
from embedlab.train import linear
from embedlab.train.grid import Cell, TrainInputs

EpochHook = Callable[[int, dict], None]


# Sorting by length within windows of this many batches leaves ~6 % of a batch
# as padding on the default data (55 % when every batch is padded to max_len),
# while each window still mixes reviews from across the training set.
BUCKET_WINDOW = 20


def sequence_lengths(x: np.ndarray) -> np.ndarray:
    """Real tokens per row: padding is id 0, always at the end."""
    return np.count_nonzero(x, axis=1)


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None
                   ) -> list[np.ndarray]:
    """Row indices of each batch, every row exactly once. With ``rng`` (training):
    shuffled, sorted by length within windows of ``BUCKET_WINDOW`` batches, the
    batches in random order. Without (prediction): sorted by length."""
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    order = rng.permutation(len(lengths))
    window = batch_size * BUCKET_WINDOW
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _trimmed(x: np.ndarray, lengths: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The rows ``idx``, cut to the longest of them (at least one column)."""
    return x[idx, :max(1, int(lengths[idx].max()))]


def _dataset(x, y, batch_size: int, seed: int, bucketing: bool):
    """Training batches, shuffled per ``seed``; with ``bucketing``, of similar
    lengths and cut to their longest review."""
    import tensorflow as tf

    y = y.astype("float32")
    if not bucketing:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    lengths = sequence_lengths(x)
    # One generator per dataset: every epoch draws the next shuffle from it, so a
    # seed gives the same batches in every run.
    rng = np.random.default_rng(seed)

    def batches():
        for idx in length_batches(lengths, batch_size, rng):
            yield _trimmed(x, lengths, idx), y[idx]

    # One (None, None) signature: Keras traces its train step once.
    spec = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.float32))
    ds = tf.data.Dataset.from_generator(batches, output_signature=spec)
    n_batches = -(-len(x) // batch_size)   # windows hold whole batches: only the last is short
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(tf.data.AUTOTUNE)


def compiled_predict(model, batch_size: int) -> Callable[[np.ndarray], np.ndarray]:
    """``predict(x) -> probabilities`` from one compiled function per model, traced
    once: its (None, None) signature takes every batch shape. (Model.predict
    compiles a function per model; TensorFlow's "triggered tf.function retracing"
    warning was those, counted across cells by their shared code.) Batches are
    sorted by length and cut to their longest review."""
    import tensorflow as tf

    step = tf.function(lambda ids: model(ids, training=False),
                       input_signature=[tf.TensorSpec((None, None), tf.int32)])

    def predict(x: np.ndarray) -> np.ndarray:
        lengths, prob = sequence_lengths(x), np.empty(len(x), np.float32)
        for idx in length_batches(lengths, batch_size):
            prob[idx] = np.asarray(step(_trimmed(x, lengths, idx))).ravel()
        return prob

    predict.step = step   # its tracing count shows "traced once"
    return predict


def validation_logs(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """An epoch's validation figures under the names Keras gives them (the loss is
    the same binary cross-entropy; the AUC exact, not Keras' 200-threshold estimate)."""
    from embedlab.train.metrics import classification_metrics

    m = classification_metrics(y, prob, "")
    return {"val_loss": m["log_loss"], "val_accuracy": m["accuracy"], "val_auc": m["roc_auc"]}


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

    def __init__(self, model, train_ds, validate: Callable[[], dict] | None, params: TrainParams,
                 class_weight, on_epoch, vector_tables: tuple[str, ...] = ()):
        self.model, self.train_ds, self.validate = model, train_ds, validate
        self.params, self.class_weight, self.on_epoch = params, class_weight, on_epoch
        self.vector_tables = vector_tables   # train.table_lr_scale applies to them after a recompile too
        self.history: dict[str, list[float]] = {}

    def _callbacks(self, early_stopping: bool) -> list:
        import keras

        trainer = self

        class EpochEnd(keras.callbacks.Callback):
            """First in the list: the validation figures join the epoch's logs
            before EarlyStopping and History read them."""

            def on_epoch_end(self, epoch, logs=None):
                if trainer.validate:   # a refit on all N labels has no rows to validate on
                    logs.update(trainer.validate())
                if trainer.on_epoch:
                    trainer.on_epoch(epoch, dict(logs))

        stop = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.params.patience,
                                              restore_best_weights=True)]
        return [EpochEnd(), *(stop if early_stopping and self.validate else [])]

    def fit(self, epochs: int, initial_epoch: int = 0, early_stopping: bool = True) -> None:
        # shuffle=False: the tf.data pipeline shuffles (per seed); Keras' flag would be ignored.
        # No validation_data: Keras would compile a second inference function per model.
        h = self.model.fit(self.train_ds, epochs=epochs,
                           initial_epoch=initial_epoch, verbose=0, shuffle=False,
                           class_weight=self.class_weight, callbacks=self._callbacks(early_stopping))
        for key, values in h.history.items():
            self.history.setdefault(key, []).extend(values)

    def unfreeze(self, tables: list[str], learning_rate: float) -> None:
        from embedlab.train.models import compile_model

        for name in tables:
            self.model.get_layer(name).trainable = True
        compile_model(self.model, learning_rate, self.params.table_lr_scale, self.vector_tables)


@dataclass
class Fitted:
    """A trained cell: the model, its history, its predictions and its tables.

    ``val_prob``/``y_val`` are the selection rows' (the val split at train size
    ``all``, the cell's held-out labeled reviews below it: :func:`selection_data`;
    below ``train.cv_below`` the out-of-fold probabilities of all N: :func:`refit`).
    The test fields stay empty until :func:`with_test`, the one read of the test split."""

    model: object
    history: dict[str, list[float]]
    val_prob: np.ndarray
    y_val: np.ndarray
    predict: Callable[[np.ndarray], np.ndarray]
    seconds: float
    train_examples: int            # labeled reviews the cell uses in all (its train size)
    fit_examples: int              # of them, the ones it is fitted on
    selection_examples: int        # the reviews early stopping and selection read
    epochs_run: int
    examples_per_second: float
    counts: dict[str, int]
    initial_tables: dict[str, np.ndarray]
    final_tables: dict[str, np.ndarray]
    test_prob: np.ndarray | None = None
    y_test: np.ndarray | None = None


@dataclass(frozen=True)
class CellData:
    """The reviews a cell fits on and the ones it is selected on."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_sel: np.ndarray
    y_sel: np.ndarray
    labeled: int                   # labeled train reviews used in all (fit + selection below `all`)


def selection_data(cell: Cell, params: TrainParams, inputs: TrainInputs) -> CellData:
    """At train size ``all``: fit on the train split, select on the val split. Below it,
    the cell's N labeled reviews are all it gets: a stratified ``train.holdout`` share
    of them selects (early stopping, validation figures, tuning), the rest fit, and the
    val split is not read (its labels would be labels beyond the N)."""
    from embedlab.splits import holdout_split, labeled_subset, read_split

    x_tr, y_tr = read_split(inputs.train)
    if cell.train_size == ALL_TRAIN:
        return CellData(x_tr, y_tr, *read_split(inputs.val), labeled=len(y_tr))
    subset = labeled_subset(y_tr, cell.train_size, cell.seed)
    fit, sel = holdout_split(y_tr, subset, params.holdout, cell.seed)
    return CellData(x_tr[fit], y_tr[fit], x_tr[sel], y_tr[sel], labeled=len(subset))


def _head_trainer(model, cell: Cell, data: CellData, params: TrainParams, class_weight, on_epoch: EpochHook | None) -> linear.ExactHead:
    """A linear head over frozen tables (``embedlab.train.linear``): the reviews' features
    are fixed, so the output layer alone is fitted on them, to its optimum (a logistic
    regression at ``train.l2``), on the fit rows once each."""
    tables = linear.model_tables(model, cell.strategy)
    f_fit = linear.features(data.x_fit, tables)
    head = linear.head(model, f_fit.shape[1], params)
    validate = None   # a refit (no selection rows): no validation, no early stopping
    if len(data.y_sel):
        f_sel = linear.features(data.x_sel, tables)
        validate = lambda: validation_logs(data.y_sel, linear.predict(head, f_sel))  # noqa: E731
    return linear.ExactHead(head, f_fit, data.y_fit, params, class_weight, validate, on_epoch)


class Blank:
    """A cell's compiled model at ``params`` and its state as built, so that every fold
    of a cross-validation starts from that state (:meth:`ready`) rather than building
    and tracing a model of its own: at 100-1,000 labels a fold's build, trace and
    clean-up took as long as its steps. The restored state is the whole of what a fresh
    build would give: every variable (the dropout seeds' state included) and the
    optimizer's (step count and moments, all zero)."""

    def __init__(self, cell: Cell, params: TrainParams, inputs: TrainInputs, reused: bool = True):
        from embedlab.splits import read_vocab
        from embedlab.train.models import build_model

        matrix = np.load(inputs.matrices[cell.variant]) if cell.variant else None
        self.model = build_model(cell.strategy, cell.architecture, vocab_size=len(read_vocab(inputs.vocab)["tokens"]),
                                 matrix=matrix, embedding_dim=params.embedding_dim,
                                 units=params.units, dropout=params.dropout, seed=cell.seed,
                                 learning_rate=params.learning_rate,
                                 ngrams=params.ngrams, ngram_buckets=params.ngram_buckets,
                                 table_lr_scale=params.table_lr_scale, l2=params.l2)
        # Adam's moments exist once it is built; Keras would build it at the first fit.
        self.optimizer, self.used = self.model.optimizer, False
        self.optimizer.build(self.model.trainable_variables)
        self.variables = [*self.model.variables, *self.optimizer.variables]
        self.state = [np.array(v) for v in self.variables] if reused else None   # one model: no copy
        self.predict = compiled_predict(self.model, params.batch_size)

    @property
    def spent(self) -> bool:
        """A schedule that recompiled the model (``w2v_unfreeze``) changed what trains: it
        cannot start another fold."""
        return self.model.optimizer is not self.optimizer

    def ready(self) -> Blank:
        """The model in its built state: as built the first time, restored after."""
        if self.used:
            assert self.state is not None, "a Blank built with reused=False trains one model"
            for variable, value in zip(self.variables, self.state):
                variable.assign(value)
        self.used = True
        return self


def train_model(cell: Cell, params: TrainParams, inputs: TrainInputs,
                on_epoch: EpochHook | None = None, data: CellData | None = None,
                blank: Blank | None = None) -> Fitted:
    """Build and train one model on the cell's fit rows, early stopping on its selection
    rows (``data``, default :func:`selection_data`; with no selection rows, a refit: no
    validation, no early stopping, ``params.epochs`` epochs), or train ``blank``'s model
    from its built state. Never reads the test split (tuning compares trials with this)."""
    from embedlab.train.models import embedding_tables, parameter_counts

    data = selection_data(cell, params, inputs) if data is None else data
    rows = epoch_rows(np.arange(len(data.y_fit)), params.batch_size, params.min_steps_per_epoch)
    x_tr, y_tr = data.x_fit[rows], data.y_fit[rows]
    blank = (blank or Blank(cell, params, inputs, reused=False)).ready()
    model, predict = blank.model, blank.predict
    initial_tables, counts = embedding_tables(model), parameter_counts(model)
    strategy = strategies.get(cell.strategy)
    class_weight = _class_weight(y_tr) if params.class_weight else None
    t0 = time.perf_counter()
    if linear.fits_head_only(cell.strategy, cell.architecture, params):
        trainer = _head_trainer(model, cell, data, params, class_weight, on_epoch)
    else:
        trainer = Trainer(model, _dataset(x_tr, y_tr, params.batch_size, cell.seed, params.bucketing),
                          (lambda: validation_logs(data.y_sel, predict(data.x_sel))) if len(data.y_sel) else None,
                          params, class_weight, on_epoch, strategy.vector_tables)
    strategy.schedule(trainer, strategy.tables, params)
    if trainer.model is not model:
        linear.install(trainer.model, model)
    seconds = time.perf_counter() - t0
    epochs_run = len(trainer.history.get("loss", []))
    return Fitted(model, trainer.history, predict(data.x_sel), data.y_sel, predict, seconds,
                  data.labeled, len(data.y_fit), len(data.y_sel), epochs_run,
                  len(x_tr) * epochs_run / max(seconds, 1e-9), counts, initial_tables,
                  embedding_tables(model))


def uses_cv(cell: Cell, params: TrainParams) -> bool:
    """Whether the cell selects by cross-validation over its N labels (below
    ``train.cv_below``) rather than on a holdout share of them or the val split."""
    return cell.train_size != ALL_TRAIN and cell.train_size < params.cv_below


@dataclass
class CrossValidated:
    """A cell's k-fold cross-validation over its N labels (``splits.cv_split``): each
    fold's model fitted on the other folds, early-stopped on its own."""

    rows: np.ndarray               # the N labeled train-split rows, ascending
    prob: np.ndarray               # out-of-fold probability of each of them
    y: np.ndarray
    best_epochs: list[int]         # per fold, the epoch (from 1) of its lowest validation loss
    seconds: float

    @property
    def epochs(self) -> int:
        """The refit's epoch count: the folds' median best epoch (the median resists a
        fold that stopped at once or ran to its cap)."""
        return max(1, int(np.round(np.median(self.best_epochs))))


def best_epoch(history: dict[str, list[float]]) -> int:
    """The epoch (from 1) of the lowest validation loss: the weights early stopping restores."""
    return int(np.argmin(history["val_loss"])) + 1


def cross_validate(cell: Cell, params: TrainParams, inputs: TrainInputs,
                   on_fold: Callable[[int, float], None] | None = None) -> CrossValidated:
    """``train.cv_folds`` models at ``params`` (one compiled model, restored to its built
    state for each fold: :class:`Blank`), each on the other folds of the cell's N labels
    and early-stopped on its own; no val or test row is read. ``on_fold(k,
    accuracy)`` sees the out-of-fold accuracy of the first k + 1 folds (tuning prunes on it)."""
    from embedlab.splits import cv_split, labeled_subset, read_split

    x_tr, y_tr = read_split(inputs.train)
    rows = labeled_subset(y_tr, cell.train_size, cell.seed)
    prob, done, best, seconds = np.full(len(rows), np.nan, np.float32), [], [], 0.0
    blank = None
    for k, (fit, held) in enumerate(cv_split(y_tr, rows, params.cv_folds, cell.seed)):
        data = CellData(x_tr[fit], y_tr[fit], x_tr[held], y_tr[held], labeled=len(rows))
        blank = Blank(cell, params, inputs) if blank is None or blank.spent else blank
        fold = train_model(cell, params, inputs, data=data, blank=blank)
        prob[np.searchsorted(rows, held)] = fold.val_prob
        done.append(np.searchsorted(rows, held))
        best.append(best_epoch(fold.history))
        seconds += fold.seconds
        if on_fold:
            seen = np.concatenate(done)
            on_fold(k, float(np.mean((prob[seen] >= 0.5) == y_tr[rows][seen])))
    return CrossValidated(rows, prob, y_tr[rows], best, seconds)


def refit(cell: Cell, params: TrainParams, inputs: TrainInputs, cv: CrossValidated,
          on_epoch: EpochHook | None = None) -> Fitted:
    """The cell's model: fitted on all N labels at ``params`` for ``cv.epochs`` epochs, no
    early stopping (no label is left to stop on). Its selection figures are the
    cross-validation's: ``val_prob``/``y_val`` the out-of-fold probabilities of the N."""
    from embedlab.splits import read_split

    x_tr, y_tr = read_split(inputs.train)
    x, y = x_tr[cv.rows], y_tr[cv.rows]
    data = CellData(x, y, x[:0], y[:0], labeled=len(cv.rows))
    fitted = train_model(cell, params.model_copy(update={"epochs": cv.epochs}), inputs, on_epoch, data)
    return replace(fitted, val_prob=cv.prob, y_val=cv.y, selection_examples=len(cv.rows),
                   seconds=fitted.seconds + cv.seconds)


def fit_selected(cell: Cell, params: TrainParams, inputs: TrainInputs,
                 on_epoch: EpochHook | None = None) -> Fitted:
    """The cell's model at ``params``, selected the cell's way: cross-validated and refit
    below ``train.cv_below``, early-stopped on its selection rows otherwise."""
    if uses_cv(cell, params):
        return refit(cell, params, inputs, cross_validate(cell, params, inputs), on_epoch)
    return train_model(cell, params, inputs, on_epoch)


def with_test(fitted: Fitted, inputs: TrainInputs) -> Fitted:
    """The chosen model's test probabilities and labels: the only read of the test split."""
    from embedlab.splits import read_split

    x_te, y_te = read_split(inputs.test)
    return replace(fitted, test_prob=fitted.predict(x_te), y_test=y_te)


def fit_cell(cell: Cell, params: TrainParams, inputs: TrainInputs, on_epoch: EpochHook | None = None) -> Fitted:
    """One model trained at ``params`` (:func:`fit_selected`), scored on the test split."""
    return with_test(fit_selected(cell, params, inputs, on_epoch), inputs)
