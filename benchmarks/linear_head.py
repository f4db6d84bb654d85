"""The linear head against meanpool: one cell each, seconds and accuracy.

Fits cells with the project's fitting loop (``embedlab.train.fit.fit_cell``, the
default train params unless ``--set`` overrides them) on a prepared project's
split and vectors, and writes benchmarks/results/linear_head.json (rows of other
datasets are kept): validation and test accuracy, epochs, fit seconds (the
strategy's schedule: for a linear head over frozen tables that includes
computing the features), and whether the cell took the head-only path.

    python -m benchmarks.linear_head --dataset amazon --project PATH \\
        --cells w2v_frozen/meanpool,w2v_frozen/linear,learned/meanpool,learned/linear
    python -m benchmarks.linear_head --dataset imdb --project PATH --cells learned/linear \\
        --set ngrams=2

``PATH`` holds ``data/prepared`` and ``embeddings/<variant>.npy`` (a project after
``dvc repro embeddings``; ``benchmarks.peers``' scratch project for IMDB).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import RESULTS, save


def _value(text: str):
    return json.loads(text) if text[:1].isdigit() or text in ("true", "false") else text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--cells", default="w2v_frozen/meanpool,w2v_frozen/linear,learned/meanpool,learned/linear")
    ap.add_argument("--variant", default="cbow")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], help="a train param, e.g. ngrams=2")
    args = ap.parse_args()

    from embedlab import strategies
    from embedlab.config import TrainParams
    from embedlab.layout import Layout
    from embedlab.train.fit import fit_cell
    from embedlab.train.grid import Cell, train_inputs
    from embedlab.train.linear import fits_head_only

    params = TrainParams(**dict((k, _value(v)) for k, v in (s.split("=", 1) for s in args.set)))
    cells = []
    for entry in args.cells.split(","):
        strategy, arch = entry.split("/")
        variant = args.variant if strategies.get(strategy).needs_vectors else None
        cells.append(Cell(strategy, variant, arch, args.seed, strategy))
    inputs = train_inputs(cells, Layout(args.project))
    rows, command = [], "python -m benchmarks.linear_head " + " ".join(sys.argv[1:])
    for cell in cells:
        t0 = time.perf_counter()
        fitted = fit_cell(cell, params, inputs)
        rows.append({"dataset": args.dataset, "strategy": cell.strategy, "variant": cell.variant,
                     "architecture": cell.architecture, "seed": cell.seed, "train": params.model_dump(
                         include={"ngrams", "ngram_buckets", "l2", "learning_rate", "epochs"}),
                     "head_only": fits_head_only(cell.strategy, cell.architecture, params),
                     "val_accuracy": round(float(((fitted.val_prob >= 0.5) == fitted.y_val).mean()), 4),
                     "test_accuracy": round(float(((fitted.test_prob >= 0.5) == fitted.y_test).mean()), 4),
                     "epochs_run": fitted.epochs_run, "fit_seconds": round(fitted.seconds, 1),
                     "cell_seconds": round(time.perf_counter() - t0, 1),
                     "train_examples": fitted.train_examples, "command": command})
        print(rows[-1], flush=True)
    old = RESULTS / "linear_head.json"
    kept = [r for r in json.loads(old.read_text())["figures"]["rows"]
            if (r["dataset"], r["command"]) != (args.dataset, command)] if old.exists() else []
    save("linear_head", {"rows": kept + rows}, command)


if __name__ == "__main__":
    main()
