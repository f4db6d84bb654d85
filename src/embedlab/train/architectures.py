"""The architecture registry: what a model does after its embedding.

Each architecture is one builder function, ``(embedded, words, units, seed) ->
features``, registered in :data:`ARCHITECTURES` with whether it consumes the
padding mask. ``words`` is (batch, time, 1): 1 at a word, 0 at padding, for
builders that cannot consume the mask. No builder's output may depend on how
much padding follows a review: training cuts batches to their longest review,
the served model pads to ``max_len``.
Adding an architecture is one function and one entry here, plus its test in
``tests/model/test_strategies.py``. Keras is imported inside the builders only.

LSTMs keep the cuDNN-compatible configuration: no ``recurrent_dropout`` (> 0
silently falls back to the generic kernel on a GPU); dropout goes on the
embedding output instead (``embedlab.train.models``; every architecture but a
linear one), and padding is at the end, which cuDNN's masked path requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def lstm(x, words, units: int, seed: int):
    from keras import layers

    return layers.LSTM(units, name="lstm")(x)


def bilstm(x, words, units: int, seed: int):
    from keras import layers

    return layers.Bidirectional(layers.LSTM(units), name="bilstm")(x)


def cnn(x, words, units: int, seed: int):
    """Kim (2014): parallel filter widths 3, 4, 5, max-over-time pooling, dropout 0.5.

    Padding is zeroed, as the convolution's own "same" padding is, and zeroed again
    after the ReLU, so the max (>= 0) is over real words only."""
    from keras import layers

    x = x * words
    pooled = []
    for width in (3, 4, 5):
        c = layers.Conv1D(units, width, activation="relu", padding="same", name=f"conv{width}")(x)
        pooled.append(layers.GlobalMaxPooling1D(name=f"maxpool{width}")(c * words))
    x = layers.Concatenate(name="pooled")(pooled)
    return layers.Dropout(0.5, seed=seed, name="dropout")(x)


def linear(x, words, units: int, seed: int):
    """The averaged-vectors classifier: the masked mean of the embedding output, which
    the output layer reads directly (no hidden layer). With a learned table and
    ``train.ngrams`` > 1 it is fastText's model (the n-gram rows are added at their
    first word, so they enter the same mean). Its regulariser is ``train.l2`` on the
    output kernel (``embedlab.train.models``)."""
    from keras import layers

    return layers.GlobalAveragePooling1D(name="mean")(x)


def meanpool(x, words, units: int, seed: int):
    """fastText-like: the mean of the (unmasked) word vectors, then a dense layer."""
    from keras import layers

    x = layers.GlobalAveragePooling1D(name="mean")(x)
    return layers.Dense(units, activation="relu", name="dense")(x)


@dataclass(frozen=True)
class Architecture:
    name: str
    build: Callable
    masked: bool       # consumes the padding mask (Conv1D does not: the cnn uses `words`)
    layers: str        # for the docs table
    # Features go straight to the output: no dropout on the embedding (a linear model of
    # averaged vectors has nothing to co-adapt; dropping words would only add noise to the
    # mean), `train.l2` on the output kernel instead; a frozen table's features are
    # computed once (embedlab.train.linear).
    linear: bool = False


ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    Architecture("lstm", lstm, True, "`LSTM(units)`"),
    Architecture("bilstm", bilstm, True, "`Bidirectional(LSTM(units))`"),
    Architecture("cnn", cnn, False, "Kim (2014): `Conv1D(units, w)` for w = 3, 4, 5 in parallel, "
                                    "max-over-time pooling, dropout 0.5"),
    Architecture("meanpool", meanpool, True, "fastText-like: mean of the unmasked word vectors "
                                             "→ `Dense(units, relu)`"),
    Architecture("linear", linear, True, "the mean of the unmasked word (+ n-gram) vectors, "
                                         "straight to the output; `learned` with `train.ngrams: 2` "
                                         "is fastText's model", linear=True),
)}


def get(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose from "
                         f"{', '.join(ARCHITECTURES)}") from None
