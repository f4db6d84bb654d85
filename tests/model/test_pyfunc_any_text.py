"""The registered pyfunc answers every text, for every architecture.

Each architecture's tiny real Keras model is logged with ``log_pyfunc`` into a
real temporary MLflow store and loaded back as a pyfunc. Texts without a known
word (empty, punctuation, emoji, whitespace, unknown words, other scripts,
numbers, ``None``, NaN) get the documented no-evidence answer; texts with known
words get exactly the network's own probability, in any mix with the others.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from embedlab.train.architectures import ARCHITECTURES
from embedlab_serving.model import LABELS, NO_EVIDENCE_PROBABILITY, OUTPUT_COLUMNS, UNKNOWN

# No token of the tiny vocabulary (tests/tiny_models.py) in any of these.
NO_KNOWN_WORD = ["", "!", "?!...", "🙂🎉👍", "   \t\n ", "zzyzx quorble flimflam",
                 "非常に美味しいコーヒー", "очень вкусный чай", "لذيذ جدا", "1234 5678", "<br />",
                 "x" * 100_000, None, float("nan"), 42, 3.5]
KNOWN = ["delicious coffee, i love it", "stale awful chips, a waste",
         # 100,000 characters, known words first: the model sees max_len of them.
         "great tea " * 10_000]


@pytest.fixture(scope="module")
def pyfuncs(tmp_path_factory):
    """{architecture: (loaded pyfunc, the Keras model it wraps, max_len)}."""
    import keras
    import mlflow

    from embedlab import tracking
    from embedlab.evaluate.registry import log_pyfunc
    from tests.tiny_models import make_model

    root = tmp_path_factory.mktemp("any-text")
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    (root / "mlruns").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        _, exp = tracking.setup(root, "any-text")
        out = {}
        for arch in ARCHITECTURES:
            keras_path, vocab_path = make_model(root / arch, architecture=arch, epochs=1)
            with mlflow.start_run(experiment_id=exp):
                info = log_pyfunc(keras_path, vocab_path)
            out[arch] = (mlflow.pyfunc.load_model(info.model_uri),
                         keras.saving.load_model(keras_path, compile=False))
    return out


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_no_known_word_is_no_evidence_and_known_words_are_the_networks_answer(pyfuncs, arch):
    from embedlab_serving.text import encode_texts
    from tests.tiny_models import vocab_tokens

    model, keras_model = pyfuncs[arch]
    # Interleaved, so that a row mix-up between the two kinds would show.
    texts = [t for pair in zip(NO_KNOWN_WORD, KNOWN * 6) for t in pair]
    out = model.predict(pd.DataFrame({"text": texts}))
    assert tuple(out.columns) == OUTPUT_COLUMNS and len(out) == len(texts)
    assert np.isfinite(out["probability"]).all()

    unknown = out.iloc[0::2]
    assert (unknown["probability"] == NO_EVIDENCE_PROBABILITY).all(), unknown
    assert (unknown["label"] == UNKNOWN).all() and (unknown["known_tokens"] == 0).all()

    known = out.iloc[1::2]
    index = {w: i for i, w in enumerate(vocab_tokens())}
    # The window the served model pads and cuts to (the Keras model takes any length).
    max_len = model.unwrap_python_model().max_len
    ids = encode_texts([t for t in texts[1::2]], index, max_len)
    expected = np.asarray(keras_model(ids, training=False)).ravel()
    np.testing.assert_allclose(known["probability"].to_numpy(), expected, rtol=1e-5, atol=1e-6)
    assert set(known["label"]) <= set(LABELS)
    assert (known["label"] == np.where(expected >= 0.5, LABELS[1], LABELS[0])).all()
    # Counted in the window the model sees: the long review fills max_len.
    assert known["known_tokens"].tolist()[:3] == [5, 5, max_len]


@pytest.mark.parametrize("arch", ["meanpool", "lstm"])
def test_a_list_a_series_and_a_single_string_get_the_same_answers(pyfuncs, arch):
    model, _ = pyfuncs[arch]
    texts = ["", None, "delicious coffee", "🙂", 7]
    frame = model.predict(pd.DataFrame({"text": texts}))
    assert model.predict(texts).equals(frame)
    assert model.predict(pd.Series(texts)).equals(frame)
    assert model.predict("delicious coffee").equals(frame.iloc[[2]].reset_index(drop=True))
    assert frame["label"].tolist()[:2] == [UNKNOWN, UNKNOWN] and frame["label"][2] in LABELS


def test_a_value_that_is_no_text_is_a_clear_error_naming_the_review(pyfuncs):
    from mlflow.exceptions import MlflowException

    model, _ = pyfuncs["meanpool"]
    with pytest.raises(MlflowException) as err:
        model.predict(pd.DataFrame({"text": ["good tea", {"stars": 5}]}))
    assert "review 1" in err.value.message and "dict" in err.value.message
    assert err.value.get_http_status_code() == 400


def test_the_raw_network_is_nan_on_an_empty_review_which_the_pyfunc_never_asks(pyfuncs):
    """Why the rule exists: mean pooling over a fully masked review is 0/0."""
    model, keras_model = pyfuncs["meanpool"]
    empty = np.zeros((1, model.unwrap_python_model().max_len), dtype=np.int32)
    assert math.isnan(float(np.asarray(keras_model(empty, training=False)).ravel()[0]))
