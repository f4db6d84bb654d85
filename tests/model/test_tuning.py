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
    path.write_text(yaml.safe_dump({"train": {"holdout": 0.1}, "grid": {"train_sizes": [10, "all"]}}))
    with pytest.raises(ConfigError, match=r"params.yaml: train.holdout: at grid.train_sizes \[10\]"):
        load_train(path)
    path.write_text(yaml.safe_dump({"train": {"holdout": 0.2}, "grid": {"train_sizes": [10, "all"]}}))
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
    """Two trials per strategy, with every trial the hook saw."""
    out = {}
    for strategy in ("learned", "w2v_finetuned"):
        seen = []
        tuned = tuning.tune(_cell(strategy), TrainParams(**TINY, tune_trials=2), tiny,
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
    tuned = tuning.tune(cell, TrainParams(**TINY, tune_trials=2), tiny,
                        on_trial=lambda *trial: seen.append(trial))
    assert tuned.trials == len(seen) == 2
    for _, hp, _ in seen:
        assert set(hp) == set(tuning.LINEAR_HPARAMS) and "dropout" not in hp
        assert tuning.L2_RANGE[0] <= hp["l2"] <= tuning.L2_RANGE[1]
    assert len({hp["l2"] for _, hp, _ in seen}) == 2
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
    again = tuning.tune(_cell("learned"), TrainParams(**TINY, tune_trials=2), permuted,
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
