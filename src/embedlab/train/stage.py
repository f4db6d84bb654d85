"""The train stage around its cells: the grid's parent run, the cells' outcome as
they finish (``[k/N]`` progress), ``reports/train.json`` (one entry per cell with its
structured key and numbers) and ``reports/train_runs.json`` (their MLflow runs)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from embedlab import fileio, tracking
from embedlab.config import TrainStageParams
from embedlab.errors import EmbedlabError
from embedlab.layout import Layout
from embedlab.train.grid import Cell, TrainInputs, grid_fingerprint

PARENT_SECTIONS = ("train", "grid", "runner")

# What a run of the stage did rather than what it computed: they differ from store to
# store and machine to machine, so they go to reports/train_runs.json and MLflow, and
# reports/train.json keeps only what the same commit, params and data reproduce.
RUN_FIELDS = ("run_id", "status", "train_seconds", "examples_per_second", "tuning_seconds")


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
    """``cells``: one entry per cell; ``baselines``: one per TF-IDF reference (train size,
    seed). The numbers go to ``train.json``, the runs' record to ``train_runs.json``."""
    def numbers(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in RUN_FIELDS} for r in rows]

    def runs(rows: list[dict]) -> list[dict]:
        return [{"name": r["name"], **{k: r[k] for k in RUN_FIELDS if k in r}} for r in rows]

    fileio.write_json(layout.train_runs, {
        "parent_run_id": grid.parent_run_id, "tracking_uri": grid.uri,
        "experiment_id": grid.experiment_id, "cells": runs(results), "baselines": runs(baselines)})
    fileio.write_json(layout.train_report, {
        "data_digest": inputs.data_digest, "cells": numbers(results), "baselines": numbers(baselines)})
    tracking.Run(grid.parent_run_id, grid.uri).finish()
    tracking.record_in_store("train", {"runs": [r["name"] for r in results + baselines]}, layout)


def collect(cells: list[Cell], futures, as_completed, say: Callable[[str], None]
            ) -> tuple[list[dict], list[tuple[str, str]]]:
    """The cells' results as they finish, each announced with ``[k/N]`` progress;
    returns them in grid order, and the failed cells with their errors (each cell
    records its failure in MLflow; :func:`finish` reports them). ``as_completed``
    is the task runner's (Prefect's), so this module stays free of Prefect."""
    progress, cell_of = Progress(len(cells)), {id(f): c for f, c in zip(futures, cells)}
    results, failed = [], []
    for future in as_completed(list(futures)):
        cell = cell_of[id(future)]
        try:
            results.append(future.result())
        except Exception as exc:
            failed.append((cell.name, f"{type(exc).__name__}: {exc}"))
            say(progress.step(f"{cell.name}: FAILED"))
            continue
        say(progress.step(f"{cell.name}: {results[-1]['status']}, test accuracy "
                          f"{results[-1].get('test_accuracy', float('nan')):.3f}"))
    order = {c.name: i for i, c in enumerate(cells)}
    return sorted(results, key=lambda r: order[r["name"]]), failed


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@dataclass
class Progress:
    """``[k/N]`` lines for the cells of a long stage, with the elapsed time and an
    estimate for the rest (the mean time per finished cell so far)."""

    total: int
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    start: float = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.clock()

    def step(self, what: str) -> str:
        self.done += 1
        elapsed = self.clock() - self.start
        left = elapsed / self.done * (self.total - self.done)
        rest = f", about {_clock(left)} left" if self.done < self.total else ""
        return f"[{self.done}/{self.total}] {what} ({_clock(elapsed)} elapsed{rest})"
