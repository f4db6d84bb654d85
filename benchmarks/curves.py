"""The answer: test accuracy vs labeled train size, per strategy, on a real dataset.

A thin driver of the pipeline a user runs: `dvc repro` (prepare, embeddings,
train, evaluate, answer) in a scratch project with a learning-curve grid
(`grid.train_sizes`), one *pass* at a time: each pass is one grid, and cells a pass
shares with an earlier one are reused from MLflow, not retrained. Writes
benchmarks/results/curves_<dataset>.json: the answer stage's reports/answer.json of
the preset's answer pass (`figures.answer`, the decision page), one row per cell and
per TF-IDF reference, each pass's reports/curve.json and params, the commit and wall
times, and at the end issue 31's held-out reference on the page's own rows
(`benchmarks.peers.averaged_vectors`: averaged frozen vectors + logistic regression,
C by cross-validation over the same N labels); `python -m docgen` writes
docs/answer.md and the README's answer from it with the stage's own page code
(`embedlab.answer.page`).

    python -m benchmarks.curves --dataset amazon      # the embedded Amazon reviews
    python -m benchmarks.curves --dataset imdb        # embedded:imdb-50k
    python -m benchmarks.curves --dataset amazon --quick   # a smoke run: tiny grid, scratch results
    python -m benchmarks.curves --dataset imdb --estimate  # its wall time, from a slice, before running it
    python -m benchmarks.curves --dataset amazon --page-only  # after a change to the page's code

The scratch project lives in benchmarks/.cache/curves-<dataset> (git-ignored) and is
kept: running the command again after a crash resumes (finished cells are reused)
and the results file is rewritten after every pass. A resumed curve first copies
today's code and params into the scratch project, so its results are the current
code's: a cell is reused only when its fingerprint (its code and params) matches.
Every `dvc repro` a curve took, failed ones and earlier attempts included, is logged
in timings.jsonl there, and the curve's wall time is their sum. `--fresh` starts over.
The scratch store lives only as long as the machine: a curve is sized to finish in
one session, and its results file keeps the sizes it finished.

`--estimate` runs prepare and embeddings in the same scratch project (the curve
reuses them), then times one trial (its folds and refit, or its one fit) of one cell
of each way of training (head only, frozen table, trainable table, fine-tuned
vectors) per architecture and size (`--estimate-sizes`: only those; larger ones are
scaled by their labeled rows), and writes benchmarks/results/curves_<dataset>_estimate.json:
per cell, trials x seconds per trial (an upper bound: pruned trials stop early),
summed over the pass's cells and divided by the runner's workers.

An *incremental* pass adds its sizes one `dvc repro` at a time, in the order listed,
and the results are saved after each: a long curve (IMDB) is complete up to where
it got. With `budget_minutes` (the `--quick` smoke run exercises it) it stops adding
sizes once its time is spent; the results say where it stopped and why.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.common import CACHE, DATASET_DATA, ROOT, save, train_results
from embedlab.config import AnswerParams, size_order
from embedlab.evaluate import curve
from embedlab.layout import Layout

ALL = "all"


@dataclass(frozen=True)
class Pass:
    name: str
    strategies: list[str]
    architectures: list[str]
    train_sizes: list
    seeds: list[int] = field(default_factory=lambda: [1, 2, 3])
    max_train_size: dict = field(default_factory=dict)   # grid.max_train_size: per-architecture caps
    min_train_size: dict = field(default_factory=dict)   # grid.min_train_size: per-architecture floors
    incremental: bool = False             # one `dvc repro` per added size, in the order listed
    budget_minutes: float | None = None   # ... and no size added once this much time is spent


# w2v_multichannel (two tables side by side) is left out of the tuned curves: untuned,
# it never led at any size (curves_*_untuned.json) and it is the dearest cell to tune.
STRATEGIES = ["learned", "random_frozen", "w2v_frozen", "w2v_frozen@skipgram", "w2v_finetuned",
              "w2v_frozen@glove6b", "w2v_finetuned@glove6b", "w2v_unfreeze@glove6b"]
GLOVE = {"source": "embedded:glove-6b-50d"}
# IMDB's cells are dearer: no random_frozen control and no w2v_unfreeze, but Word2Vec
# (cbow, trained here) and GloVe each frozen and fine-tuned.
IMDB_STRATEGIES = ["learned", "w2v_frozen", "w2v_frozen@skipgram", "w2v_finetuned", "w2v_frozen@glove6b",
                   "w2v_finetuned@glove6b"]
# Skip-gram as well as CBOW, each frozen as a strategy of its own: on the IMDB split,
# skip-gram's vectors, averaged under the linear head, beat CBOW's at 100-1,000 labels
# (issue 31's held-out reference used them); the curves' `w2v_frozen` and
# `w2v_frozen@skipgram` rows say by how much, on the same labels.
SKIPGRAM = {"sg": 1, "vector_size": 100, "window": 5, "negative": 5, "sample": 0.001, "seed": 1}

# Each strategy at its best, on an equal budget: every cell picks its hyperparameters
# (learning rate, dropout, epoch cap, and the table's learning-rate scale where a
# pretrained table is fine-tuned) from TUNE_TRIALS trials (times its architecture's
# factor, tuning.TRIAL_FACTOR) chosen on its own labels: cross-validated below
# train.cv_below, a held-out share above (docs/grid.md, Tuning and label budgets). The same budget
# `embedlab answer` gives a user's data (params.yaml: answer.tune_trials), so the
# committed pages and a user's page come from one setting.
TUNE_TRIALS = AnswerParams().tune_trials
# Early stopping decides when a cell is done: a generous epoch cap, and epochs of at
# least 20 batches (100 labeled reviews cycle 13 times), so a small size gets updates
# between validation checks.
TRAIN = {"epochs": 40, "patience": 3, "min_steps_per_epoch": 20, "tune_trials": TUNE_TRIALS}

PRESETS = {
    "amazon": {
        "overrides": {"embeddings": {"variants": {
            "cbow": {"sg": 0, "vector_size": 100, "window": 5, "negative": 5, "min_count": 1,
                     "sample": 0.001, "epochs": 10, "seed": 1},
            "skipgram": {**SKIPGRAM, "min_count": 1, "epochs": 10}, "glove6b": GLOVE}},
            "train": TRAIN},
        "passes": [
            # One `dvc repro` per size, smallest first: a curve cut short (a session's end)
            # keeps its results up to where it got, and the next run resumes from there.
            # The linear head at every size, meanpool from 1,000 labels: cross-validated
            # below train.cv_below, a trial costs one fit per fold, and below 1,000 a
            # meanpool trial fits its hidden layer on a few dozen reviews per fold (the
            # dearest cells, and never the one-standard-error choice where they ran,
            # curves_amazon.json at 3cc2cf0). What each cell took is in the results
            # file (rows: tuning_seconds) and on the page (cost per cell); what the preset
            # will take: --estimate. cnn and lstm are left out: tuned the same way they
            # would not fit one session (the committed default run has them untuned,
            # docs/results.md).
            Pass("curve", STRATEGIES, ["linear", "meanpool"], [100, 300, 1000, 3000, ALL],
                 min_train_size={"meanpool": 1000}, incremental=True),
        ],
        "answer_pass": "curve",   # the pass whose reports/answer.json is the page
    },
    "imdb": {
        "overrides": {
            "data": DATASET_DATA["imdb"],
            "embeddings": {"variants": {
                "cbow": {"sg": 0, "vector_size": 100, "window": 5, "negative": 5, "min_count": 2,
                         "sample": 0.001, "epochs": 5, "seed": 1},
                "skipgram": {**SKIPGRAM, "min_count": 2, "epochs": 5}, "glove6b": GLOVE}},
            # An IMDB epoch is long and its validation set large: patience 2. Half the trials
            # of the Amazon curve and of `embedlab answer` (4 a cell: 2 random, 2 by TPE): at
            # 8, the estimate from a slice (curves_imdb_estimate.json) was several sessions.
            "train": {**TRAIN, "patience": 2, "tune_trials": TUNE_TRIALS // 2}},
        "passes": [
            # Three seeds at every size, as on Amazon: the seed spread belongs in every
            # interval. One grid, so the page selects among every architecture that ran at a
            # size. Every variant the preset trains is a frozen strategy of its own
            # (`w2v_frozen`: cbow, the seed's question). Sized to finish within one session on
            # 2 cores (--estimate says whether it does), since the scratch MLflow store does
            # not outlive the machine. An IMDB step costs several Amazon ones (a longer
            # review, a larger table): the linear head alone (fastText's model with a
            # learned table), no meanpool and no N = 10,000, whose cells at 39,660 labels
            # were most of the estimate. Sizes smallest first; the results are saved after each.
            Pass("curve", IMDB_STRATEGIES, ["linear"], [100, 300, 1000, 3000, ALL], incremental=True),
        ],
        "answer_pass": "curve",
    },
}
QUICK = {
    "overrides": {"data": {"sample": 600}, "train": {"epochs": 3, "patience": 1, "units": 16, "tune_trials": 2},
                  "embeddings": {"variants": {"cbow": {"sg": 0, "vector_size": 32, "epochs": 3,
                                                       "min_count": 1, "seed": 1}, "glove6b": GLOVE}},
                  "evaluate": {"min_behaviour_pass_rate": 0.0}},
    "passes": [Pass("curve", ["learned", "w2v_finetuned@glove6b"], ["meanpool"], [50, ALL], [1, 2]),
               Pass("grow", ["learned"], ["cnn"], [50, 100, ALL], [1], incremental=True, budget_minutes=0.01)],
    "answer_pass": "curve",
}

ROW_KEYS = ("strategy", "variant", "architecture", "seed", "train_size", "train_examples", "test_accuracy",
            "test_roc_auc", "best_val_accuracy", "epochs_run", "best_epoch", "train_seconds")
# What a tuned cell adds (the values it trained with, the trials and time spent choosing
# them), kept in a row when the cell carries it.
TUNED_KEYS = ("hparams", "tuning_trials", "tuning_seconds")


def run_pass(project: Path, p: Pass, sizes: list, log: Path, stages: list[str] = ()) -> float:
    """Set the grid, run `dvc repro` (up to ``stages`` when given), log its wall time (even
    when it fails), return it."""
    import yaml

    from harness.scaffold import stage_env

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["grid"].update({"strategies": p.strategies, "architectures": p.architectures,
                           "seeds": p.seeds, "train_sizes": sizes, "max_train_size": p.max_train_size,
                           "min_train_size": p.min_train_size})
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    print(f"[{time.strftime('%H:%M:%S')}] pass {p.name}: sizes {sizes}", flush=True)
    t0, rc = time.perf_counter(), None
    try:
        with open(log, "a") as out:
            rc = subprocess.run([sys.executable, "-m", "dvc", "repro", *stages], cwd=project, env=stage_env(project),
                                stdout=out, stderr=subprocess.STDOUT, text=True).returncode
    finally:
        seconds = time.perf_counter() - t0
        with open(log.with_name("timings.jsonl"), "a") as f:
            f.write(json.dumps({"pass": p.name, "train_sizes": sizes, "stages": list(stages) or "all",
                                "seconds": round(seconds, 1),
                                "returncode": rc, "date": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    if rc != 0:
        raise SystemExit(f"pass {p.name} failed; the log is {log}")
    return seconds


def commit() -> str:
    """The code the curve ran: HEAD, marked when the working tree had changes."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src", "flows", "dvc.yaml"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return head + (" (with uncommitted changes)" if dirty else "")


def timings(work: Path) -> list[dict]:
    path = work / "timings.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def rows(project: Path, dataset: str) -> tuple[list[dict], list[dict]]:
    """One row per cell and one per TF-IDF reference of the pass just run."""
    train = train_results(project)
    cells = [{"dataset": dataset, "name": c["name"], **{k: c.get(k) for k in ROW_KEYS},
              **{k: c[k] for k in TUNED_KEYS if c.get(k) is not None}}
             for c in train["cells"]]
    refs = [{"dataset": dataset, "name": b["name"], "strategy": "tfidf_logreg",
             **{k: b.get(k) for k in ("seed", "train_size", "train_examples", "test_accuracy",
                                      "test_roc_auc", "best_val_accuracy", "train_seconds")}}
            for b in train["baselines"]]
    for row in cells + refs:   # a reused run's metrics come back as floats
        for k in ("train_examples", "epochs_run", "best_epoch"):
            if row.get(k) is not None:
                row[k] = int(row[k])
    return cells, refs


def grow(project: Path, p: Pass, log: Path, record) -> dict:
    """An incremental pass: its sizes added one at a time, while its budget lasts."""
    spent, done, last = 0.0, [], None
    for size in p.train_sizes:
        if p.budget_minutes is not None and spent >= 60 * p.budget_minutes:
            break
        seconds = run_pass(project, p, [*done, size], log)
        spent, done, last = spent + seconds, [*done, size], seconds
        record(p, done, spent)
    left = p.train_sizes[len(done):]
    stop = (f"stopped after N = {done[-1]}: the pass had spent {spent / 60:.0f} of its "
            f"{p.budget_minutes:g} minutes (the last size took {last / 60:.0f} min); not run: "
            f"{', '.join(map(str, left))}" if left else "every size run")
    return {"sizes_run": done, "sizes_not_run": left, "stopped": stop}


def data_facts(project: Path) -> dict:
    data = json.loads((project / "reports" / "data.json").read_text())
    emb = json.loads((project / "reports" / "embeddings.json").read_text())
    test = data["test"]
    return {"source": data.get("source"), "train": data["train"]["reviews"], "val": data["val"]["reviews"],
            "test": test["reviews"], "test_majority": max(test["positive"], test["negative"]) / test["reviews"],
            "max_len": data.get("max_len"), "corpus": emb.get("corpus"),
            "variants": {k: {m: v.get(m) for m in ("source", "text_seen", "vector_size", "type_coverage",
                                                   "token_coverage")}
                         for k, v in emb["variants"].items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--quick", action="store_true", help="a smoke run (tiny grid); results go to the scratch folder")
    ap.add_argument("--fresh", action="store_true", help="start a new scratch project")
    ap.add_argument("--estimate", action="store_true", help="time a slice and estimate the curve's wall time")
    ap.add_argument("--estimate-sizes", help="with --estimate: the sizes to time (e.g. 100,1000,3000); "
                    "the others are scaled from them")
    ap.add_argument("--page-only", action="store_true", help="a finished curve's page anew: each pass's whole "
                    "grid in one `dvc repro` (finished cells are reused, so only what changed since, e.g. "
                    "the answer stage's code, runs) and the yardstick; the results keep the curve's command")
    ap.add_argument("--plot", action="store_true", help="only redraw docs/img/curves_<dataset>.png "
                    "from benchmarks/results/curves_<dataset>.json")
    args = ap.parse_args()
    if args.plot:
        res = json.loads((ROOT / "benchmarks" / "results" / f"curves_{args.dataset}.json").read_text())
        return draw(res, ROOT / "docs" / image(args.dataset))
    import yaml

    from harness.scaffold import copy_pipeline, merge_params, new_project

    preset = PRESETS[args.dataset]
    if args.quick:
        preset = {**QUICK, "overrides": merge_params(json.loads(json.dumps(preset["overrides"])),
                                                     QUICK["overrides"])}
    work = CACHE / f"curves-{args.dataset}{'-quick' if args.quick else ''}"
    project, log = work / "proj", work / "repro.log"
    if args.fresh and work.exists():
        shutil.rmtree(work)
    if not (project / "dvc.yaml").exists():
        work.mkdir(parents=True, exist_ok=True)
        new_project(project, preset["overrides"])
    else:
        # A resumed curve runs the code of today's checkout, not of the day it started:
        # cells whose code (grid.code_digest) and params did not change are reused from
        # MLflow by fingerprint, the others retrain, so every row is the current code's.
        copy_pipeline(project, preset["overrides"])
    (work / "commit.txt").write_text(commit())   # the code the scratch project copied
    command = "python -m benchmarks.curves " + " ".join(sys.argv[1:])
    if args.page_only:   # the page is the curve's: its command and the seconds its passes took
        before = json.loads((ROOT / "benchmarks" / "results" / f"curves_{args.dataset}.json").read_text())
        command, took = before["command"], {q["name"]: q["seconds"] for q in before["figures"]["passes"]}
    if args.estimate:
        return estimate(project, preset, log, args.dataset, command, quick=args.quick,
                        timed_sizes=args.estimate_sizes.split(",") if args.estimate_sizes else None)
    results: dict = {"dataset": args.dataset, "passes": [], "cells": {}, "references": {},
                     "train": preset["overrides"].get("train", {}), "answer_pass": preset["answer_pass"]}

    def record(p: Pass, sizes: list, seconds: float, extra: dict | None = None) -> None:
        cells, refs = rows(project, args.dataset)
        results["cells"].update({r["name"]: r for r in cells})
        results["references"].update({r["name"]: r for r in refs})
        lay = Layout(project)
        answer = timed_answer(project)
        entry = {**asdict(p), "train_sizes": sorted(sizes, key=size_order), "seconds": round(seconds, 1),
                 "params": yaml.safe_load((project / "params.yaml").read_text()),
                 "curve": json.loads(lay.curve_report.read_text()),
                 "answer": answer, "peers": peers_at_all(project, answer, args.dataset), **(extra or {})}
        results["passes"] = [q for q in results["passes"] if q["name"] != p.name] + [entry]
        write(results, project, command, args)

    for p in preset["passes"]:
        if args.page_only and p.incremental:
            run_pass(project, p, p.train_sizes, log)
            record(p, p.train_sizes, took[p.name],
                   {"sizes_run": p.train_sizes, "sizes_not_run": [], "stopped": "every size run"})
        elif not p.incremental:
            record(p, p.train_sizes, run_pass(project, p, p.train_sizes, log))
        else:
            t0 = time.perf_counter()
            outcome = grow(project, p, log, lambda q, sizes, spent: record(q, sizes, spent))
            record(p, outcome["sizes_run"], time.perf_counter() - t0, outcome)
    results["yardstick"] = yardstick(project, results)
    write(results, project, command, args)


def yardstick(project: Path, results: dict) -> list[dict]:
    """Issue 31's held-out reference (``benchmarks.peers.averaged_vectors``) on the answer
    pass's sizes and seeds, for each vectors table the project trained: what a simple,
    well-tuned model on the same frozen vectors and the same N labels scores."""
    from benchmarks.peers import averaged_vectors
    from embedlab.config import load_params

    answer = next(p for p in results["passes"] if p["name"] == results["answer_pass"])
    params = load_params(project / "params.yaml")
    trained = [v for v in params.embeddings.variants if Layout(project).matrix(v).exists()]
    return averaged_vectors(project, trained, answer["train_sizes"], answer["seeds"], params.train.cv_folds)


def kind(cell, params) -> str:
    """How a cell trains, as far as its cost goes: the head alone on fixed features, a
    table trained from scratch, or pretrained vectors fine-tuned (their rate searched)."""
    from embedlab import strategies
    from embedlab.train import linear

    strat = strategies.get(cell.strategy)
    if linear.fits_head_only(cell.strategy, cell.architecture, params):
        return "head only"
    if strat.fine_tunes_vectors:
        return "fine-tuned vectors"
    trains = any(t.trainable for t in strat.tables) or params.ngrams > 1   # the n-gram table trains
    return "trainable table" if trains else "frozen table"


def scaled(measured: dict, size, rows_at, regime=lambda size: None) -> tuple:
    """(the timed size it is read from, seconds per trial) at ``size``: its own, or the
    largest timed size below it scaled by labeled rows, else the smallest timed one (a
    smaller size costs no more): an upper bound either way. Only timed sizes of the
    same ``regime`` count where there are any: a cross-validated trial (k fits on
    N - N/k rows each) costs several holdout ones on the same N, so a holdout size read
    from a cross-validated one is overstated (IMDB's 3,000 from 300: 10x, while it
    costs less than its timed 'all', curves_imdb_estimate.json at 626e5cb)."""
    if size in measured:
        return size, measured[size]
    alike = {z: t for z, t in measured.items() if regime(z) == regime(size)} or measured
    below = [z for z in alike if rows_at(z) <= rows_at(size)]
    base = max(below, key=rows_at) if below else min(alike, key=rows_at)
    return base, alike[base] * max(1.0, rows_at(size) / rows_at(base))


def time_trial(cell, untuned, project: Path, pass_name: str, kind_name: str) -> float:
    """Seconds of one trial of ``cell`` (its folds and refit, or its one fit)."""
    from embedlab.train import grid, tuning

    print(f"[{time.strftime('%H:%M:%S')}] {pass_name}: {cell.name} ({kind_name}), one trial", flush=True)
    t0 = time.perf_counter()
    tuning.tune(cell, untuned, grid.train_inputs([cell], Layout(project)))
    return time.perf_counter() - t0


def estimate(project: Path, preset: dict, log: Path, dataset: str, command: str, quick: bool = False,
             timed_sizes: list | None = None) -> None:
    """The preset's wall time from a slice (see the module doc); the curve is not run.
    Sizes outside ``timed_sizes`` are read from a timed size of their regime (:func:`scaled`) by
    their labeled rows (an upper bound: a larger N needs fewer epochs)."""
    import pyarrow.parquet as pq

    from embedlab import runtime

    runtime.configure_env()   # one TensorFlow thread, as in every worker of the train stage
    from embedlab.train import fit, grid, tuning

    est, workers, total = [], 1, 0.0
    for p in preset["passes"]:
        run_pass(project, p, p.train_sizes, log, stages=["embeddings"])
        stage = grid.load_train(project / "params.yaml")
        untuned = stage.train.model_copy(update={"tune_trials": 0})   # one trial's fit(s), and no more
        n_all = pq.ParquetFile(Layout(project).split("train")).metadata.num_rows
        rows_at = lambda size: n_all if size == ALL else int(size)   # noqa: E731
        timed = [z for z in p.train_sizes if timed_sizes is None or str(z) in timed_sizes]
        groups: dict = {}
        for c in grid.expand_grid(stage.grid):
            groups.setdefault((c.architecture, kind(c, stage.train)), {}).setdefault(c.train_size, []).append(c)
        for (arch, k), by_size in groups.items():
            sizes = sorted(by_size, key=size_order)
            measured = {z: time_trial(by_size[z][0], untuned, project, p.name, k) for z in sizes if z in timed}
            if not measured:
                print(f"{p.name}: {arch}/{k} has no timed size; not estimated", flush=True)
                continue
            for size in sizes:
                base, per_trial = scaled(measured, size, rows_at,
                                         lambda z: fit.uses_cv(by_size[z][0], stage.train))
                n_trials = tuning.trials(by_size[size][0], stage.train)
                est.append({"pass": p.name, "architecture": arch, "kind": k, "train_size": size,
                            "source": f"timed: {by_size[base][0].name}" + (
                                "" if base == size else f", read from N = {base} by its labeled rows"),
                            "seconds_per_trial": round(per_trial, 1), "trials_per_cell": n_trials,
                            "cells": len(by_size[size]),
                            "cell_seconds": round(per_trial * n_trials * len(by_size[size]), 1)})
        workers = stage.runner.workers
        spent = sum(e["cell_seconds"] for e in est if e["pass"] == p.name) / workers
        total += spent   # the passes run one after another
        print(f"{p.name}: about {spent / 3600:.1f} h on {workers} workers", flush=True)
    figures = {"dataset": dataset, "rows": est, "workers": workers, "estimated_hours": round(total / 3600, 2)}
    if quick:
        (project.parent / "estimate.json").write_text(json.dumps(figures, indent=2, default=str))
    else:
        save(f"curves_{dataset}_estimate", figures, command)


def timed_answer(project: Path) -> dict:
    """The answer stage's analysis of the pass just run, with the seconds each cell took
    merged in (the stage's own tracked answer.json leaves them out: they vary by run)."""
    from embedlab.answer import stage
    from embedlab.config import load_answer

    return stage.analyse(load_answer(project / "params.yaml"), Layout(project), timings=True)


def peers_at_all(project: Path, answer: dict, dataset: str) -> dict | None:
    """The config the page selects at N = all, each of its seeds, against the stored peers
    (benchmarks.peers), paired over the same test reviews; None without N = all or peers."""
    import numpy as np

    from benchmarks.peers import versus
    from embedlab.config import ALL_TRAIN

    chosen = next((s for s in answer["selection"] if s["train_size"] == ALL_TRAIN), None)
    reference_chosen = chosen is not None and chosen["architecture"] is None
    if reference_chosen:   # TF-IDF chosen: the page's best network stands in
        chosen = chosen["network"]
    if chosen is None or not (ROOT / "benchmarks" / "results" / f"peers_{dataset}.npz").exists():
        return None
    lay = Layout(project)
    cells = [c for c in json.loads(lay.train_report.read_text())["cells"]
             if (c["strategy"], c["architecture"], c["train_size"]) ==
             (chosen["strategy"], chosen["architecture"], ALL_TRAIN)]
    preds = [np.load(lay.cell_dir(c["slug"]) / "predictions.npz") for c in sorted(cells, key=lambda c: c["seed"])]
    network = {"strategy": chosen["strategy"], "architecture": chosen["architecture"],
               "seeds": [c["seed"] for c in cells], "reference_chosen": reference_chosen}
    return versus(dataset, preds[0]["y_test"], np.stack([p["test_prob"] for p in preds]), network)


def write(results: dict, project: Path, command: str, args) -> None:
    runs = timings(project.parent)
    copied = project.parent / "commit.txt"
    answer_pass = next((p for p in results["passes"] if p["name"] == results["answer_pass"]), None)
    figures = {"dataset": results["dataset"], "data": data_facts(project),
               "commit": copied.read_text() if copied.exists() else commit(),
               "train": results["train"],
               # The decision page (the answer stage's reports/answer.json) and the params it ran at.
               **({"answer": answer_pass["answer"], "params": answer_pass["params"],
                   "peers": answer_pass.get("peers")} if answer_pass else {}),
               "wall_seconds": round(sum(r["seconds"] for r in runs), 1), "repro_runs": runs,
               "passes": results["passes"],
               "rows": list(results["cells"].values()), "tfidf": list(results["references"].values()),
               "yardstick": results.get("yardstick")}
    if args.quick:
        out = CACHE / f"curves-{args.dataset}-quick" / "curves.json"
        out.write_text(json.dumps({"command": command, "figures": figures}, indent=2, default=str))
        draw({"figures": figures}, out.with_suffix(".png"))
        print(f"-> {out}")
    else:
        draw({"figures": figures}, ROOT / "docs" / image(args.dataset))
        save(f"curves_{args.dataset}", figures, command)


def image(dataset: str) -> str:
    """Where the dataset's curve is drawn (relative to docs/; docs/answer.md shows it)."""
    return f"img/curves_{dataset}.png"


def plot_data(res: dict) -> dict:
    """The curve pass's curve.json plus the per-architecture points of other
    multi-size passes (the IMDB LSTM), for one figure."""
    ps = res["figures"]["passes"]
    main = next(p for p in ps if p["name"] == "curve")["curve"]
    extra = [pt for p in ps if p["name"] != "curve" and len(p["curve"]["sizes"]) > 1
             for pt in p["curve"]["points"] if pt["architecture"] != curve.POOLED]
    return {**main, "points": main["points"] + extra}


def draw(res: dict, path: Path) -> None:
    """The curve figure, from the results alone (`--plot` redraws it from the file)."""
    from embedlab import plots

    if "answer" in res["figures"]:
        plots.answer_curve(res["figures"]["answer"], path)
    elif any(p["name"] == "curve" for p in res["figures"]["passes"]):
        plots.labeled_size_curve(plot_data(res), path)


if __name__ == "__main__":
    main()
