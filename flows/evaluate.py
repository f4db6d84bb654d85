"""DVC stage `evaluate`: python -m flows.evaluate

Comparison table, DVC metrics and plots, the report, and the champion gate in
the MLflow registry.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from prefect import flow, task

from embedlab import fileio, tracking
from embedlab.config import EvaluateParams, load_evaluate
from embedlab.errors import EmbedlabError
from embedlab.evaluate import (PLOTS, REPORTS, TEST_METRICS, cell_slug, grid_table,
                               flatten_metrics, history_from_mlflow, load_cell_outputs, load_train_report,
                               metrics_json, plot_accuracy, select_champion, write_report)
from embedlab.prepare import PreparedLayout
from embedlab.runtime import run_entry
from embedlab.training import KIND_TAG

MODELS = Path("models")


@task(name="report", cache_policy=None)
def report_task() -> dict:
    """Table, statistics and plots from reports/train.json and models/."""
    from embedlab import plots
    from embedlab.stats import key_comparisons

    train = load_train_report()
    table = grid_table(train)
    fileio.write_text(REPORTS / "grid.csv", table.to_csv(index=False))
    outputs = load_cell_outputs(table, MODELS)
    if outputs.missing_history:
        # Cells reused from an earlier grid may lack history.json: read their
        # per-epoch metrics back from their MLflow runs.
        from mlflow import MlflowClient

        uri = tracking.tracking_uri()
        client = MlflowClient(uri, uri)
        run_ids = {(r.strategy, r.architecture, int(r.seed)): r.run_id for r in table.itertuples()}
        for key in outputs.missing_history:
            outputs.histories[key] = history_from_mlflow(client, run_ids[key])
    comparisons, skipped = key_comparisons(outputs.correct, outputs.probs, outputs.y_test)
    plot_dir = REPORTS / "plots"
    plot_accuracy(table, train.get("baseline"), plot_dir / PLOTS["accuracy"][0])
    plots.heatmap(table, plot_dir / PLOTS["heatmap"][0])
    plots.seed_bars(table, plot_dir / PLOTS["seed_bars"][0], train.get("baseline"))
    plots.learning_curves(outputs.histories, plot_dir / PLOTS["learning_curves"][0])
    plots.embedding_drift(outputs.drift, plot_dir / PLOTS["drift"][0])
    return {"train": train, "comparisons": comparisons, "skipped": skipped,
            "n_test": int(len(outputs.y_test))}


def _git_commit(client, parent_run_id: str) -> str:
    """The commit the grid was trained from (tagged on its parent run), else HEAD."""
    try:
        tag = client.get_run(parent_run_id).data.tags.get("git_commit")
        if tag and tag != "unknown":
            return tag
    except Exception:
        pass
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except Exception:
        return "unknown"


@task(name="register-and-gate", cache_policy=None)
def registry_task(params: EvaluateParams, train: dict) -> dict:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    from embedlab.registry import log_pyfunc, register_and_gate

    table = grid_table(train)
    champ = select_champion(table, params.select_metric)
    cell = f"{champ['strategy']}/{champ['architecture']}/seed{champ['seed']}"
    keras_path = MODELS / cell_slug(champ["strategy"], champ["architecture"], int(champ["seed"])) / "model.keras"
    uri, experiment_id = tracking.setup()
    test = pd.read_parquet(PreparedLayout().split("test"), columns=["text", "label"])
    with mlflow.start_run(experiment_id=experiment_id, run_name="evaluate", tags={"mlflow.parentRunId": train["parent_run_id"],
                                                      KIND_TAG: "evaluate"}):
        info = log_pyfunc(keras_path, PreparedLayout().vocab)
        decision = register_and_gate(
            info.model_uri, params.model_name, params.alias, params.margin,
            test["text"].tolist(), test["label"].to_numpy(),
            tags={"strategy": str(champ["strategy"]), "architecture": str(champ["architecture"]),
                  "seed": str(champ["seed"]), "cell": cell, "source_run_id": str(champ["run_id"]),
                  "grid_run_id": train["parent_run_id"],
                  "data_digest": train.get("data_digest", ""),
                  "git_commit": _git_commit(MlflowClient(uri, uri), train["parent_run_id"]),
                  **{m: f"{champ[m]:.5f}" for m in TEST_METRICS}},
            min_behaviour_pass_rate=params.min_behaviour_pass_rate)
        mlflow.log_dict(decision.as_dict(), "gate.json")
        mlflow.log_metrics({f"behaviour_{k}": v for k, v in decision.challenger_behaviour.items()})
    return {"cell": cell, **decision.as_dict()}


@task(name="log-to-grid-run", cache_policy=None)
def log_to_parent_task(parent_run_id: str, metrics: dict, report: str, decision: dict) -> None:
    """The same report, plots and numbers on the grid's parent run in MLflow."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    uri, _ = tracking.setup()
    client = MlflowClient(uri, uri)
    for name in ("report.md", "metrics.json", "grid.csv"):
        client.log_artifact(parent_run_id, str(REPORTS / name), "report")
    client.log_artifacts(parent_run_id, str(REPORTS / "plots"), "report/plots")
    now = int(time.time() * 1000)
    flat = [Metric(k, float(v), now, 0) for k, v in flatten_metrics(metrics).items()]
    for i in range(0, len(flat), 900):
        client.log_batch(parent_run_id, metrics=flat[i:i + 900])
    # The run's description in the UI: the report itself.
    client.set_tag(parent_run_id, "mlflow.note.content", report)
    client.set_tag(parent_run_id, "champion_cell", decision["cell"])
    client.set_tag(parent_run_id, "registry_decision", decision["message"][:5000])


@flow(name="evaluate", log_prints=True)
def evaluate_flow(params_path: str = "params.yaml") -> dict:
    params = load_evaluate(params_path)
    if not (REPORTS / "train.json").exists():
        raise EmbedlabError("reports/train.json: not found. Run the train stage first: dvc repro")
    rep = report_task()
    train = rep["train"]
    decision = registry_task(params, train)
    table = grid_table(train)
    champ = select_champion(table, params.select_metric)
    # Behaviour of the model that is champion after the gate.
    behaviour = (decision["challenger_behaviour"] if decision["promoted"] or not decision["champion_behaviour"]
                 else decision["champion_behaviour"])
    metrics = metrics_json(table, champ, train.get("baseline"), rep["comparisons"], behaviour)
    metrics["registry"] = {"version": int(decision["version"]), "promoted": decision["promoted"],
                           "challenger_test_accuracy": round(decision["challenger_accuracy"], 5),
                           "challenger_behaviour_pass_rate": decision["challenger_behaviour"]["pass_rate"]}
    fileio.write_json(REPORTS / "metrics.json", metrics)
    data_report = PreparedLayout().report
    text = write_report(REPORTS / "report.md", table, champ, train.get("baseline"), decision,
                        json.loads(data_report.read_text()) if data_report.exists() else None,
                        rep["comparisons"], rep["skipped"], rep["n_test"])
    log_to_parent_task(train["parent_run_id"], metrics, text, decision)
    print(decision["message"])
    for c in rep["comparisons"]:
        print(c.sentence())
    return metrics


def main() -> None:
    from flows._entry import parse_args, warm_start

    args = parse_args(__doc__)
    load_evaluate(args.params)
    warm_start("mlflow", "keras")
    evaluate_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
