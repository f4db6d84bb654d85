"""`embedlab answer` on a user's own CSV, timed: issue 22's "≤ 30 min on 2 cores".

Exports N IMDB reviews (stratified, from the embedded data set's prepared split)
as a plain CSV file (`review`, `sentiment` = positive/negative), sets a scratch
project's `data` section the way README's "Bring your own data" says, and runs

    embedlab answer --source reviews.csv --sizes 100,300,all

there: a DVC experiment through every stage (prepare, Word2Vec, the tuned grid of
params.yaml's `answer` section, evaluate, answer). Writes
benchmarks/results/answer_user_csv.json: the wall time, the grid, and the decision
the page made (selected config per size, its gains with intervals).

    python -m benchmarks.answer_user_csv [--reviews 2000] [--sizes 100,300,all] [--max-words K]

With ``--max-words K`` each review keeps only its first K words: a file of short
reviews (one or two sentences, K = 20) such as issue 31's 10,000-review case,
``--reviews 10000 --max-words 20 --sizes 100,300,1000,all``.

The scratch project (benchmarks/.cache/answer-user-csv, git-ignored) is made anew
each run: the time is a first run's, nothing reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks.common import CACHE, save

WORK = CACHE / "answer-user-csv"
DATA = {"text_columns": ["review"], "label_column": "sentiment",
        "label": {"positive_values": ["positive"], "negative_values": ["negative"]}}


def export_csv(n: int, dest: Path, seed: int = 7, max_words: int | None = None) -> dict:
    """N IMDB reviews, half of each class, as the plain CSV a user would bring (each cut
    to its first ``max_words`` words when given)."""
    import pandas as pd

    from benchmarks.peers import prepared_split

    folder = prepared_split("imdb")
    frame = pd.concat([pd.read_parquet(folder / f"{s}.parquet", columns=["text", "label"])
                       for s in ("train", "val", "test")])
    picked = frame.groupby("label", group_keys=False).sample(n // 2, random_state=seed)
    text = picked["text"] if max_words is None else picked["text"].map(
        lambda t: " ".join(t.split()[:max_words]))
    out = pd.DataFrame({"review": text.to_numpy(),
                        "sentiment": picked["label"].map({1: "positive", 0: "negative"}).to_numpy()})
    out.sample(frac=1.0, random_state=seed).to_csv(dest, index=False)
    return {"reviews": len(out), "positive": int((out["sentiment"] == "positive").sum()),
            "max_words": max_words, "mean_words": round(float(out["review"].str.split().str.len().mean()), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reviews", type=int, default=2000)
    ap.add_argument("--sizes", default="100,300,all")
    ap.add_argument("--max-words", type=int, default=None, help="keep each review's first K words")
    args = ap.parse_args()

    from harness.scaffold import new_project, stage_env

    if WORK.exists():
        shutil.rmtree(WORK)
    project = new_project(WORK / "proj", {"data": DATA})
    exported = export_csv(args.reviews, project / "reviews.csv", max_words=args.max_words)
    subprocess.run(["git", "add", "reviews.csv", "params.yaml"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "my reviews"], cwd=project, check=True, env={
        **stage_env(project), "GIT_AUTHOR_NAME": "u", "GIT_AUTHOR_EMAIL": "u@localhost",
        "GIT_COMMITTER_NAME": "u", "GIT_COMMITTER_EMAIL": "u@localhost"})
    command = ["embedlab", "answer", "--source", "reviews.csv", "--sizes", args.sizes]
    t0 = time.perf_counter()
    with open(WORK / "answer.log", "w") as log:
        proc = subprocess.run([sys.executable, "-m", "embedlab.cli", *command[1:]], cwd=project,
                              env=stage_env(project), stdout=log, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"embedlab answer failed (exit {proc.returncode}); the log is {WORK / 'answer.log'}")
    answer = json.loads((project / "reports" / "answer.json").read_text())
    params = yaml.safe_load((project / "params.yaml").read_text())
    save("answer_user_csv", {
        "csv": exported, "command": " ".join(command), "wall_seconds": round(seconds, 1),
        "grid": params["grid"], "tune_trials": params["train"]["tune_trials"],
        "cells": sum(len(c["seeds"]) for c in answer["configs"]),
        "selection": [{k: s.get(k) for k in ("train_size", "train_examples", "strategy", "architecture",
                                              "test_accuracy", "vs_learned", "vs_reference")}
                      for s in answer["selection"]],
        "regimes": answer["regimes"]}, "python -m benchmarks.answer_user_csv " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
