"""Where one grid cell's time goes: a profile of one cell per architecture.

Runs the real ``train_cell`` (real Keras, a temporary MLflow sqlite store) on
the prepared default data and breaks each cell's wall time down by wrapping,
not replacing, what it calls: Keras ``fit`` (per epoch: training batches vs the
validation pass, and the first batch, which includes graph tracing),
``predict``, ``save``, every ``MlflowClient`` call, the dataset logging and
the plots. It also reports how much of each batch is padding (at the full
``max_len`` and with length-bucketed batches), every ``tf.function`` trace by
function name (the source of TensorFlow's "triggered tf.function retracing"
warning), and what a stage pays to import TensorFlow, Keras, MLflow, Prefect.

Each architecture's cell runs twice, alternating: with the baseline commit's code
(``--baseline-ref``, exported with ``git archive``) and with this tree's, each in
a fresh process (so the first cell also pays Keras' start-up, reported apart).

Run after ``dvc repro embeddings``:

    python -m benchmarks.cell_profile [--strategy w2v_finetuned] [--baseline-ref REF]
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, save

IMPORTS = ("tensorflow", "keras", "mlflow", "gensim", "prefect", "flows.train")


def import_seconds(module: str, repeats: int = 2) -> float:
    """Wall time of ``import module`` in a fresh interpreter (best of ``repeats``)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return round(min(times), 2)


class Clock:
    """Exclusive seconds per label: ``wrap`` times a callable under a label, and a
    wrapped call inside another is taken out of the outer one's time."""

    def __init__(self):
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.calls: dict[str, int] = collections.defaultdict(int)
        self._nested: list[float] = []

    def wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self._nested.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t0
                inner = self._nested.pop()
                self.seconds[label] += spent - inner
                self.calls[label] += 1
                if self._nested:
                    self._nested[-1] += spent
        return timed

    def take(self) -> tuple[dict, dict]:
        s, c = dict(self.seconds), dict(self.calls)
        self.seconds.clear()
        self.calls.clear()
        return s, c


def epoch_timer():
    """A Keras callback: per epoch, total seconds, Keras' validation pass, the first call."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs: list[dict] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t_epoch = time.perf_counter()
            self.cur = {"validation": 0.0}

        def on_train_batch_end(self, batch, logs=None):
            # The first call of the epoch (one step, or steps_per_execution steps):
            # in the first epoch it includes tracing the train step.
            self.cur.setdefault("first_call", time.perf_counter() - self.t_epoch)

        def on_test_begin(self, logs=None):
            self.t_test = time.perf_counter()

        def on_test_end(self, logs=None):
            self.cur["validation"] += time.perf_counter() - self.t_test

        def on_epoch_end(self, epoch, logs=None):
            self.cur["total"] = time.perf_counter() - self.t_epoch
            self.epochs.append(self.cur)

    return EpochTimer()


class Traces:
    """Counts every tf.function trace by Python function name (TensorFlow keys its
    "frequent retracing" warning by the function's code object, shared by every
    model's copy of the same Keras closure)."""

    def __init__(self):
        from tensorflow.python.eager.polymorphic_function import polymorphic_function as pf

        self.counts: collections.Counter = collections.Counter()
        cls = type(pf._frequent_tracing_detector_manager)   # has __slots__: patch the class
        original = cls.called_with_tracing
        counts = self.counts

        def counted(manager, key, function, omit_warning):
            counts[getattr(function, "__name__", str(function))] += 1
            return original(manager, key, function, omit_warning)

        cls.called_with_tracing = counted

    def take(self) -> dict[str, int]:
        out = dict(self.counts)
        self.counts.clear()
        return out


def instrument(clock: Clock, timers: list) -> None:
    """Wrap the calls of one cell under labels (module attributes, looked up by
    the pipeline at call time)."""
    import keras
    from mlflow import MlflowClient

    from embedlab import plots, tracking
    from embedlab.train import fit, models

    keras_fit = keras.Model.fit

    def fit_with_timer(self, *args, callbacks=None, **kwargs):
        timer = epoch_timer()
        timers.append(timer)
        return keras_fit(self, *args, callbacks=[timer, *(callbacks or [])], **kwargs)

    keras.Model.fit = clock.wrap("fit", fit_with_timer)
    keras.Model.predict = clock.wrap("predict", keras.Model.predict)
    keras.Model.save = clock.wrap("model_save", keras.Model.save)
    if hasattr(fit, "compiled_predict"):   # one compiled predict per model: validation and val/test
        make = fit.compiled_predict
        fit.compiled_predict = lambda *a, **k: clock.wrap("predict", make(*a, **k))
    models.build_model = clock.wrap("build_model", models.build_model)
    for name in ("cell_learning_curves", "confusion"):
        setattr(plots, name, clock.wrap("plots", getattr(plots, name)))
    tracking.Run.log_datasets = clock.wrap("mlflow_datasets", tracking.Run.log_datasets)
    for cls in (tracking.Run, MlflowClient):
        for name in dir(cls):
            attr = getattr(cls, name)
            if not name.startswith("_") and callable(attr) and name != "log_datasets":
                setattr(cls, name, clock.wrap("mlflow_calls", attr))


def padding_figures(x: np.ndarray, batch_size: int, window_batches: int = 20) -> dict:
    """Share of padded positions per batch at the full max_len, and when each
    batch is trimmed to its longest review, with and without sorting by length
    within windows of ``window_batches`` batches."""
    lengths = np.count_nonzero(x, axis=1)   # post-padding: ids > 0 are real tokens
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))

    def trimmed(idx):
        cells = sum(lengths[idx[i:i + batch_size]].max() * len(idx[i:i + batch_size])
                    for i in range(0, len(idx), batch_size))
        return 1 - lengths.sum() / cells

    w = batch_size * window_batches
    sorted_windows = np.concatenate([order[i:i + w][np.argsort(lengths[order[i:i + w]], kind="stable")]
                                     for i in range(0, len(order), w)])
    return {"max_len": int(x.shape[1]), "mean_length": round(float(lengths.mean()), 1),
            "median_length": float(np.median(lengths)),
            "padding_share_full_max_len": round(1 - float(lengths.mean()) / x.shape[1], 3),
            "padding_share_trimmed_random_batches": round(float(trimmed(order)), 3),
            f"padding_share_trimmed_sorted_windows_of_{window_batches}": round(float(trimmed(sorted_windows)), 3)}


def profile_cell(cell, params, probes, inputs, uri, exp, parent, out_dir, clock, timers, traces) -> dict:
    from embedlab.train.cells import train_cell

    timers.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    res = train_cell(cell, params, inputs, probes, uri, exp, parent, out_dir)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    seconds, calls = clock.take()
    epochs = [e for t in timers for e in t.epochs]
    train_s = sum(e["total"] - e["validation"] for e in epochs)
    val_s = sum(e["validation"] for e in epochs)
    first = [e.get("first_call", 0.0) for e in epochs]
    parts = {
        "fit_train_batches": train_s, "fit_keras_validation_passes": val_s,
        # The timer runs first, so the other callbacks' work (early stopping) lands
        # here; wrapped calls inside fit (MLflow, predict) count under their labels.
        "fit_other": seconds.get("fit", 0.0) - train_s - val_s,
        **{k: v for k, v in seconds.items() if k != "fit"},
    }
    parts["other (reading splits, drift, metrics, files)"] = total - sum(parts.values())
    return {
        "cell": cell.name, "total_seconds": round(total, 2), "cpu_seconds": round(cpu, 2),
        "load_average_1min": round(os.getloadavg()[0], 2), "epochs_run": res["epochs_run"],
        "test_accuracy": round(res["test_accuracy"], 4),
        "seconds": {k: round(v, 2) for k, v in parts.items()},
        "calls": calls,
        "epoch_seconds": [round(e["total"], 2) for e in epochs],
        "validation_seconds_per_epoch": [round(e["validation"], 2) for e in epochs],
        "first_call_seconds_per_epoch": [round(f, 2) for f in first],
        "tf_function_traces": traces.take(),
    }


def overrides(pairs: list[str]) -> dict:
    import yaml

    out: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        section, name = key.split(".")
        out.setdefault(section, {})[name] = yaml.safe_load(value)
    return out


def worker(args) -> dict:
    """One cell per architecture in this process, with the embedlab on the path
    (the baseline's or this tree's); params from ``args.params``."""
    from embedlab.runtime import configure_env

    configure_env()
    t0 = time.perf_counter()
    import keras  # noqa: F401  (first import in this process: Keras start-up)
    keras_import = time.perf_counter() - t0

    from embedlab import tracking
    from embedlab.config import load_train
    from embedlab.train.grid import Cell, train_inputs

    stage = load_train(args.params)
    params = stage.train.model_copy(update=overrides(args.set).get("train", {}))
    variant = stage.grid.variant if args.strategy.startswith("w2v") else None
    cells = [Cell(args.strategy, variant, a, args.seed, args.strategy) for a in args.architectures.split(",")]
    inputs = train_inputs(cells)
    clock, timers, traces = Clock(), [], Traces()
    instrument(clock, timers)
    with tempfile.TemporaryDirectory(prefix="cell-profile-") as tmp:
        uri, exp = tracking.setup(Path(tmp))
        parent = tracking.client(uri).create_run(exp, run_name="profile").info.run_id
        clock.take()
        rows = [profile_cell(cell, params, stage.probes, inputs, uri, exp, parent, tmp, clock, timers, traces)
                for cell in cells]
    return {"keras_import_seconds": round(keras_import, 2), "train_params": params.model_dump(), "cells": rows}


def run_worker(code: Path, args, architecture: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(code / "src"), str(ROOT)])}
    cmd = [sys.executable, "-m", "benchmarks.cell_profile", "--worker", "--params", str(code / "params.yaml"),
           "--strategy", args.strategy, "--architectures", architecture, "--seed", str(args.seed),
           *[f"--set={s}" for s in args.set]]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"profile worker ({code}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def findings(rows: list[dict]) -> dict:
    """What the rows say, in words with their numbers."""
    def share(version: str, part: str) -> float:
        cells = [r for r in rows if r["version"] == version]
        return sum(c["seconds"].get(part, 0.0) for c in cells) / sum(c["total_seconds"] for c in cells)

    traces = {v: sorted({f"{k} {n}" for r in rows if r["version"] == v for k, n in r["tf_function_traces"].items()})
              for v in ("baseline", "new")}
    return {
        "fit_share": {v: round(share(v, "fit_train_batches"), 3) for v in ("baseline", "new")},
        "tracking_share": {v: round(share(v, "mlflow_calls") + share(v, "mlflow_datasets"), 3)
                           for v in ("baseline", "new")},
        "traces_per_cell": traces,
        "retracing": ("TensorFlow's 'N out of the last M calls to one_step_on_data_distributed triggered "
                      "tf.function retracing' is not one model retracing: Model.predict builds a new "
                      "tf.function for every model, and TensorFlow's frequent-tracing detector keys by the "
                      "Python code object, which every model's copy of that Keras closure shares. Each cell "
                      "traced its predict once and called it twice (val, test), so from the fifth cell on "
                      "the detector saw 5 traces in 9 calls. Now one tf.function per model with a "
                      "(None, None) input signature serves every epoch's validation and the final "
                      "predictions, batch by batch: still one trace per model, but among many calls, and "
                      "Keras' own validation pass (a second compiled function per model) is gone."),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strategy", default="w2v_finetuned")
    ap.add_argument("--architectures", default="meanpool,cnn,lstm")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a train param of both versions, e.g. train.epochs=4")
    ap.add_argument("--baseline-ref", default=None, help="default: benchmarks.throughput.BASELINE_REF")
    ap.add_argument("--no-imports", action="store_true", help="skip the import timings")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--params", type=Path, default=ROOT / "params.yaml", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    from benchmarks.throughput import BASELINE_REF, export_tree
    from embedlab.splits import read_split

    ref = args.baseline_ref or BASELINE_REF
    imports = {} if args.no_imports else {m: import_seconds(m) for m in IMPORTS}
    rows, keras_import = [], {}
    with tempfile.TemporaryDirectory(prefix="cell-profile-src-") as tmp:
        trees = {"baseline": export_tree(ref, Path(tmp)), "new": ROOT}
        for arch in args.architectures.split(","):
            for version, code in trees.items():   # alternating: both see the same load
                out = run_worker(code, args, arch)
                keras_import.setdefault(version, []).append(out["keras_import_seconds"])
                rows += [{"version": version, **c} for c in out["cells"]]
                print(f"{version} {arch}: {rows[-1]['total_seconds']} s", flush=True)
    x_tr, _ = read_split(ROOT / "data" / "prepared" / "train.parquet")
    save("cell_profile", {
        "baseline_ref": ref, "load_average": [round(x, 2) for x in os.getloadavg()],
        "import_seconds_fresh_interpreter": imports,
        "keras_import_seconds_first_in_process": keras_import,
        "padding": padding_figures(x_tr, 64),
        "findings": findings(rows),
        "cells": rows,
    }, "python -m benchmarks.cell_profile " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
