"""The registered model: raw review text in, sentiment out.

``predict`` takes a DataFrame with a ``text`` column (or a list / Series of
strings) and returns one row per review:

* ``probability`` — of the positive class, always finite;
* ``label`` — ``positive`` / ``negative`` (``probability >= threshold``), or
  ``unknown`` when the model saw no known word;
* ``known_tokens`` — how many in-vocabulary tokens of the review the model saw
  (after truncation to ``max_len``).

A review with no known token (empty, ``None``, punctuation, emoji, only
out-of-vocabulary words) is no evidence either way: it gets probability
:data:`NO_EVIDENCE_PROBABILITY` and label :data:`UNKNOWN`, and the network is not
asked (mean pooling over nothing is 0/0, and an out-of-vocabulary vector only
says what unknown words were like in training). This module is the one place
that defines that answer.

It tokenizes with the very function used in training and encodes with the
vocabulary and ``max_len`` stored beside the Keras model, so callers never
tokenize themselves. A model trained with word n-grams hashes them itself, inside
the Keras model (``embedlab_serving.ngrams``), from the same word ids.
"""

from __future__ import annotations

import json
import numbers

import mlflow.pyfunc
import numpy as np
import pandas as pd

from embedlab_serving.text import OOV_ID, PAD_ID, encode_texts

LABELS = ("negative", "positive")
UNKNOWN = "unknown"            # the label of a review without a known token
NO_EVIDENCE_PROBABILITY = 0.5  # its probability: no evidence either way
OUTPUT_COLUMNS = ("probability", "label", "known_tokens")
# The version of what predict answers; bump it when the answer changes, so that
# the gate replaces a champion packaged with older serving code (1: probability
# and label, NaN for a review without a known word; 2: the above).
CONTRACT = 2


def _column(model_input: pd.DataFrame) -> pd.Series:
    if "text" in model_input.columns:
        return model_input["text"]
    if list(model_input.columns) == [0]:
        # A list of strings or an unnamed Series: MLflow turns it into column 0.
        return model_input.iloc[:, 0]
    # The signature has one unnamed input (so that a plain list of strings is
    # accepted); MLflow then hands over only the first column.
    raise ValueError(
        f"expected the reviews in a column named 'text' (or a list of strings), got "
        f"column(s) {list(model_input.columns)}. MLflow passes only a DataFrame's first "
        "column to this model: pass df[['text']] or a list of strings.")


def _as_text(value, row: int) -> str:
    """One review as text: missing (``None``, NaN) is the empty text, a number is
    read as its digits; anything else is the caller's mistake."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, numbers.Number):
        return str(value)
    from mlflow.exceptions import MlflowException

    # INVALID_PARAMETER_VALUE: the scoring server answers 400 with this message.
    raise MlflowException.invalid_parameter_value(
        f"review {row}: expected a string or null, got {type(value).__name__} {str(value)[:80]!r}")


def _texts(model_input) -> list[str]:
    if isinstance(model_input, pd.DataFrame):
        values = _column(model_input).tolist()
    elif isinstance(model_input, pd.Series):
        values = model_input.tolist()
    elif isinstance(model_input, (str, bytes)) or model_input is None:
        values = [model_input]
    else:
        values = list(np.asarray(model_input, dtype=object).ravel())
    return [_as_text(v, i) for i, v in enumerate(values)]


class ReviewSentimentModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        import keras

        import embedlab_serving.ngrams  # noqa: F401  registers HashedNgrams, which n-gram models hold
        import embedlab_serving.optimizers  # noqa: F401  registers TableScaledAdam (train.table_lr_scale)
        self.model = keras.saving.load_model(context.artifacts["keras_model"], compile=False)
        meta = json.loads(open(context.artifacts["vocab"], encoding="utf-8").read())
        self.index = {w: i for i, w in enumerate(meta["tokens"])}
        self.max_len = int(meta["max_len"])
        self.truncate = meta.get("truncate", "post")
        self.threshold = float(meta.get("threshold", 0.5))

    def _network(self, ids: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        out = []
        for start in range(0, len(ids), batch_size):
            # A direct call avoids Model.predict's per-call set-up: it matters for
            # one-review requests on a served model.
            out.append(np.asarray(self.model(ids[start:start + batch_size], training=False)).ravel())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(probability, known_tokens) per text; no known token -> no evidence."""
        ids = encode_texts(texts, self.index, self.max_len, self.truncate)
        known = ((ids != PAD_ID) & (ids != OOV_ID)).sum(axis=1).astype(np.int64)
        prob = np.full(len(texts), NO_EVIDENCE_PROBABILITY, dtype=np.float64)
        rows = np.flatnonzero(known)
        if rows.size:
            prob[rows] = self._network(ids[rows])
        return prob, known

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        prob, known = self.score(_texts(model_input))
        label = np.where(prob >= self.threshold, LABELS[1], LABELS[0]).astype(object)
        label[known == 0] = UNKNOWN
        return pd.DataFrame({"probability": prob, "label": label, "known_tokens": known},
                            columns=list(OUTPUT_COLUMNS))
