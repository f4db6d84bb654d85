"""`tracking.setup` tells MLflow's UI what the experiment holds (a real
temporary sqlite store): the experiment kind and embedlab's saved runs view,
on a new experiment and on one created before embedlab set them. What the
browser then shows is tests/integration/test_ui.py (slow)."""

from __future__ import annotations

import json

from embedlab import tracking

VIEW_KEY = f"mlflow.sharedViewState.{tracking.RUNS_VIEW_ID}"


def _tags(name: str) -> dict[str, str]:
    from mlflow import MlflowClient

    return MlflowClient().get_experiment_by_name(name).tags


def test_a_new_experiment_is_model_training_with_the_runs_view(tmp_path, mlflow_store):
    tracking.setup(tmp_path, "fresh")
    tags = _tags("fresh")
    assert tags[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"
    view = json.loads(tags[VIEW_KEY])
    assert view["name"] == tracking.RUNS_VIEW_NAME and isinstance(view["createdAt"], int)
    state = json.loads(view["state"])
    # Column ids and sort key as MLflow's UI writes them.
    assert state["selectedColumns"] == [f"metrics.`{m}`" for m in tracking.COMPARED_METRICS]
    assert state["orderByKey"] == "metrics.`test_accuracy`" and state["orderByAsc"] is False


def test_an_older_experiment_gets_them_and_a_kind_chosen_in_the_ui_stays(tmp_path, mlflow_store):
    from mlflow import MlflowClient

    client = MlflowClient()
    old = client.create_experiment("older")
    stale = json.dumps({"name": "mine", "createdAt": 1, "state": "{}"})
    client.set_experiment_tag(old, VIEW_KEY, stale)
    assert tracking.setup(tmp_path, "older")[1] == old
    assert _tags("older")[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"
    assert _tags("older")[VIEW_KEY] != stale

    client.set_experiment_tag(old, tracking.EXPERIMENT_KIND_TAG, "genai_development")
    tracking.setup(tmp_path, "older")
    assert _tags("older")[tracking.EXPERIMENT_KIND_TAG] == "genai_development"


def test_setup_writes_nothing_when_the_tags_are_current(tmp_path, mlflow_store):
    tracking.setup(tmp_path, "steady")
    assert tracking.ui_tags(_tags("steady")) == {}



def test_a_note_longer_than_mlflows_tag_limit_is_cut_at_a_line_and_says_where_the_rest_is():
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    from embedlab.tracking import note

    short = "# report\n\nall of it"
    assert note(short, "report/report.md") == short
    long = "\n".join(f"line {i:05d} " + "x" * 60 for i in range(400))   # ~28,000 characters
    cut = note(long, "report/report.md")
    assert len(cut) <= MAX_TAG_VAL_LENGTH
    head, tail = cut.split("\n\n… cut")
    assert long.startswith(head + "\n") and head.endswith("x" * 60)   # whole lines only
    assert tail.endswith("the artifact `report/report.md`.")
