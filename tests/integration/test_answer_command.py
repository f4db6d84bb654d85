"""`embedlab answer` for real on a user's CSV: a git + DVC scratch repository,
`dvc exp run` through every stage (real Prefect, sqlite MLflow, TensorFlow, gensim)
at the sizes asked for, then the decision table printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from embedlab.config import load_answer
from embedlab.layout import Layout
from tests.conftest import make_project, stage_env
from tests.tinydata import reviews

pytestmark = pytest.mark.slow

# What a user adds to the committed params.yaml for a CSV of `text` and 0/1 `label`:
# the file's columns and label rule (README: Bring your own data), nothing else.
FILE_KEYS = {"text_columns": "[text]", "label_column": "label", "label": "{positive_min: 1, negative_max: 0}"}


def with_file_columns(params: str) -> str:
    """params.yaml edited as a user edits it: the three `null`s of data replaced in place,
    every other line (comments, block and flow style) left as committed."""
    for key, value in FILE_KEYS.items():
        params, n = re.subn(rf"^(  {key}:) null( .*)?$", rf"\1 {value}\2", params, count=1, flags=re.M)
        assert n == 1, f"params.yaml: data.{key} is no longer `null` on a line of its own"
    return params


def answer(project, *args):
    return subprocess.run([sys.executable, "-m", "embedlab.cli", "answer", *args], cwd=project,
                          env=stage_env(project), capture_output=True, text=True, timeout=900)


def test_answer_on_a_csv_from_the_committed_params(tmp_path, prefect_home):
    """`embedlab answer --source reviews.csv --sizes 100,all` from this project's params.yaml
    plus the file's columns: `dvc exp run -S` rewrites the committed file (the preset grid
    of its `answer` section, untuned here: --tune 0 keeps the test within minutes)."""
    project = make_project(tmp_path / "proj")
    params_file = project / "params.yaml"
    params_file.write_text(with_file_columns(params_file.read_text()))
    preset = load_answer(params_file)
    reviews(300, seed=5)[["text", "label"]].to_csv(project / "reviews.csv", index=False)
    subprocess.run(["git", "add", "reviews.csv"], cwd=project, check=True)

    bad = answer(project, "--sizes", "60,sixty")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "'sixty'" in bad.stderr

    done = answer(project, "--source", "reviews.csv", "--sizes", "100,all", "--tune", "0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| labeled reviews | use |" in done.stdout and "reports/answer.md" in done.stdout
    lay = Layout(project)
    result = json.loads(lay.answer_json.read_text())
    assert result["sizes"] == [100, "all"] and result["data"]["source"] == "reviews.csv"
    # The experiment's params stay in the workspace; the CSV became a dep of prepare.
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["source"] == "reviews.csv" and params["grid"]["train_sizes"] == [100, "all"]
    assert (params["grid"]["strategies"], params["grid"]["architectures"], params["grid"]["seeds"]) == \
        (preset.strategies, preset.architectures, preset.seeds)    # the committed preset's
    assert params["train"]["tune_trials"] == 0
    assert {c["strategy"] for c in result["configs"]} == set(preset.strategies)
    assert "reviews.csv" in yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["prepare"]["deps"]
    exps = subprocess.run([sys.executable, "-m", "dvc", "exp", "show", "--json"], cwd=project,
                          env=stage_env(project), capture_output=True, text=True)
    assert exps.returncode == 0 and "train_sizes" in exps.stdout
