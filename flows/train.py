"""DVC stage `train`: python -m flows.train

One Prefect task per grid cell (strategy x architecture x seed), on the task
runner `params.yaml: runner` names. Cells already finished in MLflow (same
fingerprint) are reused, not retrained.
"""

from __future__ import annotations

from prefect import flow, task, unmapped

from embedlab import fileio, train
from embedlab.baseline import train_baseline
from embedlab.cells import train_cell
from embedlab.config import load_train
from embedlab.grid import Cell, TrainInputs, expand_grid, train_inputs
from embedlab.layout import Layout
from embedlab.runtime import run_entry
from flows.runners import make_task_runner


@task(name="train-cell", retries=1, retry_delay_seconds=2, cache_policy=None,
      task_run_name="{cell.name}")
def cell_task(cell: Cell, stage, inputs: TrainInputs, grid: train.GridRun, models: str) -> dict:
    return train_cell(cell, stage.train, inputs, stage.probes, grid.uri, grid.experiment_id,
                      grid.parent_run_id, models)


@task(name="tfidf-baseline", cache_policy=None)
def baseline_task(inputs: TrainInputs, grid: train.GridRun, models: str) -> dict:
    return train_baseline(inputs, grid.uri, grid.experiment_id, grid.parent_run_id, models)


@flow(name="train", log_prints=True)
def train_flow(params_path: str = "params.yaml") -> dict:
    stage = load_train(params_path)
    cells = expand_grid(stage.grid)
    inputs = train_inputs(cells)
    grid = train.start(stage, inputs, cells)
    print(f"grid: {len(cells)} cells -> MLflow {grid.uri} (parent run {grid.parent_run_id})")
    with fileio.atomic_dir(Layout().models) as tmp:
        futures = cell_task.map(cells, unmapped(stage), unmapped(inputs), unmapped(grid), unmapped(str(tmp)))
        baseline = baseline_task.submit(inputs, grid, str(tmp)) if stage.grid.baseline else None
        results, failed = [], []
        for cell, future in zip(cells, futures):
            try:
                results.append(future.result())
                print(f"{cell.name}: {results[-1]['status']}, test accuracy "
                      f"{results[-1].get('test_accuracy', float('nan')):.3f}")
            except Exception as exc:  # recorded in MLflow by the cell; reported by train.finish
                failed.append((cell.name, f"{type(exc).__name__}: {exc}"))
        base = baseline.result() if baseline else None
        train.finish(grid, cells, results, failed)
    train.write_report(grid, inputs, results, base)
    return {"cells": len(results), "failed": 0}


def run_grid(params_path: str = "params.yaml") -> dict:
    """The train flow on the task runner that ``params.yaml: runner`` names."""
    stage = load_train(params_path)  # fail fast on bad params, before Prefect starts
    return train_flow.with_options(task_runner=make_task_runner(stage.runner))(params_path)


def main() -> None:
    from flows._entry import parse_args

    run_grid(str(parse_args(__doc__).params))


if __name__ == "__main__":
    run_entry(main)
