"""Hyperparameter search of one cell: an equal budget for every strategy.

A strategy tuned harder than another would win by its budget, not its vectors.
So every cell of an architecture gets exactly :func:`trials` Optuna trials
(``train.tune_trials`` times the architecture's ``TRIAL_FACTOR``: more where a
trial is cheap) over the one search space below (:func:`suggest`); a strategy
that fine-tunes a vectors table searches ``table_lr_scale`` too, and a linear head
``l2`` in place of ``dropout``, within the same
number of trials. A trial is judged on the cell's selection rows only: below
``train.cv_below`` labels the out-of-fold predictions of a k-fold
cross-validation over its N labels (``fit.cross_validate``), above it the
held-out share of its N labels, at ``all`` the val split (``fit.selection_data``);
accuracy first and the lower log loss on a tie. A trial that falls behind is
pruned (Optuna's ``PercentilePruner``, on the accuracy after each fold or each
epoch); it still counts against the budget. The test split is not read until the
chosen model is scored (``fit.with_test``). The chosen trial's model is the cell's;
below ``cv_below`` it is refit on all N labels at the chosen values (``fit.refit``).

With ``tune_trials: 0`` the cell trains once at the ``train`` params
(``fit.fit_selected``), and this module only names the values it trained with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embedlab import strategies
from embedlab.config import TrainParams
from embedlab.train import architectures, linear
from embedlab.train.fit import (CrossValidated, EpochHook, Fitted, cross_validate, fit_selected, refit,
                                train_model, uses_cv)
from embedlab.train.grid import Cell, TrainInputs
from embedlab.train.metrics import classification_metrics

# The values a cell reports as the ones it trained with (reports/train.json: hparams).
HPARAMS = ("learning_rate", "dropout", "epochs", "table_lr_scale")
# A linear head has no dropout: its regulariser, train.l2, takes dropout's place.
LINEAR_HPARAMS = ("learning_rate", "l2", "epochs", "table_lr_scale")
# The epoch cap: early stopping (train.patience) still ends a trial sooner.
EPOCH_CAPS = (10, 20, 40)
# train.l2's range for a linear head (architectures: `linear`, a logistic regression on the
# mean embedding; L2 is its regulariser, in dropout's place): ~1 / (2 C N) of logistic
# regression's C from 1e4 (N = 40,000) to about 0.05 (N = 100), from almost none to strong.
L2_RANGE = (1e-6, 1e-1)
# The one place that says where trials are cheap: trials per cell = train.tune_trials x
# this factor (1 where unlisted), the same for every strategy of the architecture.
# A cnn or lstm trial costs several meanpool or linear ones, and a frozen table under
# linear is a logistic regression fitted exactly (linear.ExactHead). What one trial of
# each kind takes: `python -m benchmarks.curves --dataset X --estimate`; what each
# cell's trials took: the curves' results (rows: tuning_seconds).
TRIAL_FACTOR = {"linear": 2, "meanpool": 2}
# TPE's random start-up (Optuna's default is 10, sized for hundreds of trials). Five
# points over a 3-4-dimensional space give its two densities something to tell apart;
# a smaller budget starts with half its trials random, so the sampler always has
# trials of its own.
TPE_STARTUP = 5
# Pruning: a trial whose best accuracy so far is below the 25th percentile of the
# finished trials' at the same fold or epoch stops (PercentilePruner keeps the top
# KEEP_PERCENTILE). Not before PRUNER_STARTUP trials have finished, nor on the first
# fold (20 reviews at N = 100) or the first two epochs, whose accuracy says little yet.
KEEP_PERCENTILE = 75.0
PRUNER_STARTUP = 3
WARMUP_STEPS = {"fold": 1, "epoch": 2}

TrialHook = Callable[[int, dict, dict], None]   # (trial number, its hparams, its metrics)


def hparams(params: TrainParams, cell: Cell) -> dict[str, float | int]:
    """The values the cell trained with. A head fitted exactly on fixed features
    (``linear.ExactHead``) has ``l2`` alone: no learning rate or epochs apply to it."""
    if linear.fits_head_only(cell.strategy, cell.architecture, params):
        return {"l2": params.l2}
    names = LINEAR_HPARAMS if architectures.get(cell.architecture).linear else HPARAMS
    return {name: getattr(params, name) for name in names}


def trials(cell: Cell, params: TrainParams) -> int:
    """The cell's trial budget: equal for every strategy of its architecture."""
    return params.tune_trials * TRIAL_FACTOR.get(cell.architecture, 1)


def startup_trials(budget: int) -> int:
    """TPE's random start-up within a budget: ``TPE_STARTUP``, at most half the budget."""
    return min(TPE_STARTUP, max(1, budget // 2))


def suggest(trial, cell: Cell, head_only: bool = False) -> dict[str, float | int]:
    """The one search space. ``table_lr_scale`` only where a vectors table trains, ``l2``
    only for the linear head (and ``dropout`` for every other), and ``l2`` alone where
    the head is fitted exactly on fixed features (``head_only``: ``linear.ExactHead``,
    no learning rate or epochs): elsewhere a value would change nothing and only
    dilute the sampler's trials."""
    if head_only:
        return {"l2": trial.suggest_float("l2", *L2_RANGE, log=True)}
    values = {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)}
    if architectures.get(cell.architecture).linear:
        values["l2"] = trial.suggest_float("l2", *L2_RANGE, log=True)
    else:
        values["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
    values["epochs"] = trial.suggest_categorical("epochs", EPOCH_CAPS)
    if strategies.get(cell.strategy).fine_tunes_vectors:
        values["table_lr_scale"] = trial.suggest_float("table_lr_scale", 0.01, 1.0, log=True)
    return values


def _score(y: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    """Higher is better: (accuracy, -log loss) on the selection rows."""
    m = classification_metrics(y, prob, "")
    return m["accuracy"], -m["log_loss"]


def selection_score(fitted: Fitted) -> tuple[float, float]:
    return _score(fitted.y_val, fitted.val_prob)


def trial_metrics(result: Fitted | CrossValidated) -> dict[str, float]:
    """A finished trial's selection figures and the epochs its model runs (below
    ``cv_below``: the epochs a refit at its values would run)."""
    if isinstance(result, CrossValidated):
        (accuracy, neg_loss), epochs = _score(result.y, result.prob), result.epochs
    else:
        (accuracy, neg_loss), epochs = selection_score(result), result.epochs_run
    return {"best_val_accuracy": accuracy, "val_loss": -neg_loss, "epochs_run": epochs}


@dataclass
class Tuned:
    """The cell's model (test fields still empty) and how it was found."""

    fitted: Fitted
    hparams: dict[str, float | int]
    trials: int                    # trials run, the pruned ones included
    seconds: float                 # all trials, building and fitting (and the refit)
    chosen: int | None             # the chosen trial's number; None untuned
    pruned: int = 0                # of the trials, the ones pruned


def tune(cell: Cell, params: TrainParams, inputs: TrainInputs, on_epoch: EpochHook | None = None,
         on_trial: TrialHook | None = None) -> Tuned:
    """The cell's model: trained once at ``params``, or the best of :func:`trials`
    trials. ``on_epoch`` sees the epochs of the model kept (a tuned cell's after its
    search); ``on_trial`` each trial as it ends."""
    if not params.tune_trials:
        return Tuned(fit_selected(cell, params, inputs, on_epoch), hparams(params, cell), 0, 0.0, None)
    t0 = time.perf_counter()
    search = _search(cell, params, inputs, on_trial or (lambda *_: None))
    seconds = time.perf_counter() - t0
    fitted = search.fitted
    if on_epoch:
        for epoch in range(fitted.epochs_run):
            on_epoch(epoch, {key: series[epoch] for key, series in fitted.history.items()})
    return Tuned(fitted, search.hparams, search.trials, seconds, search.chosen, search.pruned)


def study(cell: Cell, params: TrainParams):
    """The cell's in-memory study: TPE seeded by the cell's seed (a rerun draws the same
    trials), its start-up sized to the budget, and the pruner of its selection rows.
    In memory: a trial's model lives in this process, so a study stored elsewhere could
    not resume it."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    startup = startup_trials(trials(cell, params))
    warmup = WARMUP_STEPS["fold" if uses_cv(cell, params) else "epoch"]
    return optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=cell.seed, n_startup_trials=startup),
        pruner=optuna.pruners.PercentilePruner(KEEP_PERCENTILE, n_startup_trials=PRUNER_STARTUP,
                                               n_warmup_steps=warmup))


def run_trial(cell: Cell, params: TrainParams, inputs: TrainInputs, trial) -> Fitted | CrossValidated:
    """One trial at ``params``: its cross-validation below ``cv_below`` (reported after
    each fold), its model otherwise (reported after each epoch). Raises
    ``optuna.TrialPruned`` when the pruner stops it."""
    import optuna

    def report(step: int, accuracy: float) -> None:
        trial.report(accuracy, step)
        if trial.should_prune():
            raise optuna.TrialPruned(f"accuracy {accuracy:.3f} at step {step}")

    if uses_cv(cell, params):
        return cross_validate(cell, params, inputs, on_fold=report)
    return train_model(cell, params, inputs, on_epoch=lambda epoch, logs: report(epoch, logs["val_accuracy"]))


@dataclass
class _Search:
    fitted: Fitted
    hparams: dict
    chosen: int
    trials: int
    pruned: int


def _search(cell: Cell, params: TrainParams, inputs: TrainInputs, on_trial: TrialHook) -> _Search:
    import optuna

    s, best, pruned, n = study(cell, params), None, 0, trials(cell, params)
    head_only = linear.fits_head_only(cell.strategy, cell.architecture, params)
    for _ in range(n):
        trial = s.ask()
        trial_params = params.model_copy(update=suggest(trial, cell, head_only))
        try:
            result = run_trial(cell, trial_params, inputs, trial)
        except optuna.TrialPruned:
            s.tell(trial, state=optuna.trial.TrialState.PRUNED)
            pruned += 1
            last = max(s.trials[trial.number].intermediate_values.items())   # (step, accuracy)
            on_trial(trial.number, hparams(trial_params, cell),
                     {"pruned": 1, "pruned_at_step": last[0], "intermediate_accuracy": last[1]})
            continue
        metrics = trial_metrics(result)
        score = (metrics["best_val_accuracy"], -metrics["val_loss"])
        s.tell(trial, score[0])   # the sampler learns accuracy; ties are ours to break
        on_trial(trial.number, hparams(trial_params, cell), metrics)
        if best is None or score > best[0]:   # strictly better: the earlier trial keeps a full tie
            best = (score, trial.number, result, trial_params)
    _, number, result, chosen_params = best   # the pruner never stops the first trials
    fitted = refit(cell, chosen_params, inputs, result) if isinstance(result, CrossValidated) else result
    return _Search(fitted, hparams(chosen_params, cell), number, n, pruned)
