"""The linear head over frozen tables: each review's features computed once.

Under architecture ``linear`` a model is the masked mean of its embedding output
mapped by one ``Dense(1, sigmoid)``. When every table is frozen for the whole fit
(``w2v_frozen``, ``random_frozen``: no unfreeze schedule, and ``train.ngrams`` 1,
since the n-gram table always trains) that mean is a fixed function of the review:
it is the same in every epoch, every trial and every fold. So it is computed once
per review with numpy (:func:`features`, kept per process in :data:`CACHE`), and
the output layer is then a logistic regression on fixed features: a convex problem
with one optimum, which :class:`ExactHead` finds with scikit-learn's solver rather
than by epochs of Adam (which, at the default learning rate, stopped far from it:
mean vectors need large weights). ``train.l2`` is the same penalty either way
(Keras adds ``l2 * |w|^2`` to the mean loss; scikit-learn's ``C`` is ``1 / (2 l2 n)``),
so learning rate and epochs do not apply to these cells. The fitted weights go back
into the whole model (:func:`install`), so the saved ``model.keras`` is the usual
ids -> probability model and serving does not change.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from embedlab import strategies
from embedlab.config import TrainParams
from embedlab.train import architectures
from embedlab.train.models import output_layer

# Features per (tables, reviews) digest. Trials and folds of one cell (and cells that
# share a table) re-read the same reviews; a handful of entries covers a cell's fit,
# selection and fold arrays without holding a whole grid's in memory.
CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
CACHE_ENTRIES = 16


def fits_head_only(strategy: str, architecture: str, params: TrainParams) -> bool:
    """Whether the cell's features are fixed: a linear head, every table frozen
    throughout (no schedule unfreezes it), no n-gram table."""
    strat = strategies.get(strategy)
    return (architectures.get(architecture).linear and params.ngrams == 1
            and not any(t.trainable for t in strat.tables) and not strat.fine_tunes_vectors)


def model_tables(model, strategy: str) -> list[np.ndarray]:
    """The model's tables in the order its embedding concatenates them."""
    return [np.asarray(model.get_layer(t.name).get_weights()[0]) for t in strategies.get(strategy).tables]


def _digest(a: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((a.dtype.str, a.shape)).encode())
    h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def masked_means(x: np.ndarray, tables: list[np.ndarray]) -> np.ndarray:
    """(reviews, Σ widths) float32: per review, the mean of its words' rows of each
    table, side by side; padding (id 0) excluded, as the model's mask excludes it.
    A sparse count matrix times the table: no (reviews, length, width) gather."""
    from scipy import sparse

    rows, cols = np.nonzero(x)
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, x[rows, cols])),
                               shape=(len(x), len(tables[0])))
    lengths = np.maximum(np.asarray(counts.sum(axis=1)), 1)     # a review with no word: zeros
    return np.hstack([counts @ t.astype(np.float64) / lengths for t in tables]).astype(np.float32)


def features(x: np.ndarray, tables: list[np.ndarray]) -> np.ndarray:
    """:func:`masked_means`, computed once per process for the same tables and reviews."""
    key = ("".join(map(_digest, tables)), _digest(x))
    if key in CACHE:
        CACHE.move_to_end(key)
        return CACHE[key]
    CACHE[key] = value = masked_means(x, tables)
    while len(CACHE) > CACHE_ENTRIES:
        CACHE.popitem(last=False)
    return value


def head(model, width: int, params: TrainParams):
    """The whole model's output layer alone, over (batch, ``width``) features, for
    :class:`ExactHead` to set and score (not compiled: no optimizer ever steps it)."""
    import keras

    inputs = keras.Input(shape=(width,), dtype="float32", name="features")
    out = output_layer(True, params.l2)(inputs)
    fitted = keras.Model(inputs, out, name="linear_head")
    fitted.get_layer("output").set_weights(model.get_layer("output").get_weights())
    return fitted


def predict(fitted_head, f: np.ndarray) -> np.ndarray:
    return np.asarray(fitted_head(f, training=False)).ravel()


def install(fitted_head, model) -> None:
    """The fitted head's weights into the whole model's output layer."""
    model.get_layer("output").set_weights(fitted_head.get_layer("output").get_weights())


class ExactHead:
    """The output layer fitted to its optimum on fixed features, in the shape of
    ``fit.Trainer`` (``fit``, ``history``, ``model``), so a strategy's schedule runs it
    unchanged. One "epoch": the solver's fit, then the same validation figures and hook
    as a Keras epoch (a pruner sees them, early stopping has nothing left to stop)."""

    def __init__(self, fitted_head, f_fit: np.ndarray, y_fit: np.ndarray, params: TrainParams,
                 class_weight, validate, on_epoch):
        self.model, self.f_fit, self.y_fit = fitted_head, f_fit, y_fit
        self.params, self.class_weight, self.validate, self.on_epoch = params, class_weight, validate, on_epoch
        self.history: dict[str, list[float]] = {}

    def fit(self, epochs: int, initial_epoch: int = 0, early_stopping: bool = True) -> None:
        from sklearn.linear_model import LogisticRegression

        from embedlab.train.metrics import classification_metrics

        l2, n = self.params.l2, len(self.y_fit)
        clf = LogisticRegression(C=1.0 / (2.0 * l2 * n) if l2 > 0 else np.inf, max_iter=5000,
                                 class_weight=self.class_weight).fit(self.f_fit, self.y_fit)
        self.model.get_layer("output").set_weights([clf.coef_.T.astype("float32"),
                                                    clf.intercept_.astype("float32")])
        m = classification_metrics(self.y_fit, predict(self.model, self.f_fit), "")
        logs = {"loss": m["log_loss"] + l2 * float(np.sum(clf.coef_ ** 2)), "accuracy": m["accuracy"]}
        if self.validate:
            logs.update(self.validate())
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        if self.on_epoch:
            self.on_epoch(initial_epoch, dict(logs))

    def unfreeze(self, tables: list[str], learning_rate: float) -> None:
        raise AssertionError("fits_head_only excludes a schedule that unfreezes")
