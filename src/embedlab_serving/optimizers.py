"""Adam with its own learning rate for named embedding tables (``train.table_lr_scale``).

Discriminative fine-tuning (Howard & Ruder 2018): a table initialised from
pretrained vectors moves at ``table_lr_scale`` × the learning rate while the rest
of the network moves at the full rate. Scaling the table's gradient instead would
do nothing: Adam divides each step by the gradient's own running size, so only
the step's learning rate can change how far the table moves.

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
    ``table_lr_scale`` × the learning rate."""

    def __init__(self, tables=(), table_lr_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.tables, self.table_lr_scale = tuple(tables), float(table_lr_scale)
        self._scaled_keys: set = set()

    def build(self, var_list):
        # A variable's path is "<layer name>/<weight name>": the first part names the table.
        # Keys, not paths: update_step receives the backend's variable, which has no path.
        self._scaled_keys = {self._var_key(v) for v in var_list
                             if v.path.split("/", 1)[0] in self.tables}
        super().build(var_list)

    def update_step(self, gradient, variable, learning_rate):
        if self._var_key(variable) in self._scaled_keys:
            learning_rate = learning_rate * self.table_lr_scale
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "tables": list(self.tables),
                "table_lr_scale": self.table_lr_scale}
