"""The train stage's grid against real Prefect (test harness) and a real sqlite
MLflow store: run layout and metric names as documented, resume after a crash,
concurrent writers."""

from __future__ import annotations

import json
import multiprocessing as mp
import re
from pathlib import Path

import pytest
import yaml

from tests.tinydata import write_tiny_project

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "grid.md"

TRAIN = {"epochs": 2, "batch_size": 32, "patience": 5, "embedding_dim": 12, "units": 8,
         "learning_rate": 0.01, "unfreeze_after": 1}


@pytest.fixture(scope="module")
def harness(prefect_home):
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture()
def project(tmp_path, monkeypatch, mlflow_store, harness):
    """A tiny prepared + embedded project as cwd, with its own MLflow store."""
    write_tiny_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EMBEDLAB_FAIL_CELLS", raising=False)
    return tmp_path


def write_params(root: Path, grid: dict, runner: dict | None = None, **train) -> str:
    params = {"train": {**TRAIN, **train}, "grid": {"baseline": False, **grid},
              "runner": runner or {"kind": "sequential", "workers": 1}}
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return str(root / "params.yaml")


def client_and_experiment():
    from mlflow import MlflowClient

    from embedlab import tracking

    uri, exp = tracking.setup()
    return MlflowClient(uri, uri), exp


def runs_of_kind(client, exp, kind, statuses=None):
    runs = client.search_runs([exp], f"tags.`embedlab.kind` = '{kind}'", max_results=1000)
    return [r for r in runs if statuses is None or r.info.status in statuses]


def documented_metrics() -> dict[str, str]:
    """metric name -> 'logged for' column, from the table in docs/grid.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Metric names", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    out = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*`([a-z0-9_]+)`\s*\|\s*([^|]+)\|", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    assert len(out) > 20, "the metric table in docs/grid.md was not found"
    return out


def expected_metrics(strategy: str) -> set[str]:
    names = set()
    for name, where in documented_metrics().items():
        # "every cell at or above `train.cv_below`": these cells run at `all`, so at or above it.
        if where.startswith("every cell") or strategy in re.findall(r"`([a-z0-9_]+)`", where):
            names.add(name)
    return names


def test_parent_child_layout_artifacts_and_metric_names(project):
    from flows.train import run_grid

    params = write_params(project, {
        "strategies": ["learned", "w2v_finetuned", "w2v_multichannel", "w2v_unfreeze"],
        "architectures": ["meanpool"], "seeds": [1], "baseline": True}, epochs=2)
    run_grid(params)

    client, exp = client_and_experiment()
    parents = runs_of_kind(client, exp, "grid")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.run_name == "grid" and parent.info.status == "FINISHED"
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", parent.data.tags["git_commit"])
    report = json.loads((project / "reports" / "train.json").read_text())
    assert parent.data.tags["data_digest"] == report["data_digest"]
    assert parent.data.params["grid.architectures"] == "['meanpool']"

    cells = runs_of_kind(client, exp, "cell")
    assert sorted(r.info.run_name for r in cells) == sorted(
        f"{s}/meanpool/seed1" for s in ("learned", "w2v_finetuned", "w2v_multichannel", "w2v_unfreeze"))
    for run in cells:
        strategy = run.info.run_name.split("/")[0]
        assert run.info.status == "FINISHED"
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert re.fullmatch(r".+:[0-9]+", run.data.tags["embedlab.worker"])   # host:pid
        assert set(run.data.metrics) == expected_metrics(strategy), run.info.run_name
        assert run.data.params["strategy"] == strategy and run.data.params["seed"] == "1"
        # per-epoch curves: one value per epoch run
        history = client.get_metric_history(run.info.run_id, "val_loss")
        assert len(history) == run.data.metrics["epochs_run"] == 2
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"model.keras", "predictions.npz", "history.json", "learning_curves.png",
                "confusion_matrix.png"} <= artifacts
        assert ("drift.json" in artifacts) == (strategy != "learned")
        contexts = sorted(d.tags[0].value for d in run.inputs.dataset_inputs)
        assert contexts == ["test", "train", "val"]
        assert {d.dataset.digest for d in run.inputs.dataset_inputs} == {report["data_digest"]}
        assert 0.0 <= run.data.metrics["test_accuracy"] <= 1.0

    # The drift artifact says how the probe words and antonym cosines moved.
    tuned = next(r for r in cells if r.info.run_name.startswith("w2v_finetuned/"))
    local = client.download_artifacts(tuned.info.run_id, "drift.json", str(project / "dl"))
    drift = json.loads(Path(local).read_text())
    probes = drift["probes"]["embedding"]
    assert {"good", "bad", "great", "terrible"} <= set(probes["neighbours"])
    assert probes["antonyms"]["good/bad"]["before"] != probes["antonyms"]["good/bad"]["after"]
    assert len(probes["neighbours"]["good"]["before"]) == probes["k"]

    baselines = runs_of_kind(client, exp, "baseline")
    assert [b.info.run_name for b in baselines] == ["baseline/tfidf_logreg"]
    assert baselines[0].data.tags["mlflow.parentRunId"] == parent.info.run_id
    # A cell's folder holds what a reuse downloads, no more: DVC hashes the same files either way.
    from embedlab.train.cells import REUSED_FILES

    folder = project / "models" / "w2v_finetuned__meanpool__seed1"
    assert sorted(p.name for p in folder.iterdir()) == sorted(REUSED_FILES)
    assert (folder / "model.keras").stat().st_size > 1000
    # Untuned (train.tune_trials: 0): the values it trained with are the params', no trial runs.
    for entry in report["cells"]:
        assert entry["hparams"] == {"learning_rate": 0.01, "dropout": 0.2, "epochs": 2, "table_lr_scale": 1.0}
        assert entry["tuning_trials"] == 0 and "tuning_seconds" not in entry   # a time: train_runs.json
    assert runs_of_kind(client, exp, "trial") == []


def test_tuned_cells_log_trials_as_child_runs_and_report_what_they_chose(project):
    from embedlab.train.tuning import HPARAMS
    from flows.train import run_grid

    # tune_trials 1: meanpool's factor (tuning.TRIAL_FACTOR) makes it two trials per cell. cv_below 0:
    # N = 60 selects on its holdout here (cross-validation: tests/model/test_tuning.py).
    params = write_params(project, {"strategies": ["learned", "w2v_finetuned"], "architectures": ["meanpool"],
                                    "seeds": [1], "train_sizes": [60]}, tune_trials=1, patience=0, cv_below=0)
    run_grid(params)
    client, exp = client_and_experiment()
    cells = {r.info.run_id: r for r in runs_of_kind(client, exp, "cell")}
    trials = runs_of_kind(client, exp, "trial")
    assert len(trials) == 2 * len(cells) == 4                        # the same budget per strategy
    for trial in trials:
        cell = cells[trial.data.tags["mlflow.parentRunId"]]
        assert trial.info.status == "FINISHED"
        assert re.fullmatch(re.escape(cell.info.run_name) + r"/trial[01]", trial.info.run_name)
        assert set(trial.data.params) == set(HPARAMS)
        assert set(trial.data.metrics) == {"best_val_accuracy", "val_loss", "epochs_run"}

    report = json.loads((project / "reports" / "train.json").read_text())
    by_name = {r.info.run_name: r for r in trials}
    for entry in report["cells"]:
        # N = 60 labels in all: 48 fit, 12 select (train.holdout 0.2), none from the val split.
        assert (entry["train_examples"], entry["fit_examples"], entry["selection_examples"]) == (60, 48, 12)
        assert entry["tuning_trials"] == 2 and isinstance(entry["tuning_trials"], int)
        assert entry["tuning_pruned"] == 0                               # too few finished trials to prune
        assert "tuning_seconds" not in entry
        chosen = by_name[next(r for r in cells.values() if r.info.run_name == entry["name"])
                         .data.tags["tuning_chosen_trial"]]
        assert entry["hparams"] == {k: float(v) for k, v in chosen.data.params.items()}
        assert entry["best_val_accuracy"] == chosen.data.metrics["best_val_accuracy"]

    runs = json.loads((project / "reports" / "train_runs.json").read_text())
    assert all(r["tuning_seconds"] > 0 for r in runs["cells"])

    # Reused cells report the same, hparams included, and add no trial.
    run_grid(params)
    assert json.loads((project / "reports" / "train.json").read_text()) == report
    assert len(runs_of_kind(client, exp, "trial")) == 4


def test_resume_after_injected_failure_trains_only_missing_and_failed(project, monkeypatch):
    from embedlab.errors import EmbedlabError
    from flows.train import run_grid

    grid = {"strategies": ["learned", "w2v_frozen"], "architectures": ["meanpool"], "seeds": [1, 2]}
    params = write_params(project, grid)
    monkeypatch.setenv("EMBEDLAB_FAIL_CELLS", "w2v_frozen/meanpool/seed2")
    with pytest.raises(EmbedlabError, match=r"1 of 4 cells failed[\s\S]*w2v_frozen/meanpool/seed2"):
        run_grid(params)
    client, exp = client_and_experiment()
    finished = {r.info.run_name: r.info.run_id for r in runs_of_kind(client, exp, "cell", ("FINISHED",))}
    failed = runs_of_kind(client, exp, "cell", ("FAILED",))
    assert sorted(finished) == ["learned/meanpool/seed1", "learned/meanpool/seed2", "w2v_frozen/meanpool/seed1"]
    # Retried by Prefect, yet one failed run (the earlier attempt was replaced), with its error.
    assert [r.info.run_name for r in failed] == ["w2v_frozen/meanpool/seed2"]
    assert "InjectedFailure" in failed[0].data.tags["error"]
    assert not (project / "models").exists()  # outputs are swapped in only on success
    assert runs_of_kind(client, exp, "grid")[0].info.status == "FAILED"

    # Rerun with the fault gone and a seed added: only the failed and the new cells train.
    monkeypatch.delenv("EMBEDLAB_FAIL_CELLS")
    params = write_params(project, {**grid, "seeds": [1, 2, 3]})
    run_grid(params)
    report = json.loads((project / "reports" / "train_runs.json").read_text())
    status = {c["name"]: c["status"] for c in report["cells"]}
    assert status == {
        "learned/meanpool/seed1": "reused", "learned/meanpool/seed2": "reused",
        "w2v_frozen/meanpool/seed1": "reused", "w2v_frozen/meanpool/seed2": "trained",
        "learned/meanpool/seed3": "trained", "w2v_frozen/meanpool/seed3": "trained"}
    for c in report["cells"]:
        if c["status"] == "reused":
            assert c["run_id"] == finished[c["name"]]
    active = runs_of_kind(client, exp, "cell")
    assert len(active) == 6 and all(r.info.status == "FINISHED" for r in active)
    assert len({r.info.run_name for r in active}) == 6  # no duplicated cell
    assert (project / "models" / "learned__meanpool__seed1" / "predictions.npz").exists()

    # A third run with nothing changed trains nothing and adds no run.
    run_grid(params)
    report = json.loads((project / "reports" / "train_runs.json").read_text())
    assert {c["status"] for c in report["cells"]} == {"reused"}
    assert len(runs_of_kind(client, exp, "cell")) == 6


@pytest.mark.slow
def test_threads_runner_concurrent_cells_lose_no_run(project):
    from flows.train import run_grid

    params = write_params(project, {"strategies": ["learned", "random_frozen", "w2v_frozen"],
                                    "architectures": ["meanpool"], "seeds": [1, 2], "baseline": True},
                          runner={"kind": "threads", "workers": 3})
    run_grid(params)
    client, exp = client_and_experiment()
    cells = runs_of_kind(client, exp, "cell")
    assert len(cells) == 6 and all(r.info.status == "FINISHED" for r in cells)
    for r in cells:
        assert len(client.get_metric_history(r.info.run_id, "train_loss")) == r.data.metrics["epochs_run"]
        assert "test_roc_auc" in r.data.metrics
    assert len(runs_of_kind(client, exp, "baseline")) == 1


def _writer(uri: str, experiment_id: str, worker: int, n_runs: int, art_dir: str) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(uri, uri)
    for i in range(n_runs):
        run = client.create_run(experiment_id, run_name=f"w{worker}/r{i}", tags={"embedlab.kind": "stress"})
        rid = run.info.run_id
        client.log_batch(rid, params=[Param("worker", str(worker)), Param("i", str(i))])
        for step in range(5):
            client.log_batch(rid, metrics=[Metric("loss", 1.0 / (step + 1), 0, step),
                                           Metric("acc", step / 5, 0, step)])
        path = Path(art_dir) / f"w{worker}-r{i}.json"
        path.write_text(json.dumps({"worker": worker, "i": i}))
        client.log_artifact(rid, str(path))
        client.set_terminated(rid, "FINISHED")


N_RUNS = 6


def test_concurrent_processes_and_threads_against_one_sqlite_store(tmp_path, mlflow_store):
    """Three processes and two threads write runs, metrics and artifacts at once."""
    import threading

    from embedlab import tracking

    uri, exp = tracking.setup(tmp_path)
    (tmp_path / "art").mkdir()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(uri, exp, w, N_RUNS, str(tmp_path / "art"))) for w in range(3)]
    threads = [threading.Thread(target=_writer, args=(uri, exp, 10 + w, N_RUNS, str(tmp_path / "art")))
               for w in range(2)]
    for p in procs:
        p.start()
    for t in threads:
        t.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    for t in threads:
        t.join(300)

    from mlflow import MlflowClient

    client = MlflowClient(uri, uri)
    runs = client.search_runs([exp], "tags.`embedlab.kind` = 'stress'", max_results=1000)
    assert len(runs) == 5 * N_RUNS
    assert len({r.info.run_name for r in runs}) == 5 * N_RUNS
    for r in runs:
        assert r.info.status == "FINISHED"
        assert len(client.get_metric_history(r.info.run_id, "loss")) == 5
        assert [a.path for a in client.list_artifacts(r.info.run_id)] == [
            f"{r.info.run_name.replace('/', '-')}.json"]


@pytest.mark.slow  # each worker process imports TensorFlow
def test_processes_runner(project):
    from flows.train import run_grid

    params = write_params(project, {"strategies": ["learned", "w2v_finetuned"],
                                    "architectures": ["meanpool"], "seeds": [1, 2]},
                          runner={"kind": "processes", "workers": 2})
    run_grid(params)
    client, exp = client_and_experiment()
    cells = runs_of_kind(client, exp, "cell")
    assert len(cells) == 4 and all(r.info.status == "FINISHED" for r in cells)
