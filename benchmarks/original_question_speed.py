"""Training throughput of the default LSTM cell vs the original question's model.

Same prepared data, same epochs and batch size, same process. The original:
Embedding(V, 128) -> LSTM(128, dropout=0.2, recurrent_dropout=0.2) -> Dense(1).
Ours: the `learned/lstm` cell from params.yaml (no recurrent_dropout, dropout on
the embedding output, masking).

Not to be confused with train_stage.py (the whole `train` stage, this code against
a baseline commit) and throughput.py (examples/s per architecture, the same way).

    python -m benchmarks.original_question_speed [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import save
from benchmarks.original_question import question_model as original_model  # the question's Model 1


def timed_fit(model, x, y, xv, yv, epochs: int, batch: int) -> dict:
    import keras

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)

    timer = Timer()
    hist = model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=batch,
                     verbose=0, shuffle=True, callbacks=[timer])
    # The first epoch includes graph tracing; steady-state speed is what scales.
    steady = timer.times[1:] or timer.times
    return {"examples_per_second": round(len(x) / float(np.mean(steady)), 1),
            "epoch_seconds": [round(t, 2) for t in timer.times],
            "best_val_accuracy": round(float(max(hist.history["val_accuracy"])), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    from embedlab.config import load_train
    from embedlab.layout import Layout
    from embedlab.splits import read_split, read_vocab
    from embedlab.train.models import build_model

    layout = Layout()
    x, y = read_split(layout.split("train"))
    xv, yv = read_split(layout.split("val"))
    vocab_size = len(read_vocab(layout.vocab)["tokens"])
    t = load_train().train
    ours = build_model("learned", "lstm", vocab_size=vocab_size, matrix=None,
                       embedding_dim=t.embedding_dim, units=t.units, dropout=t.dropout, seed=1,
                       learning_rate=t.learning_rate)
    a = timed_fit(ours, x, y, xv, yv, args.epochs, t.batch_size)
    b = timed_fit(original_model(vocab_size, x.shape[1], 1), x, y, xv, yv, args.epochs, t.batch_size)
    save("original_question_speed", {
        "train_examples": int(len(x)), "max_len": int(x.shape[1]), "epochs": args.epochs,
        "default_lstm": {**a, "units": t.units, "embedding_dim": t.embedding_dim},
        "original_lstm128_recurrent_dropout": b,
        "speedup": round(a["examples_per_second"] / b["examples_per_second"], 2),
    }, f"python -m benchmarks.original_question_speed --epochs {args.epochs}")


if __name__ == "__main__":
    main()
