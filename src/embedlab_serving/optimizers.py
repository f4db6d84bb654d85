"""Adam with its own learning rate for named embedding tables (``train.table_lr_scale``), and
lazy row steps for others (the hashed n-gram table).

Discriminative fine-tuning (Howard & Ruder 2018): a table initialised from
pretrained vectors moves at ``table_lr_scale`` × the learning rate while the rest
of the network moves at the full rate. Scaling the table's gradient instead would
do nothing: Adam divides each step by the gradient's own running size, so only
the step's learning rate can change how far the table moves.

Rows of a table named in ``lazy_tables`` step lazily (TensorFlow 1's
``LazyAdamOptimizer``): a batch moves, and updates the moments of, only the rows it
looked up. Plain Adam steps every row of a table each batch, through moments that
decay where the gradient is zero; over the 100,000 rows of a hashed n-gram table
(``train.ngrams``) that dense step was most of a batch's time (about 3× a lazy one on
IMDB-sized batches), while a batch reads a few thousand rows. fastText's own
n-gram rows step sparsely too. Word tables keep plain Adam: they are the ``Embedding``
a practitioner's Keras model trains, which the grid compares.

The optimizer is part of a compiled model's saved config, so it lives here, in
the package a served model carries, registered like the n-gram layer: a saved
``model.keras`` loads (compiled or not) where ``embedlab`` is not installed.
Keras is imported at module level for the same reason as in ``ngrams``.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="embedlab_serving")
class TableScaledAdam(keras.optimizers.Adam):
    """Adam whose steps on the variables of the layers named in ``tables`` use
    ``table_lr_scale`` × the learning rate, and whose steps on the layers named in
    ``lazy_tables`` touch only the rows a batch looked up."""

    def __init__(self, tables=(), table_lr_scale: float = 1.0, lazy_tables=(), **kwargs):
        super().__init__(**kwargs)
        self.tables, self.table_lr_scale = tuple(tables), float(table_lr_scale)
        self.lazy_tables = tuple(lazy_tables)
        self._scaled_keys: set = set()
        self._lazy_keys: set = set()

    def build(self, var_list):
        # A variable's path is "<layer name>/<weight name>": the first part names the table.
        # Keys, not paths: update_step receives the backend's variable, which has no path.
        def keys(layers):
            return {self._var_key(v) for v in var_list if v.path.split("/", 1)[0] in layers}

        self._scaled_keys, self._lazy_keys = keys(self.tables), keys(self.lazy_tables)
        super().build(var_list)

    def update_step(self, gradient, variable, learning_rate):
        key = self._var_key(variable)
        if key in self._scaled_keys:
            learning_rate = learning_rate * self.table_lr_scale
        import tensorflow as tf   # the backend Keras runs on here; a table lookup's gradient is IndexedSlices

        if key in self._lazy_keys and isinstance(gradient, tf.IndexedSlices):
            self._lazy_step(gradient, variable, learning_rate)
        else:
            super().update_step(gradient, variable, learning_rate)

    def _lazy_step(self, gradient, variable, learning_rate):
        """Adam on the looked-up rows alone (a row looked up twice in a batch: its
        gradients summed, as the dense step sums them), bias-corrected by the global step."""
        import tensorflow as tf

        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        alpha = tf.cast(learning_rate, dtype) * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
        rows, at = tf.unique(gradient.indices)
        g = tf.math.unsorted_segment_sum(tf.cast(gradient.values, dtype), at, tf.shape(rows)[0])
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m_rows = beta_1 * tf.gather(m.value, rows) + (1 - beta_1) * g
        v_rows = beta_2 * tf.gather(v.value, rows) + (1 - beta_2) * tf.square(g)
        self.assign(m, tf.IndexedSlices(m_rows, rows))
        self.assign(v, tf.IndexedSlices(v_rows, rows))
        self.assign_sub(variable, tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))

    def get_config(self):
        return {**super().get_config(), "tables": list(self.tables),
                "table_lr_scale": self.table_lr_scale, "lazy_tables": list(self.lazy_tables)}

