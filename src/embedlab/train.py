"""The train stage around its cells: the grid's parent run, the outcome of the
cells, and ``reports/train.json`` (one entry per cell with its structured key)."""

from __future__ import annotations

from dataclasses import dataclass

from embedlab import fileio, tracking
from embedlab.config import TrainStageParams
from embedlab.errors import EmbedlabError
from embedlab.grid import Cell, TrainInputs, grid_fingerprint
from embedlab.layout import Layout

PARENT_SECTIONS = ("train", "grid", "runner")


@dataclass(frozen=True)
class GridRun:
    """Where the cells log: plain strings, so tasks can carry it to any worker."""

    uri: str
    experiment_id: str
    parent_run_id: str


def start(stage: TrainStageParams, inputs: TrainInputs, cells: list[Cell]) -> GridRun:
    """Open (or resume) the grid's parent run."""
    uri, experiment_id = tracking.setup()
    tracking.retire_orphans(uri, experiment_id)  # runs a killed earlier stage left RUNNING
    fp = grid_fingerprint({"train": stage.train.model_dump(), "grid": stage.grid.model_dump(),
                           "probes": stage.probes.model_dump(mode="json")}, inputs, cells)
    params = {f"{section}.{k}": v for section in PARENT_SECTIONS
              for k, v in getattr(stage, section).model_dump().items()}
    run = tracking.grid_run(uri, experiment_id, fp, params, {"data_digest": inputs.data_digest})
    return GridRun(uri, experiment_id, run.id)


def finish(grid: GridRun, cells: list[Cell], results: list[dict], failed: list[tuple[str, str]]) -> None:
    """Tie every cell of this grid to its run on the parent (reused cells stay under
    the grid run that trained them); a failed cell fails the stage with one message."""
    parent = tracking.Run(grid.parent_run_id, grid.uri)
    parent.log_dict({"cells": [{"cell": r["name"], "run_id": r["run_id"], "status": r["status"]}
                               for r in results],
                     "failed": [{"cell": n, "error": e} for n, e in failed]}, "cells.json")
    if failed:
        parent.finish("FAILED")
        lines = "\n".join(f"  {n}: {e}" for n, e in failed)
        raise EmbedlabError(f"{len(failed)} of {len(cells)} cells failed (finished cells are kept "
                            f"in MLflow and will not be retrained):\n{lines}\nRun `dvc repro` "
                            "again to retry only these.")


def write_report(grid: GridRun, inputs: TrainInputs, results: list[dict], baselines: list[dict],
                 layout: Layout = Layout()) -> None:
    """``cells``: one entry per cell; ``baselines``: one per TF-IDF reference (train size, seed)."""
    fileio.write_json(layout.train_report, {
        "parent_run_id": grid.parent_run_id, "tracking_uri": grid.uri,
        "experiment_id": grid.experiment_id, "data_digest": inputs.data_digest,
        "cells": results, "baselines": baselines})
    tracking.Run(grid.parent_run_id, grid.uri).finish()
