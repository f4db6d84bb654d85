"""The whole pipeline for real: a temporary git + DVC repository, `dvc repro`
(each stage a real Prefect flow on a temporary Prefect server), a temporary
sqlite MLflow store, then a registry pull with raw text."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import make_project, stage_env

OVERRIDES = """
data: {sample: 400}
embeddings: {variants: {cbow: {vector_size: 32, epochs: 3}, skipgram: {sg: 1, vector_size: 32, epochs: 3},
                        glove6b: {source: "embedded:glove-6b-50d"}}}
train: {epochs: 1, units: 8, batch_size: 32}
# The original question's two models, the fine-tuned one, and a strategy@variant cell, on the LSTM.
grid: {strategies: [learned, w2v_frozen, w2v_finetuned, w2v_finetuned@skipgram], architectures: [lstm],
       seeds: [1]}
evaluate: {min_behaviour_pass_rate: 0.0}  # a 1-epoch model on 400 reviews is near-constant
"""
STRATEGIES = {"learned", "w2v_frozen", "w2v_finetuned", "w2v_finetuned@skipgram"}


def dvc(project, *args, env):
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def repro(tmp_path_factory, prefect_home):
    project = make_project(tmp_path_factory.mktemp("pipeline") / "proj", OVERRIDES)
    env = stage_env(project)
    first = dvc(project, "repro", env=env)
    assert first.returncode == 0, f"dvc repro failed:\n{first.stdout[-4000:]}\n{first.stderr[-4000:]}"
    return project, env, first


def test_every_stage_ran_and_wrote_its_outputs(repro):
    project, _, first = repro
    for stage in ("prepare", "embeddings", "train", "evaluate", "answer"):
        assert f"Running stage '{stage}'" in first.stdout
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert set(metrics["strategies"]) == STRATEGIES
    assert 0.0 <= metrics["champion"]["test_accuracy"] <= 1.0
    assert metrics["registry"]["promoted"] is True
    assert (project / "reports" / "plots" / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    grid = pd.read_csv(project / "reports" / "grid.csv")
    assert len(grid) == 4 and set(grid["architecture"]) == {"lstm"}
    data = json.loads((project / "reports" / "data.json").read_text())
    assert data["train"]["reviews"] + data["val"]["reviews"] + data["test"]["reviews"] == 400


def test_embedded_glove_variant_is_aligned_and_reported(repro):
    """The default variants include GloVe from its pinned package: aligned to this
    vocabulary, its coverage and the text it saw in the reports."""
    import numpy as np

    project, _, _ = repro
    glove = json.loads((project / "reports" / "embeddings.json").read_text())["variants"]["glove6b"]
    assert glove["source"] == "embedded:glove-6b-50d" and glove["file_vectors"] == 400_000
    assert glove["vector_size"] == 50 and "6B tokens" in glove["text_seen"]
    assert 0.8 < glove["type_coverage"] <= 1.0
    assert np.load(project / "embeddings" / "glove6b.npy").shape == (glove["vocab_types"] + 2, 50)
    assert "| glove6b | Wikipedia 2014 + Gigaword 5" in (project / "reports" / "report.md").read_text()


def test_runs_are_in_mlflow_as_parent_and_children(repro):
    project, env, _ = repro
    from mlflow import MlflowClient

    uri = env["MLFLOW_TRACKING_URI"]
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("embedlab")
    runs = client.search_runs([exp.experiment_id], max_results=100)
    by_kind = {}
    for r in runs:
        by_kind.setdefault(r.data.tags.get("embedlab.kind"), []).append(r)
    assert len(by_kind["grid"]) == 1
    parent = by_kind["grid"][0].info.run_id
    cells = by_kind["cell"]
    assert sorted(r.info.run_name for r in cells) == sorted(f"{s}/lstm/seed1" for s in STRATEGIES)
    for r in cells:
        assert r.info.status == "FINISHED"
        assert r.data.tags["mlflow.parentRunId"] == parent
        for m in ("test_accuracy", "test_f1_macro", "test_roc_auc", "params_trainable",
                  "params_non_trainable", "val_loss"):
            assert m in r.data.metrics, m
        artifacts = {a.path for a in client.list_artifacts(r.info.run_id)}
        assert "model.keras" in artifacts
        # The run records which prepared data it trained on, with its digest.
        contexts = {d.tags[0].value: d.dataset for d in r.inputs.dataset_inputs}
        assert set(contexts) == {"train", "val", "test"}
        assert len({d.digest for d in contexts.values()}) == 1
    frozen = next(r for r in cells if r.info.run_name.startswith("w2v_frozen"))
    learned = next(r for r in cells if r.info.run_name.startswith("learned"))
    # The frozen Word2Vec table is not trained: its weights are non-trainable parameters.
    assert frozen.data.metrics["params_non_trainable"] > 0
    assert learned.data.metrics["params_non_trainable"] == 0
    history = client.get_metric_history(learned.info.run_id, "val_loss")
    assert len(history) == 1


def test_strategy_at_variant_goes_through_train_and_evaluate(repro):
    project, _, _ = repro
    train = json.loads((project / "reports" / "train.json").read_text())
    cell = next(c for c in train["cells"] if c["strategy"] == "w2v_finetuned@skipgram")
    assert (cell["base_strategy"], cell["variant"], cell["name"]) == (
        "w2v_finetuned", "skipgram", "w2v_finetuned@skipgram/lstm/seed1")
    assert (project / "models" / cell["slug"] / "model.keras").exists()
    plain = next(c for c in train["cells"] if c["strategy"] == "w2v_finetuned")
    run_ids = {c["name"]: c["run_id"] for c in
               json.loads((project / "reports" / "train_runs.json").read_text())["cells"]}
    assert plain["variant"] == "cbow" and run_ids[plain["name"]] != run_ids[cell["name"]]
    grid = pd.read_csv(project / "reports" / "grid.csv")
    assert "w2v_finetuned@skipgram" in set(grid["strategy"])
    report = (project / "reports" / "report.md").read_text()
    assert "| w2v_finetuned@skipgram |" in report
    assert "## What the vectors put together" in report and "skipgram" in report   # the probes


def test_evaluate_logs_report_and_numbers_to_the_grid_run(repro):
    project, env, _ = repro
    from mlflow import MlflowClient

    # The registry too: without it MlflowClient takes the process-wide registry
    # URI, which an earlier test (any mlflow_store one) left on its own store.
    client = MlflowClient(env["MLFLOW_TRACKING_URI"], env["MLFLOW_TRACKING_URI"])
    runs = json.loads((project / "reports" / "train_runs.json").read_text())
    parent = client.get_run(runs["parent_run_id"])
    report = (project / "reports" / "report.md").read_text()
    note = parent.data.tags["mlflow.note.content"]   # the report, or its start and where the rest is
    assert note == report or (len(note) <= 8000 and report.startswith(note.split("\n\n… cut")[0])
                              and note.endswith("the artifact `report/report.md`."))
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert parent.data.metrics["champion/test_accuracy"] == pytest.approx(metrics["champion"]["test_accuracy"])
    assert parent.data.metrics["strategies/w2v_finetuned-skipgram/test_accuracy_mean"] == pytest.approx(
        metrics["strategies"]["w2v_finetuned@skipgram"]["test_accuracy_mean"])
    files = {a.path for a in client.list_artifacts(parent.info.run_id, "report")}
    assert {"report/report.md", "report/metrics.json", "report/grid.csv", "report/plots"} <= files
    plots = {a.path for a in client.list_artifacts(parent.info.run_id, "report/plots")}
    assert "report/plots/heatmap.png" in plots
    version = client.get_model_version_by_alias("review-sentiment", "champion")
    assert version.tags["grid_run_id"] == parent.info.run_id
    assert parent.data.tags["champion_cell"] == version.tags["cell"]


def test_champion_pull_takes_raw_text(repro):
    _, env, _ = repro
    import mlflow.pyfunc

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    mlflow.set_registry_uri(env["MLFLOW_TRACKING_URI"])
    model = mlflow.pyfunc.load_model("models:/review-sentiment@champion")
    reviews = ["Delicious! My kids love these snacks.<br />Will buy again.",
               "Terrible taste, arrived stale. Don't waste your money."]
    out = model.predict(pd.DataFrame({"text": reviews + ["!"]}))
    assert list(out.columns) == ["probability", "label", "known_tokens"]
    assert len(out) == 3
    assert out["probability"].between(0, 1).all()
    assert set(out["label"][:2]) <= {"positive", "negative"} and (out["known_tokens"][:2] > 0).all()
    # A review without a word: no evidence either way (the meanpool champion gave NaN).
    assert out.iloc[2].to_dict() == {"probability": 0.5, "label": "unknown", "known_tokens": 0}


def test_second_repro_is_a_no_op(repro):
    project, env, _ = repro
    again = dvc(project, "repro", env=env)
    assert again.returncode == 0, again.stderr
    assert "Running stage" not in again.stdout
    for stage in ("prepare", "embeddings", "train", "evaluate", "answer"):
        assert f"'{stage}' didn't change, skipping" in again.stdout
    status = dvc(project, "status", env=env)
    assert "Data and pipelines are up to date" in status.stdout


def test_dvc_sees_the_report_metrics_and_image_plots(repro):
    project, env, _ = repro
    shown = dvc(project, "metrics", "show", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    metrics = json.loads(shown.stdout)
    flat = json.dumps(metrics)
    for key in ("test_accuracy_mean", "test_accuracy_std", "w2v_finetuned_vs_learned", "ci_low",
                "pass_rate"):
        assert key in flat, key
    report = (project / "reports" / "report.md").read_text()
    assert "## Is the difference real?" in report and "95% CI" in report
    for name in ("heatmap", "seed_bars", "learning_curves", "drift"):
        assert (project / "reports" / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    plots = dvc(project, "plots", "show", "--json", env=env)
    assert plots.returncode == 0, plots.stderr
    assert "reports/plots/heatmap.png" in plots.stdout and "reports/plots/drift.png" in plots.stdout


def test_a_fresh_store_is_filled_again_by_dvc_repro(repro):
    """A fresh clone has the committed outputs but no MLflow store (it is not in git).
    The stages' records in the store are their outputs, so DVC runs train, evaluate and
    answer again: the champion is registered and the page logged, while every tracked
    output (and so dvc.lock) stays the same bytes. Then a rerun is a no-op again."""
    from mlflow import MlflowClient

    project, env, _ = repro
    lock = (project / "dvc.lock").read_bytes()
    (project / "mlruns").rename(project / "mlruns.old")
    again = dvc(project, "repro", env=env)
    assert again.returncode == 0, f"{again.stdout[-3000:]}\n{again.stderr[-3000:]}"
    for stage in ("prepare", "embeddings"):
        assert f"'{stage}' didn't change, skipping" in again.stdout
    for stage in ("train", "evaluate", "answer"):
        assert f"Running stage '{stage}'" in again.stdout
    assert (project / "dvc.lock").read_bytes() == lock
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    assert int(client.get_model_version_by_alias("review-sentiment", "champion").version) == 1
    exp = client.get_experiment_by_name("embedlab")
    assert client.search_runs([exp.experiment_id], "tags.`embedlab.kind` = 'answer'")
    assert "Running stage" not in dvc(project, "repro", env=env).stdout
