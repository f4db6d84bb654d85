"""Hashed word n-grams, fastText-style: the one definition, inside the model.

:func:`ngram_ids` maps each position of a post-padded id sequence to the bucket
of the word n-gram that starts there, computed from the word ids with integer
arithmetic only (no Python ``hash()``, which is salted per process): the same
ids give the same buckets in every process, on every machine. Bucket 0 means
"no n-gram here" (the n-gram would run into padding); real n-grams land in
``1 .. buckets``.

:class:`HashedNgrams` is the Keras layer that does it inside the model, so the
saved ``model.keras`` turns word ids into n-grams itself: training (any batch
length, ``embedlab.train.fit``'s bucketed batches) and the served pyfunc (raw text ->
word ids -> this layer) run the very same code. It adds, at each word, the
embeddings of the n-grams that start there (n = 2 .. ``max_n``) from one table
of ``buckets + 1`` rows (row 0 is never read: its output is zeroed, so it gets no
gradient). The table is random and always trainable, whatever the strategy does
with the word table: a frozen random n-gram row carries no information.

Keras is imported here at module level: loading a model that holds the layer
needs it registered first (``embedlab_serving.model`` imports this module).
"""

from __future__ import annotations

import keras
from keras import ops

# Polynomial hash over word ids, reduced modulo a Mersenne prime after each step
# so that every intermediate value fits in int64 (ids < 2**31, hash < 2**31,
# hash * MULTIPLIER < 2**58). MULTIPLIER is fastText's n-gram hash multiplier.
MULTIPLIER = 116_049_371
MODULUS = 2_147_483_647  # 2**31 - 1


def ngram_ids(ids, n: int, buckets: int):
    """(batch, time) word ids -> (batch, time) int32 bucket of the n-gram starting at
    each position; 0 where the n-gram would include padding (id 0). Works on numpy
    arrays and on tensors of any backend."""
    if n < 2 or buckets < 1:
        raise ValueError(f"n-grams need n >= 2 and buckets >= 1, got n={n}, buckets={buckets}")
    ids = ops.cast(ids, "int64")
    time = ops.shape(ids)[1]
    h, real = ids, ops.not_equal(ids, 0)
    for k in range(1, n):
        # The word k places ahead; padding (0) past the end, whatever the batch's length.
        ahead = ops.pad(ids, [[0, 0], [0, k]])[:, k:k + time]
        h = ops.mod(h * MULTIPLIER + ahead, MODULUS)
        real = ops.logical_and(real, ops.not_equal(ahead, 0))
    # A different offset per order: "a b" and "a b c" do not share a bucket by construction.
    bucket = 1 + ops.mod(h + n * 1_000_003, buckets)
    return ops.cast(ops.where(real, bucket, 0), "int32")


@keras.saving.register_keras_serializable(package="embedlab_serving")
class HashedNgrams(keras.layers.Layer):
    """Word ids -> at each position, the sum of the embeddings of the n-grams that
    start there (n = 2 .. ``max_n``); zero where none does."""

    def __init__(self, max_n: int, buckets: int, output_dim: int, seed: int | None = None,
                 mask_zero: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_n, self.buckets, self.output_dim = int(max_n), int(buckets), int(output_dim)
        self.seed, self.mask_zero = seed, bool(mask_zero)
        # The word embedding's mask (id != 0): merged by Add with the word table's, unchanged.
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.buckets + 1, self.output_dim), name="embeddings",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=self.seed))

    def call(self, ids):
        out = None
        for n in range(2, self.max_n + 1):
            g = ngram_ids(ids, n, self.buckets)
            e = ops.take(self.embeddings, g, axis=0)
            e = e * ops.expand_dims(ops.cast(ops.not_equal(g, 0), e.dtype), -1)
            out = e if out is None else out + e
        return out

    def compute_mask(self, ids, mask=None):
        return ops.not_equal(ids, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "max_n": self.max_n, "buckets": self.buckets,
                "output_dim": self.output_dim, "seed": self.seed, "mask_zero": self.mask_zero}
