"""The one tokenizer of the project.

Word2Vec, the Keras models and the served model all call :func:`tokenize`, so a
review is split the same way at training and at serving time. It returns token
lists: giving gensim raw strings instead makes it learn characters, the classic
bug this design rules out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

TOKENIZER_VERSION = "embedlab-tokenizer-1"
PAD_ID = 0  # row 0 of every embedding table; Keras masks it (mask_zero=True)
OOV_ID = 1  # words not in the training vocabulary

_TAG = re.compile(r"<[^>]{0,200}>")
# Words of letters/digits, keeping contractions whole ("don't", "isn't"):
# negations must survive as tokens, they flip sentiment.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalize(text: str) -> str:
    """HTML entities and tags out (``<br />`` is everywhere in Amazon reviews),
    Unicode NFKC, typographic apostrophes made ASCII, lowercase."""
    text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return text.lower()


def tokenize(text: str) -> list[str]:
    """Split one review into lowercase word tokens."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize() takes a string, got {type(text).__name__}")
    return _TOKEN.findall(normalize(text))


def encode(tokens: Sequence[str], index: Mapping[str, int], max_len: int,
           truncate: str = "post") -> list[int]:
    """Token ids padded with 0 at the end to ``max_len``.

    Padding is always at the end (post), which keeps Keras' cuDNN LSTM path usable
    with masking; ``truncate`` says which end of a long review is cut.
    """
    ids = [index.get(t, OOV_ID) for t in tokens]
    if len(ids) > max_len:
        ids = ids[:max_len] if truncate == "post" else ids[-max_len:]
    return ids + [PAD_ID] * (max_len - len(ids))


def encode_texts(texts: Iterable[str], index: Mapping[str, int], max_len: int,
                 truncate: str = "post") -> np.ndarray:
    """Raw texts to an int32 array of shape (n, max_len)."""
    rows = [encode(tokenize(t), index, max_len, truncate) for t in texts]
    if not rows:
        return np.zeros((0, max_len), dtype=np.int32)
    return np.asarray(rows, dtype=np.int32)
