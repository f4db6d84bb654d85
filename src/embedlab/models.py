"""Keras models: an embedding strategy x an architecture.

Weights enter through ``set_weights`` after the layer is built: Keras 3 rejects
``Embedding(weights=[...])``. LSTMs keep the cuDNN-compatible configuration
(no ``recurrent_dropout``; dropout goes on the embedding output instead), since
``recurrent_dropout > 0`` silently falls back to the generic kernel on a GPU,
and padding is at the end, which cuDNN's masked path requires.

Inputs have any length: training cuts each batch to its longest review
(``train.bucketing``) while the served model pads every review to ``max_len``.
Both give the same output because every architecture ignores padding: the LSTMs
and the mean through the embedding mask, the CNN by zeroing padded positions
before its convolutions and before max-pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRATEGIES = ("learned", "random_frozen", "w2v_frozen", "w2v_finetuned",
              "w2v_multichannel", "w2v_unfreeze")
ARCHITECTURES = ("lstm", "bilstm", "cnn", "meanpool")


@dataclass(frozen=True)
class TableSpec:
    name: str          # layer name
    init: str          # "random" or "w2v"
    trainable: bool


def tables_for(strategy: str) -> list[TableSpec]:
    """The embedding table(s) a strategy uses (DESIGN.md's strategy table)."""
    return {
        "learned": [TableSpec("embedding", "random", True)],
        "random_frozen": [TableSpec("embedding", "random", False)],
        "w2v_frozen": [TableSpec("embedding", "w2v", False)],
        "w2v_finetuned": [TableSpec("embedding", "w2v", True)],
        # Kim (2014) multichannel: one static and one non-static copy side by side.
        "w2v_multichannel": [TableSpec("embedding_static", "w2v", False),
                             TableSpec("embedding_tuned", "w2v", True)],
        # Starts frozen; training.py unfreezes it after `unfreeze_after` epochs.
        "w2v_unfreeze": [TableSpec("embedding", "w2v", False)],
    }[strategy]


def build_model(strategy: str, architecture: str, *, vocab_size: int,
                matrix: np.ndarray | None, embedding_dim: int, units: int,
                dropout: float, seed: int, learning_rate: float):
    """A compiled binary classifier over post-padded id sequences of any length."""
    import keras
    from keras import layers, ops

    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}")
    specs = tables_for(strategy)
    needs_w2v = any(s.init == "w2v" for s in specs)
    if needs_w2v:
        if matrix is None:
            raise ValueError(f"strategy {strategy!r} needs a Word2Vec matrix")
        if matrix.shape[0] != vocab_size:
            raise ValueError(f"matrix has {matrix.shape[0]} rows but the vocabulary has "
                             f"{vocab_size} ids: rebuild the embeddings stage")
    dim = matrix.shape[1] if needs_w2v else embedding_dim
    # Conv1D does not support masks; the others skip padding through them.
    mask = architecture != "cnn"

    keras.utils.set_random_seed(seed)
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    embedded = []
    for spec in specs:
        emb = layers.Embedding(vocab_size, dim, mask_zero=mask, trainable=spec.trainable,
                               embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed),
                               name=spec.name)
        embedded.append(emb(ids))
    x = embedded[0] if len(embedded) == 1 else layers.Concatenate(name="channels")(embedded)
    # Dropout on the embedding output replaces the LSTM's recurrent_dropout.
    x = layers.Dropout(dropout, seed=seed, name="embedding_dropout")(x)

    if architecture == "lstm":
        x = layers.LSTM(units, name="lstm")(x)
    elif architecture == "bilstm":
        x = layers.Bidirectional(layers.LSTM(units), name="bilstm")(x)
    elif architecture == "cnn":
        # Kim (2014): parallel filter widths, max-over-time pooling, dropout.
        # Padding is zeroed, as the convolution's own "same" padding is, and
        # zeroed again after the ReLU, so the max (>= 0) is over real words only:
        # the output does not depend on how much padding follows a review.
        words = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), x.dtype), -1)
        x = x * words
        pooled = []
        for width in (3, 4, 5):
            c = layers.Conv1D(units, width, activation="relu", padding="same", name=f"conv{width}")(x)
            pooled.append(layers.GlobalMaxPooling1D(name=f"maxpool{width}")(c * words))
        x = layers.Concatenate(name="pooled")(pooled)
        x = layers.Dropout(0.5, seed=seed, name="dropout")(x)
    elif architecture == "meanpool":
        # fastText-like: the mean of the (unmasked) word vectors, then a dense layer.
        x = layers.GlobalAveragePooling1D(name="mean")(x)
        x = layers.Dense(units, activation="relu", name="dense")(x)
    out = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(ids, out, name=f"{strategy}_{architecture}")

    if needs_w2v:
        for spec in specs:
            if spec.init == "w2v":
                model.get_layer(spec.name).set_weights([matrix.astype("float32")])
    compile_model(model, learning_rate)
    return model


# Training steps per call of Keras' compiled train function: fewer Python round
# trips per epoch (nothing here runs per batch; callbacks run per epoch).
STEPS_PER_EXECUTION = 16


def compile_model(model, learning_rate: float) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")],
                  steps_per_execution=STEPS_PER_EXECUTION)


def parameter_counts(model) -> dict[str, int]:
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    frozen = int(sum(np.prod(w.shape) for w in model.non_trainable_weights))
    return {"params_total": trainable + frozen, "params_trainable": trainable,
            "params_non_trainable": frozen}


def embedding_tables(model) -> dict[str, np.ndarray]:
    """Current weights of every embedding table, by layer name."""
    import keras

    return {layer.name: np.array(layer.get_weights()[0])
            for layer in model.layers if isinstance(layer, keras.layers.Embedding)}
