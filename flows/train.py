"""DVC stage `train`: python -m flows.train

One Prefect task per grid cell (strategy x architecture x seed x train size), on
the task runner `params.yaml: runner` names, and one per TF-IDF reference. Cells already finished in MLflow (same
fingerprint) are reused, not retrained.
"""

from __future__ import annotations

from prefect import flow, task, unmapped
from prefect.futures import as_completed

from embedlab import fileio
from embedlab.layout import Layout
from embedlab.runtime import run_entry
from embedlab.train import stage as train
from embedlab.train.baseline import Reference, references, train_baseline
from embedlab.train.cells import train_cell
from embedlab.train.grid import Cell, TrainInputs, expand_grid, load_train, train_inputs
from flows.runners import api_for_workers, make_task_runner


@task(name="train-cell", retries=1, retry_delay_seconds=2, cache_policy=None,
      task_run_name="{cell.name}")
def cell_task(cell: Cell, stage, inputs: TrainInputs, grid: train.GridRun, models: str) -> dict:
    return train_cell(cell, stage.train, inputs, stage.probes, grid.uri, grid.experiment_id,
                      grid.parent_run_id, models)


@task(name="tfidf-baseline", cache_policy=None, task_run_name="{ref.name}")
def baseline_task(ref: Reference, stage, inputs: TrainInputs, grid: train.GridRun, models: str) -> dict:
    return train_baseline(ref, inputs, stage.train, grid.uri, grid.experiment_id, grid.parent_run_id, models)


@flow(name="train", log_prints=True)
def train_flow(params_path: str = "params.yaml") -> dict:
    stage = load_train(params_path)
    cells = expand_grid(stage.grid)
    inputs = train_inputs(cells)
    grid = train.start(stage, inputs, cells)
    print(f"grid: {len(cells)} cells -> MLflow {grid.uri} (parent run {grid.parent_run_id})")
    with fileio.atomic_dir(Layout().models) as tmp:
        futures = cell_task.map(cells, unmapped(stage), unmapped(inputs), unmapped(grid), unmapped(str(tmp)))
        refs = references(stage.grid) if stage.grid.baseline else []
        baselines = baseline_task.map(refs, unmapped(stage), unmapped(inputs), unmapped(grid),
                                      unmapped(str(tmp))) if refs else []
        results, failed = train.collect(cells, futures, as_completed, print)
        references_done = [b.result() for b in baselines]
        train.finish(grid, cells, results, failed)
    train.write_report(grid, inputs, results, references_done)
    return {"cells": len(results), "failed": len(failed)}


def run_grid(params_path: str = "params.yaml") -> dict:
    """The train flow on the task runner that ``params.yaml: runner`` names."""
    stage = load_train(params_path)  # fail fast on bad params, before Prefect starts
    with api_for_workers(stage.runner):
        return train_flow.with_options(task_runner=make_task_runner(stage.runner))(params_path)


def main() -> None:
    from flows._entry import parse_args

    run_grid(str(parse_args(__doc__).params))


if __name__ == "__main__":
    run_entry(main)
