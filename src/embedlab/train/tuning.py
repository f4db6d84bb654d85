"""Hyperparameter search of one cell: an equal budget for every strategy.

A strategy tuned harder than another would win by its budget, not its vectors.
So every cell gets exactly ``train.tune_trials`` Optuna trials over the one
search space below (:func:`suggest`); a strategy that fine-tunes a vectors table
searches ``table_lr_scale`` too, and a linear head ``l2`` instead of ``dropout``,
within the same number of trials. A trial is judged on the cell's selection rows
only (``fit.selection_data``: the val split at ``all``, the held-out share of its
N labels below it), accuracy first and the lower log loss on a tie, and the test
split is not read until the chosen
trial's model is scored (``fit.with_test``). The chosen trial's model and
predictions are the cell's: nothing is retrained.

With ``tune_trials: 0`` the cell trains once at the ``train`` params, as it
always has, and this module only names the values it trained with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from embedlab import strategies
from embedlab.config import TrainParams
from embedlab.train import architectures
from embedlab.train.fit import EpochHook, Fitted, train_model
from embedlab.train.grid import Cell, TrainInputs
from embedlab.train.metrics import classification_metrics

# The values a cell reports as the ones it trained with (reports/train.json: hparams).
HPARAMS = ("learning_rate", "dropout", "epochs", "table_lr_scale")
# A linear head has no dropout: its regulariser, train.l2, takes dropout's place.
LINEAR_HPARAMS = ("learning_rate", "l2", "epochs", "table_lr_scale")
# train.l2's range: ~1 / (2 C N) of logistic regression's C from 1e4 (N = 40,000) to
# about 0.05 (N = 100), so from almost none to strong at the smallest sizes.
L2_RANGE = (1e-6, 1e-1)
# The epoch cap: early stopping (train.patience) still ends a trial sooner.
EPOCH_CAPS = (10, 20, 40)

TrialHook = Callable[[int, dict, dict], None]   # (trial number, its hparams, its metrics)


def hparams(params: TrainParams, architecture: str = "") -> dict[str, float | int]:
    names = LINEAR_HPARAMS if architecture and architectures.get(architecture).linear else HPARAMS
    return {name: getattr(params, name) for name in names}


def suggest(trial, strategy: str, architecture: str = "") -> dict[str, float | int]:
    """The one search space. ``table_lr_scale`` only where a vectors table trains, and
    a linear head's ``l2`` in place of ``dropout``, which it does not have: a value
    that would change nothing only dilutes the sampler's trials."""
    values = {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)}
    if architecture and architectures.get(architecture).linear:
        values["l2"] = trial.suggest_float("l2", *L2_RANGE, log=True)
    else:
        values["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
    values["epochs"] = trial.suggest_categorical("epochs", EPOCH_CAPS)
    if strategies.get(strategy).fine_tunes_vectors:
        values["table_lr_scale"] = trial.suggest_float("table_lr_scale", 0.01, 1.0, log=True)
    return values


def selection_score(fitted: Fitted) -> tuple[float, float]:
    """Higher is better: (accuracy, -log loss) on the selection rows."""
    m = classification_metrics(fitted.y_val, fitted.val_prob, "")
    return m["accuracy"], -m["log_loss"]


def trial_metrics(fitted: Fitted) -> dict[str, float]:
    accuracy, neg_loss = selection_score(fitted)
    return {"best_val_accuracy": accuracy, "val_loss": -neg_loss, "epochs_run": fitted.epochs_run}


@dataclass
class Tuned:
    """The cell's model (test fields still empty) and how it was found."""

    fitted: Fitted
    hparams: dict[str, float | int]
    trials: int
    seconds: float                 # all trials, building and fitting
    chosen: int | None             # the chosen trial's number; None untuned


def tune(cell: Cell, params: TrainParams, inputs: TrainInputs, on_epoch: EpochHook | None = None,
         on_trial: TrialHook | None = None) -> Tuned:
    """The cell's model: trained once at ``params``, or the best of ``params.tune_trials``
    trials. ``on_epoch`` sees the epochs of the model kept (a tuned cell's after its
    search); ``on_trial`` each trial as it ends."""
    if not params.tune_trials:
        return Tuned(train_model(cell, params, inputs, on_epoch), hparams(params, cell.architecture),
                     0, 0.0, None)
    t0 = time.perf_counter()
    number, fitted, values = _search(cell, params, inputs, on_trial or (lambda *_: None))
    seconds = time.perf_counter() - t0
    if on_epoch:
        for epoch in range(fitted.epochs_run):
            on_epoch(epoch, {key: series[epoch] for key, series in fitted.history.items()})
    return Tuned(fitted, values, params.tune_trials, seconds, number)


def _search(cell: Cell, params: TrainParams, inputs: TrainInputs, on_trial: TrialHook
            ) -> tuple[int, Fitted, dict]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Seeded by the cell's seed: a rerun draws the same trials. In-memory: a trial's
    # model lives in this process, so a study stored elsewhere could not resume it.
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=cell.seed))
    best = None
    for _ in range(params.tune_trials):
        trial = study.ask()
        trial_params = params.model_copy(update=suggest(trial, cell.strategy, cell.architecture))
        fitted = train_model(cell, trial_params, inputs)
        score = selection_score(fitted)
        study.tell(trial, score[0])   # the sampler learns accuracy; ties are ours to break
        on_trial(trial.number, hparams(trial_params, cell.architecture), trial_metrics(fitted))
        if best is None or score > best[0]:   # strictly better: the earlier trial keeps a full tie
            best = (score, trial.number, fitted, hparams(trial_params, cell.architecture))
    return best[1:]
