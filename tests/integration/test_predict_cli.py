"""`embedlab predict` on files: a clear error for a wrong column, and real
scoring of a CSV with a registered model (real temporary MLflow store)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from embedlab.cli import app


@pytest.fixture()
def runner():
    return CliRunner()


def test_bad_column_names_file_column_and_the_columns_present(runner, tmp_path, mlflow_store):
    reviews = tmp_path / "reviews.csv"
    pd.DataFrame({"id": [1, 2], "review": ["Great!", "Awful."]}).to_csv(reviews, index=False)
    result = runner.invoke(app, ["predict", "--file", str(reviews), "--column", "text"])
    assert result.exit_code == 2
    err = result.stderr
    assert str(reviews) in err and "column(s) ['text'] not found" in err
    assert "['id', 'review']" in err and "--column" in err
    assert "Traceback" not in result.output + err


def test_missing_file_and_no_input_are_clear_errors(runner, tmp_path, mlflow_store):
    result = runner.invoke(app, ["predict", "--file", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "nope.csv: file not found" in result.stderr
    result = runner.invoke(app, ["predict"])
    assert result.exit_code == 2 and "give review texts" in result.stderr


def test_no_champion_yet_says_what_to_run(runner, mlflow_store):
    result = runner.invoke(app, ["predict", "Great coffee!"])
    assert result.exit_code == 2
    assert "models:/review-sentiment@champion" in result.stderr and "repro" in result.stderr


def _champion(tmp_path, model) -> None:
    """``model`` registered as review-sentiment@champion in the test's store."""
    import mlflow
    from mlflow import MlflowClient

    from embedlab import tracking
    from embedlab.evaluate.registry import log_pyfunc

    _, exp = tracking.setup(tmp_path, "cli")
    with mlflow.start_run(experiment_id=exp):
        info = log_pyfunc(*model)
    version = mlflow.register_model(info.model_uri, "review-sentiment").version
    MlflowClient().set_registered_model_alias("review-sentiment", "champion", version)


def test_scores_the_readme_reviews_with_the_champion(runner, tmp_path, mlflow_store, tiny_models):
    """The README's command, texts as arguments: a table of the four columns it names."""
    _champion(tmp_path, tiny_models["good"])
    result = runner.invoke(app, ["predict", "Great coffee, will buy again!", "Stale and bland."])
    assert result.exit_code == 0, result.output + result.stderr
    header, *rows = [ln for ln in result.stdout.splitlines() if "│" in ln or "┃" in ln]
    assert header.replace("┃", " ").split() == ["text", "probability", "label", "known_tokens"]
    assert len(rows) == 2 and "Great coffee, will buy again!" in rows[0] and "Stale and bland." in rows[1]
    for row in rows:
        probability, label, known = row.split("│")[2:5]
        assert 0 <= float(probability) <= 1 and label.strip() in {"positive", "negative", "unknown"}
        assert int(known) >= 0


def test_scores_a_file_with_the_registered_champion(runner, tmp_path, mlflow_store, tiny_models):
    _champion(tmp_path, tiny_models["good"])
    reviews = tmp_path / "reviews.tsv"
    pd.DataFrame({"review": ["delicious coffee, i love it", "stale awful chips", None, "!"],
                  "id": [7, 8, 9, 10]}).to_csv(reviews, sep="\t", index=False)
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", "--file", str(reviews), "--column", "review",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    scored = pd.read_csv(out)
    assert list(scored.columns) == ["text", "probability", "label", "known_tokens"]
    assert scored["label"].tolist() == ["positive", "negative", "unknown", "unknown"]
    assert scored["probability"].between(0, 1).all()
    # An empty cell stays empty (not the word "nan") and is no evidence either way.
    assert scored["text"].isna().tolist() == [False, False, True, False]
    assert scored["known_tokens"].tolist()[2:] == [0, 0] and scored["known_tokens"][0] > 0
