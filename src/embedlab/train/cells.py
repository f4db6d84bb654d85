"""One grid cell end to end: reuse its finished MLflow run, or train it.

Training (once, or the chosen of the cell's tuning trials, each a child run
of the cell's: ``embedlab.train.tuning``) writes the cell's folder (model,
predictions, history) under the stage's scratch ``models`` folder and logs the
same files, its plots and drift report and every number to the cell's run. A
reused cell's folder is downloaded from its run, so ``models/`` holds the same
bytes either way.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
from pathlib import Path

from embedlab import fileio, plots, tracking
from embedlab.config import ProbeParams, TrainParams
from embedlab.layout import CELL, Layout
from embedlab.splits import read_split, read_vocab
from embedlab.train import drift, tuning
from embedlab.train.fit import with_test
from embedlab.train.grid import Cell, TrainInputs, fingerprint
from embedlab.train.metrics import cell_summary
from embedlab.train.models import save_model

# Test hook (documented in docs/grid.md): comma-separated cell-name patterns
# (fnmatch, e.g. "learned/*/seed2") that fail on purpose after their MLflow run is
# created, so tests and users can rehearse a crash and the resume that follows.
FAIL_CELLS_ENV = "EMBEDLAB_FAIL_CELLS"
# A cell's folder under models/: the same files whether trained or reused (DVC hashes it).
REUSED_FILES = (CELL.model, CELL.predictions, CELL.history)


class InjectedFailure(RuntimeError):
    """Raised by the ``EMBEDLAB_FAIL_CELLS`` test hook."""


def check_injected_failure(cell: Cell) -> None:
    patterns = [p.strip() for p in os.environ.get(FAIL_CELLS_ENV, "").split(",") if p.strip()]
    if any(fnmatch.fnmatchcase(cell.name, p) for p in patterns):
        raise InjectedFailure(f"{cell.name}: failed on purpose ({FAIL_CELLS_ENV}={os.environ[FAIL_CELLS_ENV]!r})")


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_outputs(cell: Cell, fitted, drift_rows: dict, folder: Path) -> list[Path]:
    """The cell's folder (``REUSED_FILES``, reproducible bytes); returns its files."""
    save_model(fitted.model, folder / CELL.model)
    fileio.write_npz(folder / CELL.predictions, val_prob=fitted.val_prob,
                     test_prob=fitted.test_prob, y_val=fitted.y_val, y_test=fitted.y_test,
                     **{f"drift_{k}": v for k, v in drift_rows.items()})
    (folder / CELL.history).write_text(json.dumps(fitted.history))
    return [folder / n for n in REUSED_FILES]


def write_extras(cell: Cell, fitted, summary: dict, drift_rows: dict, probes: dict | None,
                 folder: Path) -> list[Path]:
    """What only the cell's MLflow run keeps: its plots and drift report."""
    plots.cell_learning_curves(fitted.history, cell.name, folder / CELL.learning_curves)
    plots.confusion(fitted.y_test, fitted.test_prob, f"{cell.name} (test)", folder / CELL.confusion)
    files = [folder / CELL.learning_curves, folder / CELL.confusion]
    if probes is not None:
        (folder / CELL.drift).write_text(json.dumps({
            "per_row_change_histogram": drift.histogram(drift_rows), "probes": probes,
            "metrics": {k: v for k, v in summary.items() if k.startswith("drift")}}, indent=2))
        files.append(folder / CELL.drift)
    return files


# The cell's counts that reports/train.json gives as integers (MLflow keeps every metric as a float).
COUNTS = ("tuning_trials", "tuning_pruned", "fit_examples", "selection_examples")
# Run params holding the values the cell trained with (tuning.HPARAMS), read back on reuse.
HPARAM_PREFIX = "hparams."


def _result(cell: Cell, run: tracking.Run, status: str) -> dict:
    """The cell's entry as its run holds it, so a trained cell reports exactly what a
    reused one will."""
    metrics = run.metrics
    hparams = {k.removeprefix(HPARAM_PREFIX): json.loads(v) for k, v in sorted(run.params.items())
               if k.startswith(HPARAM_PREFIX)}
    return {**cell.key(), "run_id": run.id, "status": status, **metrics,
            **{k: int(metrics[k]) for k in COUNTS if k in metrics}, "hparams": hparams}


def _trial_logger(cell: Cell, run: tracking.Run):
    """Each tuning trial as a finished child run of the cell's run."""
    def log(number: int, hparams: dict, metrics: dict) -> None:
        run.log_child(f"{cell.name}/trial{number}", hparams, metrics,
                      {tracking.KIND_TAG: "trial", "trial": str(number)})
    return log


def _train(cell: Cell, params: TrainParams, inputs: TrainInputs, probes: ProbeParams,
           folder: Path, run: tracking.Run) -> dict:
    run.log_params({"strategy": cell.strategy, "variant": cell.variant or "",
                    "architecture": cell.architecture, "seed": cell.seed,
                    "train_size": cell.train_size, **params.model_dump()})
    check_injected_failure(cell)
    try:
        run.log_datasets({s: (*read_split(p), p) for s, p in
                          (("train", inputs.train), ("val", inputs.val), ("test", inputs.test))},
                         inputs.data_digest)
    except Exception as exc:  # lineage is a nicety; never lose a cell over it
        run.set_tags({"dataset_logging_error": f"{type(exc).__name__}: {exc}"[:500]})

    def on_epoch(epoch: int, logs: dict) -> None:
        run.log_metrics({"train_loss": logs.get("loss"), "train_accuracy": logs.get("accuracy"),
                         "val_loss": logs.get("val_loss"), "val_accuracy": logs.get("val_accuracy"),
                         "val_auc": logs.get("val_auc")}, step=epoch)

    tuned = tuning.tune(cell, params, inputs, on_epoch, _trial_logger(cell, run))
    fitted = with_test(tuned.fitted, inputs)
    run.log_params({f"{HPARAM_PREFIX}{k}": json.dumps(v) for k, v in tuned.hparams.items()})
    if tuned.chosen is not None:
        run.set_tags({"tuning_chosen_trial": f"{cell.name}/trial{tuned.chosen}"})
    moved, drift_rows, probe_report = drift.analyse(cell.strategy, fitted,
                                                    read_vocab(inputs.vocab)["tokens"], probes)
    summary = {**cell_summary(fitted), **moved,
               "tuning_trials": tuned.trials, "tuning_pruned": tuned.pruned,
               "tuning_seconds": tuned.seconds}
    run.log_metrics(summary)
    run.log_files(write_outputs(cell, fitted, drift_rows, _fresh(folder)))
    with tempfile.TemporaryDirectory() as extras:
        run.log_files(write_extras(cell, fitted, summary, drift_rows, probe_report, Path(extras)))
    return _result(cell, run, "trained")


def train_cell(cell: Cell, params: TrainParams, inputs: TrainInputs, probes: ProbeParams,
               tracking_uri: str, experiment_id: str, parent_run_id: str, models_dir: str) -> dict:
    """Train (or reuse) one cell; its files land in ``models_dir/<slug>``."""
    folder = Layout().cell_dir(cell.slug, Path(models_dir))

    def reuse(run: tracking.Run) -> dict:
        run.download(list(REUSED_FILES), _fresh(folder))
        return _result(cell, run, "reused")

    tags = {"mlflow.parentRunId": parent_run_id, tracking.CELL_TAG: cell.name,
            tracking.KIND_TAG: "cell", "strategy": cell.label, "architecture": cell.architecture,
            "seed": str(cell.seed), "train_size": str(cell.train_size)}
    return tracking.reuse_or_run(
        tracking_uri, experiment_id, fingerprint(cell, params, inputs, probes), cell.name, tags,
        reuse, lambda run: _train(cell, params, inputs, probes, folder, run))
