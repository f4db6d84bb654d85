"""The registered model: raw review text in, sentiment out.

``predict`` takes a DataFrame with a ``text`` column (or a list / Series of
strings) and returns one row per review: ``probability`` of the positive class
and ``label`` (``positive`` / ``negative``). It tokenizes with the very function
used in training and encodes with the vocabulary and ``max_len`` stored beside
the Keras model, so callers never tokenize themselves.
"""

from __future__ import annotations

import json

import mlflow.pyfunc
import numpy as np
import pandas as pd

from embedlab_serving.text import encode_texts

LABELS = ("negative", "positive")


def _texts(model_input) -> list[str]:
    if isinstance(model_input, pd.DataFrame):
        if "text" in model_input.columns:
            col = model_input["text"]
        elif list(model_input.columns) == [0]:
            # A list of strings or an unnamed Series: MLflow turns it into column 0.
            col = model_input.iloc[:, 0]
        else:
            # The signature has one unnamed string input (so that a plain list of
            # strings is accepted); MLflow then hands over only the first column.
            raise ValueError(
                f"expected the reviews in a column named 'text' (or a list of strings), got "
                f"column(s) {list(model_input.columns)}. MLflow passes only a DataFrame's first "
                "column to this model: pass df[['text']] or a list of strings.")
        values = col.tolist()
    elif isinstance(model_input, pd.Series):
        values = model_input.tolist()
    elif isinstance(model_input, str):
        values = [model_input]
    else:
        values = list(model_input)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


class ReviewSentimentModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        import keras

        self.model = keras.saving.load_model(context.artifacts["keras_model"], compile=False)
        meta = json.loads(open(context.artifacts["vocab"], encoding="utf-8").read())
        self.index = {w: i for i, w in enumerate(meta["tokens"])}
        self.max_len = int(meta["max_len"])
        self.truncate = meta.get("truncate", "post")
        self.threshold = float(meta.get("threshold", 0.5))

    def predict_proba(self, texts: list[str], batch_size: int = 1024) -> np.ndarray:
        ids = encode_texts(texts, self.index, self.max_len, self.truncate)
        out = []
        for start in range(0, len(ids), batch_size):
            # A direct call avoids Model.predict's per-call set-up: it matters for
            # one-review requests on a served model.
            out.append(np.asarray(self.model(ids[start:start + batch_size], training=False)).ravel())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        prob = self.predict_proba(_texts(model_input)).astype(np.float64)
        label = np.where(prob >= self.threshold, LABELS[1], LABELS[0])
        return pd.DataFrame({"probability": prob, "label": label})
