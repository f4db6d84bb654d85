"""Label budgets, the table learning rate and the equal-budget search (issue 22).

Real Keras/TensorFlow and Optuna on the tiny project of tests/tinydata.py: a cell
below the whole split uses its N labels in all and never the val split, a
``table_lr_scale`` really scales the table's steps (also after ``w2v_unfreeze``
recompiles), every strategy gets the same trials, and the search never looks at
test labels.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import yaml

from embedlab.config import TrainParams
from embedlab.errors import ConfigError
from embedlab.splits import labeled_subset, read_split, read_vocab
from embedlab.strategies import STRATEGIES
from embedlab.train import tuning
from embedlab.train.fit import fit_cell, selection_data, train_model, with_test
from embedlab.train.grid import Cell, load_train, train_inputs
from embedlab.train.models import build_model
from tests.tinydata import write_tiny_project

pytest.importorskip("tensorflow")
pytest.importorskip("optuna")

# min_steps_per_epoch 1: an epoch is one pass over the tiny split, as these tests were sized
# (the default of 20 cycles it; a learning rate of 0.01 then overshoots within two epochs).
TINY = {"epochs": 2, "batch_size": 32, "patience": 0, "embedding_dim": 12, "units": 8,
        "learning_rate": 0.01, "min_steps_per_epoch": 1}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    layout = write_tiny_project(tmp_path_factory.mktemp("tiny"))["layout"]
    return train_inputs([Cell("w2v_finetuned", "cbow", "meanpool", 1, "w2v_finetuned")], layout)


def _cell(strategy: str, size="all") -> Cell:
    return Cell(strategy, "cbow" if strategy.startswith("w2v") else None, "meanpool", 1, strategy, size)


# ------------------------------------------------------------------ label budgets
def test_below_all_a_cell_uses_n_labels_in_all_and_never_the_val_split(tiny):
    params, n = TrainParams(**TINY), 40
    no_val = dataclasses.replace(tiny, val=str(tiny.train) + ".absent")   # any read of it fails
    data = selection_data(_cell("learned", n), params, no_val)
    x_tr, y_tr = read_split(tiny.train)
    labeled = labeled_subset(y_tr, n, 1)
    assert len(data.y_fit) + len(data.y_sel) == data.labeled == n
    assert len(data.y_sel) == math.ceil(params.holdout * n)
    assert set(data.y_sel) == {0, 1}                                   # stratified
    # Fit and selection rows are the cell's own labeled reviews, each used once.
    rows = {r.tobytes(): i for i, r in enumerate(x_tr)}
    assert len(rows) == len(x_tr)                                      # each review told apart by its ids
    fit = {rows[r.tobytes()] for r in data.x_fit}
    sel = {rows[r.tobytes()] for r in data.x_sel}
    assert not fit & sel and fit | sel == set(labeled)
    again = selection_data(_cell("learned", n), params, no_val)        # the same rows every run
    np.testing.assert_array_equal(again.x_sel, data.x_sel)

    fitted = train_model(_cell("learned", n), params, no_val)
    assert (fitted.train_examples, fitted.fit_examples, fitted.selection_examples) == (n, 32, 8)
    np.testing.assert_array_equal(fitted.y_val, data.y_sel)
    # At `all` the val split selects, as before: the same missing file now fails.
    with pytest.raises(OSError):
        selection_data(_cell("learned"), params, no_val)


def test_a_holdout_too_small_for_a_size_is_one_clear_error(tmp_path):
    path = tmp_path / "params.yaml"
    # cv_below 10: size 10 selects on its holdout (below it, on folds; checked below).
    path.write_text(yaml.safe_dump({"train": {"holdout": 0.1, "cv_below": 10}, "grid": {"train_sizes": [10, "all"]}}))
    with pytest.raises(ConfigError, match=r"params.yaml: train.holdout: at grid.train_sizes \[10\]"):
        load_train(path)
    path.write_text(yaml.safe_dump({"train": {"holdout": 0.2, "cv_below": 10}, "grid": {"train_sizes": [10, "all"]}}))
    assert load_train(path).train.holdout == 0.2


# ------------------------------------------------------------- table learning rate
def _one_step(tiny, scale: float):
    x, y = read_split(tiny.train)
    matrix = np.load(tiny.matrices["cbow"])
    model = build_model("w2v_finetuned", "meanpool", vocab_size=len(read_vocab(tiny.vocab)["tokens"]),
                        matrix=matrix, embedding_dim=12, units=8, dropout=0.0, seed=3,
                        learning_rate=0.01, table_lr_scale=scale)
    before = [np.array(w) for w in model.get_weights()]
    model.train_on_batch(x[:64], y[:64].astype("float32"))
    return model, [np.abs(np.array(w) - b).max() for w, b in zip(model.get_weights(), before)]


def test_table_lr_scale_scales_the_tables_steps_and_nothing_else(tiny, tmp_path):
    import keras

    plain, full = _one_step(tiny, 1.0)
    scaled, tenth = _one_step(tiny, 0.1)
    assert type(plain.optimizer) is keras.optimizers.Adam   # scale 1: the default model, unchanged
    # Adam's first step moves each weight by about the learning rate: a tenth for the table only.
    assert tenth[0] == pytest.approx(0.1 * full[0], rel=0.02)
    np.testing.assert_allclose(tenth[1:], full[1:], rtol=1e-5)
    # The served package loads the compiled model with its optimizer (no embedlab needed for it).
    scaled.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.get_config()["table_lr_scale"] == pytest.approx(0.1)
    assert type(loaded.optimizer).__module__ == "embedlab_serving.optimizers"


@pytest.mark.parametrize("strategy,extra", [("w2v_finetuned", {}),
                                            ("w2v_unfreeze", {"epochs": 2, "unfreeze_after": 1})])
def test_scale_zero_keeps_a_fine_tuned_table_while_the_rest_trains(tiny, strategy, extra):
    fitted = fit_cell(_cell(strategy), TrainParams(**{**TINY, **extra}, table_lr_scale=0.0), tiny)
    assert np.array_equal(fitted.initial_tables["embedding"], fitted.final_tables["embedding"])
    assert fitted.epochs_run == 2 and fitted.history["loss"][-1] < fitted.history["loss"][0]
    # w2v_unfreeze recompiled for its second phase: the table is trainable, the scale kept.
    assert fitted.model.get_layer("embedding").trainable
    assert fitted.model.optimizer.table_lr_scale == 0.0


# ----------------------------------------------------------------------- tuning
@pytest.fixture(scope="module")
def searches(tiny):
    """Two trials per strategy (one per train.tune_trials, times meanpool's factor of 2),
    with every trial the hook saw."""
    out = {}
    for strategy in ("learned", "w2v_finetuned"):
        seen = []
        tuned = tuning.tune(_cell(strategy), TrainParams(**TINY, tune_trials=1), tiny,
                            on_trial=lambda *trial: seen.append(trial))
        out[strategy] = (tuned, seen)
    return out


def test_every_strategy_gets_the_same_trials_over_one_space(searches):
    for strategy, (tuned, seen) in searches.items():
        assert tuned.trials == len(seen) == 2 and [s[0] for s in seen] == [0, 1]
        assert tuned.seconds > 0 and tuned.chosen in (0, 1)
        assert tuned.hparams == seen[tuned.chosen][1]
        for _, hp, metrics in seen:
            assert 1e-4 <= hp["learning_rate"] <= 1e-2 and 0 <= hp["dropout"] <= 0.5
            assert hp["epochs"] in tuning.EPOCH_CAPS
            assert set(metrics) == {"best_val_accuracy", "val_loss", "epochs_run"}
            assert 1 <= metrics["epochs_run"] <= hp["epochs"]
        # The chosen trial is the best on selection accuracy, the lower loss on a tie.
        best = max(seen, key=lambda s: (s[2]["best_val_accuracy"], -s[2]["val_loss"]))
        assert seen[tuned.chosen] == best
    # table_lr_scale is searched only where a vectors table trains.
    assert {s.name for s in STRATEGIES.values() if s.fine_tunes_vectors} == {
        "w2v_finetuned", "w2v_multichannel", "w2v_unfreeze"}
    assert all(hp["table_lr_scale"] == 1.0 for _, hp, _ in searches["learned"][1])
    assert all(0.01 <= hp["table_lr_scale"] < 1.0 for _, hp, _ in searches["w2v_finetuned"][1])


def test_a_linear_head_searches_l2_in_place_of_dropout(tiny):
    """Its regulariser is train.l2 (it has no dropout): the same number of trials, l2
    searched and reported instead, and each trial trains at the l2 it reports."""
    seen = []
    cell = Cell("w2v_frozen", "cbow", "linear", 1, "w2v_frozen")
    params = TrainParams(**TINY, tune_trials=1)
    tuned = tuning.tune(cell, params, tiny, on_trial=lambda *trial: seen.append(trial))
    assert tuned.trials == len(seen) == tuning.trials(cell, params)
    for _, hp, _ in seen:
        assert set(hp) == {"l2"}   # fitted exactly: no learning rate, epochs or dropout
        assert tuning.L2_RANGE[0] <= hp["l2"] <= tuning.L2_RANGE[1]
    assert len({hp["l2"] for _, hp, _ in seen}) == len(seen)
    assert tuned.hparams == seen[tuned.chosen][1]
    untuned = tuning.tune(cell, TrainParams(**TINY, l2=0.25), tiny)
    assert untuned.hparams["l2"] == 0.25 and "dropout" not in untuned.hparams


def test_the_search_never_reads_test_labels(tiny, searches, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    y_te = read_split(tiny.test)[1]
    table = pq.read_table(tiny.test)
    shuffled_labels = pa.array(np.random.default_rng(0).permutation(y_te), pa.int8())
    table = table.set_column(table.schema.get_field_index("label"), "label", shuffled_labels)
    pq.write_table(table, tmp_path / "test.parquet")
    permuted = dataclasses.replace(tiny, test=str(tmp_path / "test.parquet"))
    assert not np.array_equal(read_split(permuted.test)[1], y_te)

    tuned, seen = searches["learned"]
    again_seen = []
    again = tuning.tune(_cell("learned"), TrainParams(**TINY, tune_trials=1), permuted,
                        on_trial=lambda *trial: again_seen.append(trial))
    assert again_seen == seen and again.chosen == tuned.chosen and again.hparams == tuned.hparams
    np.testing.assert_array_equal(again.fitted.val_prob, tuned.fitted.val_prob)
    # Only scoring the chosen model reads the test split: same predictions, other labels.
    original, shuffled = with_test(tuned.fitted, tiny), with_test(again.fitted, permuted)
    np.testing.assert_array_equal(original.test_prob, shuffled.test_prob)
    assert not np.array_equal(original.y_test, shuffled.y_test)


def test_a_retired_cell_run_takes_its_trial_runs_with_it(mlflow_store):
    from embedlab import tracking

    uri, exp = tracking.setup()
    c = tracking.client(uri)
    cell = tracking.Run(c.create_run(exp, run_name="cell", tags={tracking.FINGERPRINT_TAG: "fp"}).info.run_id, uri)
    trial = cell.log_child("cell/trial0", {"dropout": 0.1}, {"best_val_accuracy": 0.5}, {tracking.KIND_TAG: "trial"})
    assert c.get_run(trial).data.tags["mlflow.parentRunId"] == cell.id
    assert c.get_run(trial).info.status == "FINISHED"
    cell.finish("FAILED")
    tracking.retire(exp, "fp", uri)
    assert {c.get_run(r).info.lifecycle_stage for r in (cell.id, trial)} == {"deleted"}


# ------------------------------------------------- cross-validation below cv_below
def _row_ids(tiny, x: np.ndarray) -> list[int]:
    """The train-split rows ``x`` holds (each tiny review is told apart by its ids)."""
    x_tr = read_split(tiny.train)[0]
    rows = {r.tobytes(): i for i, r in enumerate(x_tr)}
    assert len(rows) == len(x_tr)
    return [rows[r.tobytes()] for r in x]


def test_below_cv_below_the_folds_use_the_n_labels_only_and_the_refit_all_of_them(tiny, monkeypatch):
    from embedlab.train import fit

    n, params = 40, TrainParams(**{**TINY, "epochs": 4, "patience": 1}, cv_folds=4, cv_below=41)
    cell = _cell("learned", n)
    # Any read of the val or test split fails: the folds and the refit read neither.
    blind = dataclasses.replace(tiny, val=str(tiny.train) + ".absent", test=str(tiny.train) + ".absent")
    calls = []
    real = fit.train_model

    def spy(cell, params, inputs, on_epoch=None, data=None, blank=None):   # records each model's rows, fits for real
        fitted = real(cell, params, inputs, on_epoch, data, blank)
        calls.append((params.epochs, _row_ids(tiny, data.x_fit), _row_ids(tiny, data.x_sel), fitted))
        return fitted

    monkeypatch.setattr(fit, "train_model", spy)
    assert fit.uses_cv(cell, params) and not fit.uses_cv(_cell("learned", 41), params)
    fitted = fit.fit_selected(cell, params, blind)

    labeled = set(labeled_subset(read_split(tiny.train)[1], n, 1).tolist())
    *folds, (refit_epochs, refit_rows, refit_sel, _) = calls
    assert len(folds) == 4
    for _, fit_rows, held, _ in folds:                   # each fold: the N labels, split
        assert set(fit_rows) | set(held) == labeled and not set(fit_rows) & set(held)
    assert sorted(r for _, _, held, _ in folds for r in held) == sorted(labeled)   # each held once
    assert sorted(refit_rows) == sorted(labeled) and refit_sel == []               # refit: all N
    # The refit runs the folds' median best epoch, without early stopping or validation.
    best = [int(np.argmin(f.history["val_loss"])) + 1 for *_, f in folds]
    assert refit_epochs == max(1, int(np.round(np.median(best)))) == fitted.epochs_run
    assert "val_loss" not in fitted.history and len(fitted.history["loss"]) == refit_epochs
    # Its selection figures are out of fold, on the N labels; its counts say so.
    assert (fitted.train_examples, fitted.fit_examples, fitted.selection_examples) == (n, n, n)
    np.testing.assert_array_equal(fitted.y_val, read_split(tiny.train)[1][sorted(labeled)])
    assert not np.isnan(fitted.val_prob).any()


def test_cross_validation_scores_each_label_out_of_fold(tiny):
    from embedlab.train import fit

    params = TrainParams(**TINY, cv_folds=4, cv_below=1000)
    cell, seen = _cell("learned", 40), []
    cv = fit.cross_validate(cell, params, tiny, on_fold=lambda k, acc: seen.append((k, acc)))
    assert [k for k, _ in seen] == [0, 1, 2, 3] and len(cv.best_epochs) == 4
    # The last report is the out-of-fold accuracy of all N: the cell's selection score.
    assert seen[-1][1] == pytest.approx(np.mean((cv.prob >= 0.5) == cv.y))
    assert cv.epochs == int(np.round(np.median(cv.best_epochs)))
    assert all(1 <= e <= params.epochs for e in cv.best_epochs)


@pytest.mark.parametrize("strategy", ["learned", "w2v_unfreeze"])
def test_the_folds_share_one_model_restored_to_its_built_state(tiny, monkeypatch, strategy):
    """Each fold trains the trial's one compiled model from the state a fresh build gives
    (weights, dropout seeds, Adam's step and moments): its figures are a fresh model's,
    to the byte. A schedule that recompiles (w2v_unfreeze) gets a model per fold."""
    from embedlab.splits import cv_split
    from embedlab.train import fit

    params = TrainParams(**{**TINY, "epochs": 3, "patience": 1}, cv_folds=3, cv_below=1000, dropout=0.3,
                         unfreeze_after=1)
    cell = _cell(strategy, 40)
    built = []
    real_init = fit.Blank.__init__

    def counting(self, *args, **kw):
        built.append(kw.get("reused", True))
        real_init(self, *args, **kw)

    monkeypatch.setattr(fit.Blank, "__init__", counting)
    cv = fit.cross_validate(cell, params, tiny)
    assert len(built) == (1 if strategy == "learned" else 3)
    x_tr, y_tr = read_split(tiny.train)
    rows = labeled_subset(y_tr, 40, 1)
    for (fit_rows, held), best in zip(cv_split(y_tr, rows, 3, 1), cv.best_epochs):
        data = fit.CellData(x_tr[fit_rows], y_tr[fit_rows], x_tr[held], y_tr[held], labeled=40)
        fresh = fit.train_model(cell, params, tiny, data=data)   # a model of its own
        np.testing.assert_array_equal(cv.prob[np.searchsorted(rows, held)], fresh.val_prob)
        assert best == fit.best_epoch(fresh.history)


def test_too_many_folds_for_a_size_is_one_clear_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"train": {"cv_folds": 6}, "grid": {"train_sizes": [10, "all"]}}))
    with pytest.raises(ConfigError, match=r"params.yaml: train.cv_folds: at grid.train_sizes \[10\]"):
        load_train(path)
    path.write_text(yaml.safe_dump({"train": {"cv_folds": 5}, "grid": {"train_sizes": [10, "all"]}}))
    assert load_train(path).train.cv_folds == 5


# ------------------------------------------------------------- budget and pruning
def test_the_budget_is_per_architecture_and_the_linear_head_searches_l2_not_dropout():
    import optuna

    params = TrainParams(tune_trials=3)
    budgets = {(a, s): tuning.trials(Cell(s, None, a, 1, s), params) for a in ("linear", "meanpool", "cnn")
               for s in ("learned", "random_frozen")}
    for (a, s), n in budgets.items():   # every strategy of an architecture alike
        assert n == 3 * tuning.TRIAL_FACTOR.get(a, 1) == budgets[(a, "learned")]
    assert budgets[("cnn", "learned")] == 3 < budgets[("meanpool", "learned")]
    study = optuna.create_study()
    linear = tuning.suggest(study.ask(), Cell("learned", None, "linear", 1, "learned"))
    assert set(linear) == {"learning_rate", "l2", "epochs"} and 1e-6 <= linear["l2"] <= 1e-1
    # A head fitted exactly on fixed features has l2 alone to search.
    assert set(tuning.suggest(study.ask(), Cell("w2v_frozen", "v", "linear", 1, "w2v_frozen"), True)) == {"l2"}
    # ... and reports l2 alone: learning rate and epochs never reach it.
    assert tuning.hparams(params, Cell("w2v_frozen", "v", "linear", 1, "w2v_frozen")) == {"l2": params.l2}
    assert set(tuning.hparams(params, Cell("learned", None, "linear", 1, "learned"))) == {
        "learning_rate", "l2", "epochs", "table_lr_scale"}
    assert set(tuning.suggest(study.ask(), _cell("learned"))) == {"learning_rate", "dropout", "epochs"}
    # TPE samples on its own after its random start-up, within every budget.
    assert [tuning.startup_trials(n) for n in (2, 4, 8, 12)] == [1, 2, 4, 5]


@pytest.mark.parametrize("size,steps", [(40, "fold"), ("all", "epoch")])
def test_a_hopeless_trial_is_pruned_early(tiny, monkeypatch, size, steps):
    """Finished trials that were perfect at every step; a trial whose model cannot learn
    (learning rate 1e-7) stops at the first step the pruner may act on."""
    import optuna

    from embedlab.train import fit

    params = TrainParams(**{**TINY, "epochs": 6, "patience": 6}, cv_folds=4, cv_below=1000)
    cell = _cell("learned", size)
    study = tuning.study(cell, params)
    dist = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    for _ in range(tuning.PRUNER_STARTUP):
        study.add_trial(optuna.trial.create_trial(params={"learning_rate": 1e-3}, distributions=dist,
                                                  value=1.0, intermediate_values={s: 1.0 for s in range(6)}))
    fits = []
    real = fit.train_model
    monkeypatch.setattr(fit, "train_model", lambda *a, **k: fits.append(1) or real(*a, **k))
    trial = study.ask()
    with pytest.raises(optuna.TrialPruned):
        tuning.run_trial(cell, params.model_copy(update={"learning_rate": 1e-7}), tiny, trial)
    reported = sorted(study.trials[trial.number].intermediate_values)
    assert reported == list(range(tuning.WARMUP_STEPS[steps] + 1))   # stopped at the first step allowed
    if steps == "fold":
        assert len(fits) == len(reported) < params.cv_folds             # the folds after it: not fitted


# ------------------------------------------------------------------ the reference
def test_the_reference_chooses_c_by_cross_validation_over_its_n_labels_only(tiny):
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    from embedlab.train import baseline
    from embedlab_serving.text import tokenize

    n, train = 60, TrainParams(cv_folds=4)
    ref = baseline.Reference(n, 2)
    blind = dataclasses.replace(tiny, val=str(tiny.train) + ".absent")   # below `all`: no val read
    metrics, test_prob = baseline.fit_predict(blind, ref, train)
    assert baseline.selection_rule(ref, train) == ("cv", 4)
    assert (metrics["train_examples"], metrics["selection_examples"]) == (n, n)
    # Recomputed here with sklearn alone: the cells' folds, a vectorizer fitted per fold.
    frame = pd.read_parquet(tiny.train, columns=["text", "label"])
    rows = labeled_subset(frame["label"].to_numpy(), n, 2)
    texts, y = frame["text"].to_numpy(object)[rows], frame["label"].to_numpy()[rows]
    folds = StratifiedKFold(4, shuffle=True, random_state=2)
    accuracy = {}
    for c in baseline.C_GRID:
        pipe = make_pipeline(TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                             ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                             LogisticRegression(C=c, max_iter=2000))
        prob = cross_val_predict(pipe, texts, y, cv=folds, method="predict_proba")[:, 1]
        accuracy[c] = float(np.mean((prob >= 0.5) == y))
        assert metrics[f"selection_accuracy_C{c:g}"] == pytest.approx(accuracy[c])
    assert accuracy[metrics["C"]] == max(accuracy.values())              # the argmax is recorded
    assert metrics["best_val_accuracy"] == pytest.approx(max(accuracy.values()))
    assert len(set(accuracy.values())) > 1                               # C made a difference
    assert len(test_prob) == len(read_split(tiny.test)[1])
    # Its weights fitted to the labels (the answer page's simplicity): one per feature of the
    # vectorizer refit on all N, and the intercept.
    refit = pipe.set_params(logisticregression__C=metrics["C"]).fit(texts, y)
    assert metrics["params_trainable"] == len(refit.named_steps["tfidfvectorizer"].vocabulary_) + 1
    # At or above cv_below: the cells' holdout share; at `all`: the val split.
    held, _ = baseline.fit_predict(blind, ref, TrainParams(cv_below=n))
    assert held["selection_examples"] == math.ceil(0.2 * n) and held["train_examples"] == n
    whole, _ = baseline.fit_predict(tiny, baseline.Reference(), train)
    assert whole["selection_examples"] == len(read_split(tiny.val)[1])


def test_a_pruned_trial_counts_against_the_budget_and_is_never_chosen(tiny, monkeypatch):
    import optuna

    real = tuning.run_trial

    def second_pruned(cell, params, inputs, trial):   # trial 1 stops after one report, as the pruner stops it
        if trial.number == 1:
            trial.report(0.25, 0)
            raise optuna.TrialPruned()
        return real(cell, params, inputs, trial)

    monkeypatch.setattr(tuning, "run_trial", second_pruned)
    seen = []
    tuned = tuning.tune(_cell("learned"), TrainParams(**TINY, tune_trials=1), tiny,
                        on_trial=lambda *trial: seen.append(trial))
    assert (tuned.trials, tuned.pruned, tuned.chosen) == (2, 1, 0)
    assert seen[1][2] == {"pruned": 1, "pruned_at_step": 0, "intermediate_accuracy": 0.25}
    assert tuned.hparams == seen[0][1]


def test_a_tuned_cell_below_cv_below_is_refit_on_all_n_at_the_chosen_values(tiny):
    seen, n = [], 40
    params = TrainParams(**{**TINY, "patience": 1}, tune_trials=1, cv_folds=4, cv_below=1000)
    tuned = tuning.tune(_cell("learned", n), params, tiny, on_trial=lambda *trial: seen.append(trial))
    assert tuned.trials == len(seen) == 2 and tuned.hparams == seen[tuned.chosen][1]
    chosen = seen[tuned.chosen][2]
    fitted = tuned.fitted
    # The reported model: all N labels, the chosen trial's values and its folds' epoch count;
    # its selection figures are that trial's out-of-fold ones.
    assert (fitted.train_examples, fitted.fit_examples, fitted.selection_examples) == (n, n, n)
    assert fitted.epochs_run == chosen["epochs_run"] and "val_loss" not in fitted.history
    assert np.mean((fitted.val_prob >= 0.5) == fitted.y_val) == pytest.approx(chosen["best_val_accuracy"])
    assert tuned.seconds > fitted.seconds > 0
