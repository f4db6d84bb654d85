"""Keras models: a strategy's embedding table(s) + an architecture's layers.

Both come from their registries (``embedlab.strategies``,
``embedlab.train.architectures``); this module only assembles and compiles. Weights
enter through ``set_weights`` after the layer is built: Keras 3 rejects
``Embedding(weights=[...])``. The table width is the matrix's width, so it
cannot disagree with the vectors' ``vector_size``.

Inputs have any length: training cuts each batch to its longest review
(``train.bucketing``) while the served model pads every review to ``max_len``.
Both give the same output because every architecture ignores padding: through
the embedding mask, or (an architecture that cannot consume a mask) through
``words``, which marks the real words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlab import fileio, strategies
from embedlab.train import architectures

NGRAM_SEED_OFFSET = 10_007
NGRAM_LAYER = "ngrams"   # the hashed n-gram table's layer: its rows step lazily (compile_model)


def _check_matrix(strategy: strategies.Strategy, matrix: np.ndarray | None, vocab_size: int) -> None:
    if not strategy.needs_vectors:
        return
    if matrix is None:
        raise ValueError(f"strategy {strategy.name!r} needs a vectors matrix")
    if matrix.shape[0] != vocab_size:
        raise ValueError(f"matrix has {matrix.shape[0]} rows but the vocabulary has "
                         f"{vocab_size} ids: rebuild the embeddings stage")


def build_model(strategy: str, architecture: str, *, vocab_size: int,
                matrix: np.ndarray | None, embedding_dim: int, units: int,
                dropout: float, seed: int, learning_rate: float,
                ngrams: int = 1, ngram_buckets: int = 0, table_lr_scale: float = 1.0,
                l2: float = 0.0):
    """A compiled binary classifier over post-padded id sequences of any length.

    ``ngrams`` > 1 adds, at each word, the embeddings of the hashed word n-grams
    (n = 2 .. ``ngrams``) that start there (``embedlab_serving.ngrams``): a table of
    ``ngram_buckets`` random, trainable rows beside the strategy's word table(s).
    ``ngrams == 1`` builds exactly the words-only model. ``table_lr_scale`` scales the
    learning rate of the strategy's vector-initialised tables (:func:`compile_model`).
    A linear architecture (``Architecture.linear``) has no dropout; ``l2`` penalises
    its output kernel (other architectures regularise by ``dropout`` and ignore ``l2``)."""
    import keras
    import tensorflow as tf
    from keras import layers, ops

    strat, arch = strategies.get(strategy), architectures.get(architecture)
    _check_matrix(strat, matrix, vocab_size)
    dim = matrix.shape[1] if strat.needs_vectors else embedding_dim

    # A fresh Keras session numbers the auto-named layers (not_equal, adam, ...) from
    # scratch, so a cell's saved model does not depend on the cells its process built
    # before (the session is per thread). Seeds fix the initial weights, dropout masks
    # and shuffles; op determinism keeps TensorFlow from picking racing kernels.
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    embedded = [layers.Embedding(
        vocab_size, dim, mask_zero=arch.masked, trainable=t.trainable, name=t.name,
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))(ids)
        for t in strat.tables]
    x = embedded[0] if len(embedded) == 1 else layers.Concatenate(name="channels")(embedded)
    if ngrams > 1:
        x = layers.Add(name="words_and_ngrams")([x, _ngram_layer(ngrams, ngram_buckets, x.shape[-1],
                                                                  arch.masked, seed)(ids)])
    if not arch.linear:
        # Dropout on the embedding output replaces the LSTM's recurrent_dropout.
        x = layers.Dropout(dropout, seed=seed, name="embedding_dropout")(x)
    words = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), x.dtype), -1)   # 1 = word, 0 = padding
    out = output_layer(arch.linear, l2)(arch.build(x, words, units, seed))
    model = keras.Model(ids, out, name=f"{strategy}_{architecture}")
    for t in strat.tables:
        if t.init == "vectors":
            model.get_layer(t.name).set_weights([matrix.astype("float32")])
    compile_model(model, learning_rate, table_lr_scale, strat.vector_tables)
    return model


def output_layer(linear: bool, l2: float):
    """The Dense(1, sigmoid) every model ends in; a linear head's kernel carries the
    ``l2`` penalty (none at 0, so the layer's saved config stays what it was)."""
    import keras

    penalty = keras.regularizers.L2(l2) if linear and l2 > 0 else None
    return keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=penalty, name="output")


def _ngram_layer(ngrams: int, buckets: int, width: int, masked: bool, seed: int):
    from embedlab_serving.ngrams import HashedNgrams

    if buckets < 1:
        raise ValueError(f"ngrams={ngrams} needs ngram_buckets >= 1, got {buckets}")
    # Its own seed: the n-gram rows must not repeat the word table's first rows.
    return HashedNgrams(ngrams, buckets, width, seed=seed + NGRAM_SEED_OFFSET, mask_zero=masked,
                        name=NGRAM_LAYER)


def compile_model(model, learning_rate: float, table_lr_scale: float = 1.0,
                  tables: tuple[str, ...] = ()) -> None:
    """Adam at ``learning_rate``; the ``tables`` at ``table_lr_scale`` × it, and the hashed
    n-gram table's rows stepped lazily (``embedlab_serving.optimizers``). The same plain
    Adam as ever when the scale is 1 (or there is no such table) and there is no n-gram
    table, so those models keep their bytes."""
    import keras

    from embedlab_serving.optimizers import TableScaledAdam

    scaled = tables if table_lr_scale != 1 else ()
    lazy = tuple(layer.name for layer in model.layers if layer.name == NGRAM_LAYER)
    optimizer = (TableScaledAdam(scaled, table_lr_scale, lazy, learning_rate=learning_rate)
                 if scaled or lazy else keras.optimizers.Adam(learning_rate))
    # steps_per_execution: Keras runs 16 training steps per call of its compiled
    # function, fewer Python round trips (callbacks here run per epoch only).
    # Training batches track accuracy only: the AUC that counts is the validation
    # one (embedlab.train.fit), and a running AUC in the train step costs tracing time.
    model.compile(optimizer=optimizer,
                  loss="binary_crossentropy", metrics=["accuracy"],
                  steps_per_execution=16)


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


def save_model(model, path: Path) -> None:
    """``model.save`` as a reproducible file: Keras stamps the save time into
    metadata.json and the archive's entries, and numbers objects shared between
    layers (the dtype policy) by their memory address in config.json. Times are
    pinned and those ids renumbered in order, so the same weights give the same bytes."""
    import json

    def renumber(node, ids: dict) -> None:
        if isinstance(node, dict):
            if "shared_object_id" in node:
                node["shared_object_id"] = ids.setdefault(node["shared_object_id"], len(ids) + 1)
            for value in node.values():
                renumber(value, ids)
        elif isinstance(node, list):
            for value in node:
                renumber(value, ids)

    def pinned(name: str, data: bytes) -> bytes:
        if name not in ("metadata.json", "config.json"):
            return data
        doc = json.loads(data)
        doc.pop("date_saved", None) if name == "metadata.json" else renumber(doc, {})
        return json.dumps(doc).encode()

    model.save(path)
    fileio.pin_zip(path, pinned)
