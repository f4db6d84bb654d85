"""Word n-grams (train.ngrams) on a real split: one cell per (architecture, ngrams, buckets).

Fits `learned` cells with the project's fitting loop (``embedlab.train.fit.fit_cell``,
the default train params but ``ngrams`` and ``ngram_buckets``) on the same
prepared split as ``benchmarks.peers`` (its scratch project, or the curves'), and
writes benchmarks/results/ngram_cells.json (rows of other datasets are kept):
validation and test accuracy, epochs, fit seconds. The n-gram table trains with Adam, whose update is dense in Keras 3:
each step touches every bucket, so the fit time grows with ``ngram_buckets``.

    python -m benchmarks.ngram_cells --dataset amazon [--architectures meanpool,cnn]
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks.common import RESULTS, ROOT, save

SETTINGS = ((1, 1), (2, 20_000), (2, 100_000))   # (ngrams, ngram_buckets); 1 = words only


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["amazon", "imdb"], required=True)
    ap.add_argument("--architectures", default="meanpool,cnn")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from benchmarks.peers import prepared_split
    from embedlab.config import TrainParams
    from embedlab.layout import Layout
    from embedlab.train.fit import fit_cell
    from embedlab.train.grid import Cell, train_inputs

    folder = prepared_split(args.dataset)
    inputs = train_inputs([], Layout(folder.parents[1]))
    rows, command = [], "python -m benchmarks.ngram_cells " + " ".join(sys.argv[1:])
    for arch in args.architectures.split(","):
        for ngrams, buckets in SETTINGS:
            fitted = fit_cell(Cell("learned", None, arch, args.seed, "learned"),
                              TrainParams(ngrams=ngrams, ngram_buckets=buckets), inputs)
            rows.append({"dataset": args.dataset, "strategy": "learned", "architecture": arch,
                         "seed": args.seed, "ngrams": ngrams,
                         "ngram_buckets": buckets if ngrams > 1 else None,
                         "val_accuracy": round(float(((fitted.val_prob >= 0.5) == fitted.y_val).mean()), 4),
                         "test_accuracy": round(float(((fitted.test_prob >= 0.5) == fitted.y_test).mean()), 4),
                         "epochs_run": fitted.epochs_run, "fit_seconds": round(fitted.seconds, 1),
                         "params_trainable": fitted.counts["params_trainable"],
                         "split": str(folder.relative_to(ROOT)), "command": command})
            print(rows[-1], flush=True)
    old = RESULTS / "ngram_cells.json"
    kept = [r for r in json.loads(old.read_text())["figures"]["rows"]
            if r["dataset"] != args.dataset] if old.exists() else []
    save("ngram_cells", {"rows": kept + rows}, command)


if __name__ == "__main__":
    main()
