"""The promotion gate on a real temporary MLflow registry with tiny real Keras
models: better -> promoted (old champion becomes `previous`), worse -> kept,
tie within the margin -> kept, failing behaviour checks -> kept; every decision
recorded on the model version."""

from __future__ import annotations

import pytest

from embedlab.evaluate.registry import decide, register_and_gate
from tests.tiny_models import TEST_LABELS, TEST_TEXTS

NAME = "review-sentiment"


def test_decide_is_a_pure_rule():
    assert decide(0.8, None, 0.0) == (True, "no champion yet")
    assert decide(0.81, 0.80, 0.0)[0] is True
    assert decide(0.80, 0.80, 0.0)[0] is False            # a tie is not better
    assert decide(0.805, 0.80, 0.01)[0] is False          # better, but within the margin
    assert decide(0.82, 0.80, 0.01)[0] is True
    promoted, why = decide(0.99, 0.5, 0.0, behaviour_pass_rate=0.4, min_behaviour_pass_rate=0.6)
    assert promoted is False and "behaviour" in why and "0.400" in why
    assert decide(0.99, None, 0.0, 0.4, 0.6)[0] is False  # even the first champion must pass
    # The champion's own model with newer serving code replaces it, tie or not,
    # but still only past the behaviour checks.
    assert decide(0.80, 0.80, 0.0, repackaged=True) == (
        True, "the champion's own cell, packaged with newer serving code")
    assert decide(0.80, 0.80, 0.0, 0.4, 0.6, repackaged=True)[0] is False


def _log(path_pair):
    import mlflow

    from embedlab.evaluate.registry import log_pyfunc

    keras_path, vocab_path = path_pair
    with mlflow.start_run():
        return log_pyfunc(keras_path, vocab_path).model_uri


def _gate(uri, margin=0.0, min_beh=0.0, cell=None, reference_note=""):
    source = {"cell": cell} if cell else {}
    return register_and_gate(uri, NAME, "champion", margin, TEST_TEXTS, TEST_LABELS,
                             tags={"strategy": "learned", "architecture": "meanpool", "seed": "1",
                                   "git_commit": "abc123", "data_digest": "d1", **source},
                             min_behaviour_pass_rate=min_beh, reference_note=reference_note)


@pytest.fixture()
def logged(mlflow_store, tiny_models):
    from pathlib import Path

    from embedlab import tracking

    root = Path(mlflow_store.removeprefix("sqlite:///")).parents[1]
    _, experiment_id = tracking.setup(root, "gate")
    import mlflow

    mlflow.set_experiment(experiment_id=experiment_id)
    return {"good": _log(tiny_models["good"]), "bad": _log(tiny_models["bad"])}


def test_better_promoted_worse_and_tie_kept(logged):
    from mlflow import MlflowClient

    client = MlflowClient()
    # First model (the worse one) with no champion yet: promoted.
    first = _gate(logged["bad"])
    assert first.promoted and first.version == "1" and first.champion_version is None
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"

    # Better on the same test set: promoted, the old champion becomes `previous`.
    better = _gate(logged["good"])
    assert better.promoted and better.champion_version == "1"
    assert better.challenger_accuracy > 0.9 > better.champion_accuracy
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"
    assert str(client.get_model_version_by_alias(NAME, "previous").version) == "1"

    # Worse: kept.
    worse = _gate(logged["bad"])
    assert not worse.promoted and worse.version == "3"
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"
    assert str(client.get_model_version_by_alias(NAME, "previous").version) == "1"

    # The same model again: a tie is within any margin -> kept.
    tie = _gate(logged["good"], margin=0.01)
    assert not tie.promoted and tie.challenger_accuracy == tie.champion_accuracy
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "2"

    # Every decision is on its version: tags and description say what and why.
    v3 = client.get_model_version(NAME, "3")
    assert v3.tags["promoted"] == "False" and "does not beat" in v3.tags["gate"]
    assert "not promoted to `champion`" in v3.description and "v2" in v3.description
    v2 = client.get_model_version(NAME, "2")
    assert v2.tags["promoted"] == "True" and "beats the champion" in v2.tags["gate"]
    for key in ("strategy", "architecture", "seed", "git_commit", "data_digest",
                "test_accuracy_on_gate", "behaviour_pass_rate", "behaviour_negation_pass_rate"):
        assert key in v2.tags, key
    assert float(v2.tags["test_accuracy_on_gate"]) == pytest.approx(better.challenger_accuracy, abs=1e-5)
    v4 = client.get_model_version(NAME, "4")
    assert "margin 0.0100" in v4.tags["gate"]

    # Rollback is one command.
    previous = client.get_model_version_by_alias(NAME, "previous").version
    client.set_registered_model_alias(NAME, "champion", previous)
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"


def test_behaviour_checks_are_part_of_the_gate(logged):
    from mlflow import MlflowClient

    client = MlflowClient()
    # The inverted model calls clear praise negative: it fails the checks, so even
    # with no champion at all it does not become one.
    bad = _gate(logged["bad"], min_beh=0.6)
    assert not bad.promoted and "behaviour" in bad.reason
    assert bad.challenger_behaviour["mft_pass_rate"] < 0.5
    assert bad.challenger_behaviour["pass_rate"] < 0.6
    with pytest.raises(Exception):
        client.get_model_version_by_alias(NAME, "champion")
    good = _gate(logged["good"], min_beh=0.6)
    assert good.promoted, good.message
    assert good.challenger_behaviour["mft_pass_rate"] >= 0.8
    assert good.challenger_behaviour["negation_pass_rate"] >= 0.5
    assert "| mft |" in good.behaviour_markdown


def test_the_champions_own_cell_with_newer_serving_code_replaces_it(logged):
    """A champion registered before the serving contract tag (the pyfunc that
    answered NaN for a review without a known word) is replaced by its own cell
    (same data) packaged with the current code, though their accuracy ties."""
    from mlflow import MlflowClient

    from embedlab.evaluate.registry import CONTRACT_TAG
    from embedlab_serving.model import CONTRACT

    client = MlflowClient()
    old = _gate(logged["good"], cell="learned/meanpool/seed1")
    assert old.promoted and client.get_model_version(NAME, old.version).tags[CONTRACT_TAG] == str(CONTRACT)
    client.delete_model_version_tag(NAME, old.version, CONTRACT_TAG)  # as registered before it

    other = _gate(logged["good"], cell="learned/lstm/seed1")  # another cell: the usual rule
    assert not other.promoted and other.challenger_accuracy == other.champion_accuracy
    same = _gate(logged["good"], cell="learned/meanpool/seed1")
    assert same.promoted and "newer serving code" in same.reason, same.message
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == same.version
    assert str(client.get_model_version_by_alias(NAME, "previous").version) == old.version
    again = _gate(logged["good"], cell="learned/meanpool/seed1")  # now current: a tie is kept
    assert not again.promoted


def _tfidf_correct():
    """A real TF-IDF + logistic regression reference on the tiny review language."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from embedlab_serving.text import tokenize
    from tests.tiny_models import corpus

    texts, y = corpus(400, seed=1)
    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2))
    clf = LogisticRegression(max_iter=1000).fit(vec.fit_transform(texts), y)
    return clf.predict(vec.transform(TEST_TEXTS)) == np.asarray(TEST_LABELS)


def test_reference_note_only_when_the_reference_is_better_with_its_interval():
    import numpy as np

    from embedlab.evaluate.stage import reference_note

    rng = np.random.default_rng(0)
    ref = rng.random(500) < 0.80
    champ = ref.copy()
    champ[np.flatnonzero(ref)[:3]] = False            # 3 reviews fewer: better, but within noise
    close = reference_note(champ, ref)
    assert "beats this model on the same 500 test reviews" in close and "within noise" in close
    assert "difference +0.0060" in close and "95% paired bootstrap CI [" in close
    assert reference_note(ref, champ) == "" and reference_note(ref, ref) == ""
    far = reference_note(rng.random(500) < 0.6, ref)
    assert "excludes 0" in far


def test_version_description_and_report_say_the_reference_beats_the_champion(logged):
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient

    from embedlab.evaluate.stage import _champion_section, reference_note

    prob = mlflow.pyfunc.load_model(logged["bad"]).predict(TEST_TEXTS)["probability"].to_numpy()
    note = reference_note((prob >= 0.5) == np.asarray(TEST_LABELS), _tfidf_correct())
    assert "TF-IDF + logistic regression reference beats this model" in note and "excludes 0" in note
    decision = _gate(logged["bad"], reference_note=note)
    assert decision.promoted and decision.reference_note == note   # the gate itself is unchanged
    version = MlflowClient().get_model_version(NAME, decision.version)
    assert version.description.startswith(decision.message) and note in version.description
    assert version.tags["reference_beats_model"] == note
    section = "\n".join(_champion_section(pd.Series({"name": "learned/meanpool/seed1",
                                                      "test_accuracy": 0.1, "test_roc_auc": 0.1}),
                                           decision.as_dict()))
    assert note in section and "Not the best classifier here" in section
    # A model the reference does not beat gets no such line anywhere.
    good = _gate(logged["good"])
    assert good.reference_note == "" and "TF-IDF" not in MlflowClient().get_model_version(
        NAME, good.version).description


def test_champion_note_reads_the_cells_and_the_references_test_predictions(tmp_path):
    """The evaluate stage's inputs: the champion's predictions.npz and the TF-IDF
    reference of its train size (its seed's subset below the whole split)."""
    import numpy as np
    import pandas as pd

    from embedlab.evaluate.stage import champion_reference_note
    from embedlab.layout import Layout

    layout = Layout(tmp_path)
    y = np.arange(200) % 2
    champ_prob = np.where(np.arange(200) < 150, y, 1 - y).astype(float)        # 0.75 correct
    (layout.models / "learned__meanpool__seed1").mkdir(parents=True)
    np.savez(layout.models / "learned__meanpool__seed1" / "predictions.npz", y_test=y, test_prob=champ_prob)
    np.savez(layout.models / "all.npz", test_prob=y.astype(float))              # all correct
    np.savez(layout.models / "n50_seed1.npz", test_prob=1.0 - y)                # all wrong
    baselines = [{"train_size": "all", "seed": None, "predictions": "all.npz", "name": "all"},
                 {"train_size": 50, "seed": 1, "predictions": "n50_seed1.npz", "name": "n50"}]
    champ = pd.Series({"slug": "learned__meanpool__seed1", "seed": 1, "train_size": "all"})
    note = champion_reference_note(champ, baselines, layout)
    assert "accuracy 1.0000 vs 0.7500" in note and "excludes 0" in note
    assert champion_reference_note(champ.replace({"all": 50}),
                                   baselines, layout) == ""                    # the reference is worse
    assert champion_reference_note(champ, [], layout) == ""                    # no reference in the grid
