"""Stage ``answer``: the decision page for the grid as configured.

Reads what the train stage left (``reports/train.json``, each cell's test
predictions, the TF-IDF references) and the data and embeddings reports, and
writes ``reports/answer.json`` (every number), ``reports/answer.md`` (rendered from
that file alone, ``page.markdown``) and the figure. Any grid works: one size or
many, one seed or more, any strategies and architectures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from embedlab import fileio, plots, tracking
from embedlab.answer import decide, page
from embedlab.config import DEFAULT_PARAMS, AnswerParams, load_train
from embedlab.layout import Layout
from embedlab.predictions import load_cell_outputs, load_reference_outputs, load_train_report

# What a cell's run record adds to its numbers (reports/train_runs.json, untracked):
# the measured seconds, kept by a reused cell from the run that trained it.
TIMINGS = ("train_seconds", "tuning_seconds")


def _optional_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def timed(rows: list[dict], runs: dict | None, kind: str) -> list[dict]:
    """``rows`` (cells or references) with their measured seconds merged in where the run
    records have them."""
    timing = {r["name"]: {k: r[k] for k in TIMINGS if k in r} for r in (runs or {}).get(kind, [])}
    return [{**timing.get(r["name"], {}), **r} for r in rows]


def cells_table(train: dict, runs: dict | None) -> pd.DataFrame:
    """One row per cell, its measured seconds merged in where the run records have them."""
    return pd.DataFrame(timed(train["cells"], runs, "cells"))


def analyse(params: AnswerParams, layout: Layout = Layout(), timings: bool = False) -> dict:
    """answer.json's contents from the train stage's outputs. ``timings``: merge in the
    measured seconds (for a benchmark or the terminal): the stage itself leaves them
    out, so its tracked outputs are the same bytes on every rerun."""
    train = load_train_report(layout.train_report)
    runs = _optional_json(layout.train_runs) if timings else None
    cells = cells_table(train, runs)
    outputs = load_cell_outputs(cells, layout.models)
    baselines = timed(train.get("baselines") or [], runs, "baselines")
    return decide.analyse(cells, outputs.correct, outputs.y_test, baselines,
                          load_reference_outputs(baselines, layout.models),
                          _optional_json(layout.data_report), _optional_json(layout.embeddings_report),
                          alpha=params.alpha, n_boot=params.n_boot,
                          # The selection rule's "few labels": the train section's threshold.
                          cv_below=load_train(layout.root / DEFAULT_PARAMS).train.cv_below)


def write(answer: dict, layout: Layout = Layout()) -> str:
    """answer.json, the figure, and answer.md rendered from the json as written."""
    fileio.write_json(layout.answer_json, answer)
    plots.answer_curve(answer, layout.answer_plot)
    text = page.markdown(json.loads(layout.answer_json.read_text()),
                         layout.answer_plot.relative_to(layout.answer_md.parent).as_posix())
    fileio.write_text(layout.answer_md, text)
    return text


def log_run(layout: Layout = Layout()) -> str:
    """The page as an MLflow run of its own (``answer``), reused while answer.json is the
    same; then the stage's record in the store (a dvc.yaml output), so a fresh store
    gets the run back."""
    answer = json.loads(layout.answer_json.read_text())
    fingerprint = fileio.file_digest(layout.answer_json)[:24]
    metrics = {f"test_accuracy/{s['train_size']}": s["test_accuracy"] for s in answer["selection"]}
    run_id = tracking.page_run("answer", fingerprint, [layout.answer_json, layout.answer_md, layout.answer_plot],
                               layout.answer_md.read_text(), layout.answer_md.name, metrics)
    tracking.record_in_store("answer", {"page": fingerprint}, layout)
    return run_id
