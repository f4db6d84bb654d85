"""DVC stage `evaluate`: python -m flows.evaluate

Comparison table, DVC metrics and plots, the report, and the champion gate in
the MLflow registry.
"""

from __future__ import annotations

import json
from pathlib import Path

from prefect import flow, task

from embedlab import io, tracking
from embedlab.config import EvaluateParams, load_evaluate
from embedlab.errors import EmbedlabError
from embedlab.evaluate import (REPORTS, grid_table, load_train_report, metrics_json, plot_accuracy,
                               select_champion, write_report)
from embedlab.prepare import PreparedLayout
from embedlab.runtime import run_entry
from embedlab.training import KIND_TAG


@task(name="report", cache_policy=None)
def report_task() -> dict:
    train = load_train_report()
    table = grid_table(train)
    io.write_text(REPORTS / "grid.csv", table.to_csv(index=False))
    plot_accuracy(table, train.get("baseline"), REPORTS / "plots" / "accuracy.png")
    return train


@task(name="register-and-gate", cache_policy=None)
def registry_task(params: EvaluateParams, train: dict) -> dict:
    import mlflow
    import pandas as pd

    from embedlab.registry import log_pyfunc, register_and_gate

    table = grid_table(train)
    champ = select_champion(table, params.select_metric)
    cell = f"{champ['strategy']}/{champ['architecture']}/seed{champ['seed']}"
    slug = cell.replace("/", "__").replace("@", "-")
    keras_path = Path("models") / slug / "model.keras"
    tracking.setup()
    test = pd.read_parquet(PreparedLayout().split("test"), columns=["text", "label"])
    with mlflow.start_run(run_name="evaluate", tags={"mlflow.parentRunId": train["parent_run_id"],
                                                      KIND_TAG: "evaluate"}):
        info = log_pyfunc(keras_path, PreparedLayout().vocab)
        decision = register_and_gate(
            info.model_uri, params.model_name, params.alias, params.margin,
            test["text"].tolist(), test["label"].to_numpy(),
            tags={"strategy": str(champ["strategy"]), "architecture": str(champ["architecture"]),
                  "seed": str(champ["seed"]), "source_run_id": str(champ["run_id"]),
                  "data_digest": train.get("data_digest", ""),
                  **{m: f"{champ[m]:.5f}" for m in ("test_accuracy", "test_f1_macro", "test_roc_auc")}})
        mlflow.log_dict(decision.as_dict(), "gate.json")
    return {"cell": cell, **decision.as_dict()}


@flow(name="evaluate", log_prints=True)
def evaluate_flow(params_path: str = "params.yaml") -> dict:
    params = load_evaluate(params_path)
    if not (REPORTS / "train.json").exists():
        raise EmbedlabError("reports/train.json: not found. Run the train stage first: dvc repro")
    train = report_task()
    decision = registry_task(params, train)
    table = grid_table(train)
    champ = select_champion(table, params.select_metric)
    metrics = metrics_json(table, champ, train.get("baseline"))
    metrics["registry"] = {"version": int(decision["version"]), "promoted": decision["promoted"]}
    io.write_json(REPORTS / "metrics.json", metrics)
    data_report = PreparedLayout().report
    write_report(REPORTS / "report.md", table, champ, train.get("baseline"), decision,
                 json.loads(data_report.read_text()) if data_report.exists() else None)
    print(decision["message"])
    return metrics


def main() -> None:
    from flows._entry import parse_args

    args = parse_args(__doc__)
    load_evaluate(args.params)
    evaluate_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
