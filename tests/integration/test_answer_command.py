"""`embedlab answer` for real on a user's CSV: a git + DVC scratch repository,
`dvc exp run` through every stage (real Prefect, sqlite MLflow, TensorFlow, gensim)
at the sizes asked for, then the decision table printed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from embedlab.layout import Layout
from tests.conftest import make_project, stage_env
from tests.tinydata import reviews

pytestmark = pytest.mark.slow

OVERRIDES = """
data: {text_columns: [text], label_column: label, label: {positive_min: 1, negative_max: 0}}
embeddings: {variants: {cbow: {vector_size: 16, epochs: 2, min_count: 1}}}
train: {epochs: 1, units: 8, batch_size: 32}
grid: {strategies: [learned], architectures: [cnn], seeds: [1]}
evaluate: {min_behaviour_pass_rate: 0.0}
# the grid the command runs (its preset), tiny; untuned
answer: {strategies: [learned, w2v_finetuned], architectures: [meanpool], seeds: [1], tune_trials: 0}
"""


def answer(project, *args):
    return subprocess.run([sys.executable, "-m", "embedlab.cli", "answer", *args], cwd=project,
                          env=stage_env(project), capture_output=True, text=True, timeout=900)


def test_answer_on_a_csv_at_the_sizes_asked_for(tmp_path, prefect_home):
    project = make_project(tmp_path / "proj", OVERRIDES)
    reviews(300, seed=5)[["text", "label"]].to_csv(project / "reviews.csv", index=False)
    subprocess.run(["git", "add", "reviews.csv"], cwd=project, check=True)

    bad = answer(project, "--sizes", "60,sixty")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "'sixty'" in bad.stderr

    done = answer(project, "--source", "reviews.csv", "--sizes", "60,all")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| labeled reviews | use |" in done.stdout and "reports/answer.md" in done.stdout
    lay = Layout(project)
    result = json.loads(lay.answer_json.read_text())
    assert result["sizes"] == [60, "all"] and result["data"]["source"] == "reviews.csv"
    # The experiment's params stay in the workspace; the CSV became a dep of prepare.
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["source"] == "reviews.csv" and params["grid"]["train_sizes"] == [60, "all"]
    assert (params["grid"]["strategies"], params["grid"]["architectures"]) == (["learned", "w2v_finetuned"],
                                                                              ["meanpool"])   # the preset's
    assert {c["strategy"] for c in result["configs"]} == {"learned", "w2v_finetuned"}
    assert "reviews.csv" in yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["prepare"]["deps"]
    exps = subprocess.run([sys.executable, "-m", "dvc", "exp", "show", "--json"], cwd=project,
                          env=stage_env(project), capture_output=True, text=True)
    assert exps.returncode == 0 and "train_sizes" in exps.stdout
