"""DVC stage `evaluate`: python -m flows.evaluate

Comparison table, DVC metrics and plots, the report, and the champion gate in
the MLflow registry.
"""

from __future__ import annotations

from prefect import flow, task

from embedlab.config import EvaluateParams, load_evaluate
from embedlab.evaluate import stage as evaluate
from embedlab.runtime import run_entry
from flows._entry import stage_main


@task(name="report", cache_policy=None)
def report_task() -> dict:
    return evaluate.analyse()


@task(name="register-and-gate", cache_policy=None)
def registry_task(params: EvaluateParams, analysis: dict) -> tuple:
    return evaluate.gate_champion(params, analysis)


@task(name="log-to-grid-run", cache_policy=None)
def log_to_parent_task(parent_run_id: str, metrics: dict, report: str, decision: dict) -> None:
    evaluate.log_to_grid_run(parent_run_id, metrics, report, decision)


@flow(name="evaluate", log_prints=True)
def evaluate_flow(params_path: str = "params.yaml") -> dict:
    params = load_evaluate(params_path)
    analysis = report_task()
    champion, decision = registry_task(params, analysis)
    metrics, report = evaluate.write_outputs(analysis, champion, decision)
    log_to_parent_task(analysis["runs"]["parent_run_id"], metrics, report, decision)
    evaluate.record_in_store(params, decision)
    print(decision["message"])
    for c in analysis["comparisons"]:
        print(c.sentence())
    return metrics


def main() -> None:
    stage_main(__doc__, load_evaluate, evaluate_flow)


if __name__ == "__main__":
    run_entry(main)
