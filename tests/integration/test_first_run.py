"""The project's own first run, as the README orders it: its first command
(`python3.11 dev.py repro`) leaves the champion in this checkout's MLflow store,
and its second (`python3.11 dev.py test`, this suite) checks that it did. So
`.ci/run`, which is those two commands in a clean clone, fails when a fresh
clone ends without `models:/review-sentiment@champion` (DVC skips `evaluate`
when its inputs are the committed bytes, and the store is not in git: the
stages' records in the store, `mlruns/stages/<stage>.json`, are their outputs so
that DVC runs them again).

These tests read the project folder itself, not a scratch copy."""

from __future__ import annotations

import json

import pytest

from embedlab.config import load_evaluate
from embedlab.layout import Layout
from embedlab.tracking import KIND_TAG, default_uri
from tests.conftest import ROOT

LAYOUT = Layout(ROOT)
FIRST = "run the README's first command (python3.11 dev.py repro) before its second"


@pytest.fixture(scope="module")
def store():
    from mlflow import MlflowClient

    assert LAYOUT.mlflow_db.exists(), f"{LAYOUT.mlflow_db} is missing: {FIRST}"
    uri = default_uri(ROOT)
    return MlflowClient(uri, uri)


def test_the_first_command_leaves_the_champion_registered(store):
    params = load_evaluate(ROOT / "params.yaml")
    version = store.get_model_version_by_alias(params.model_name, params.alias)
    record = json.loads(LAYOUT.store_record("evaluate").read_text())
    assert record["registered_model"] == params.model_name and record["alias"] == params.alias
    # The version the alias points at is a cell of this checkout's grid.
    cells = {c["name"] for c in json.loads(LAYOUT.train_report.read_text())["cells"]}
    assert version.tags["cell"] in cells


def test_the_first_command_leaves_the_grid_report_and_the_answer_run(store):
    exp = store.get_experiment_by_name("embedlab")
    # Newest first, and the newest of each kind kept: a checkout that ran the
    # pipeline more than once holds older runs of each kind too.
    newest = store.search_runs([exp.experiment_id], max_results=500, order_by=["attributes.start_time DESC"])
    runs: dict = {}
    for run in newest:
        runs.setdefault(run.data.tags.get(KIND_TAG), run)
    grid = runs["grid"]
    assert "report" in {a.path for a in store.list_artifacts(grid.info.run_id)}, "evaluate's report"
    answer = runs["answer"]
    page = {a.path for a in store.list_artifacts(answer.info.run_id)}
    assert {LAYOUT.answer_json.name, LAYOUT.answer_md.name} <= page
    record = json.loads(LAYOUT.store_record("answer").read_text())
    assert answer.data.tags["embedlab.fingerprint"] == record["page"]
