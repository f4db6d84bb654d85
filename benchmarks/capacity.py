"""Capacity sized to the data: the vocabulary cap and the length cap, per dataset.

A *setting* is (``vocab.max_size``, and ``data.max_len`` or
``data.max_len_percentile``): prepare params, so each setting is its own scratch
project (benchmarks/.cache/capacity-<dataset>/<setting>/proj) run by the real
stages, `dvc repro embeddings` (prepare, then the GloVe matrix over that
vocabulary). Its cells are fitted with the project's fitting loop
(``embedlab.fit.fit_cell``) in this process, one TensorFlow thread as in the train
stage, with the curves' train params (``benchmarks.curves.PRESETS``); selection
reads validation accuracy only, test accuracy is reported beside it.

The settings vary one factor at a time around the project's default (vocabulary
20,000, length cap at the 90th percentile of train review lengths). The plan runs
cheap, informative cells first (meanpool, then cnn, a second seed, lstm last);
``--budget-minutes`` stops adding cells once the estimate says the next one would
not finish within it, and the results list what was not run.

    nice -n 19 python -m benchmarks.capacity --dataset imdb [--budget-minutes 60]
    nice -n 19 python -m benchmarks.capacity --dataset amazon
    python -m benchmarks.capacity --dataset amazon --quick   # a smoke run on 600 reviews

Every finished cell is appended to rows.jsonl in the cache folder: a rerun resumes
(``--fresh`` starts over). benchmarks/results/capacity_<dataset>.json is rewritten
after every cell (``--quick``: capacity.json in the cache folder instead).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import CACHE, estimate_seconds, save, staged_project
from benchmarks.curves import GLOVE, PRESETS, commit
from harness.scaffold import merge_params

PERCENTILE = 90          # the length percentile the settings vary around (the one every source had when measured)
VOCAB = 20_000           # params.yaml's vocab.max_size
STRATEGIES = ["learned", "w2v_finetuned@glove6b"]
# Fit seconds relative to meanpool, for the estimate before an architecture's first
# cell has finished (curves_imdb.json at N = all: cnn 139-203 s, lstm 149-252 s,
# meanpool 28-43 s); "prepare" is a setting's `dvc repro embeddings`.
RELATIVE_COST = {"meanpool": 1.0, "cnn": 5.0, "lstm": 5.5, "bilstm": 10.0, "prepare": 2.0}


@dataclass(frozen=True)
class Setting:
    vocab_max_size: int = VOCAB
    percentile: float | None = PERCENTILE   # data.max_len_percentile (data.max_len: auto) ...
    max_len: int | None = None              # ... or an explicit data.max_len

    @property
    def name(self) -> str:
        cap = f"len{self.max_len}" if self.max_len else f"p{self.percentile:g}"
        return f"v{self.vocab_max_size}-{cap}"

    def overrides(self, data: dict) -> dict:
        """Params of its scratch project: the dataset's data params, this setting's caps."""
        caps = ({"max_len": self.max_len} if self.max_len else
                {"max_len": "auto", "max_len_percentile": self.percentile})
        return {"data": {**data, **caps}, "vocab": {"max_size": self.vocab_max_size}}


@dataclass(frozen=True)
class Phase:
    settings: list[Setting]
    architectures: list[str]
    seeds: list[int]


DEFAULT = Setting()
LONGER = [Setting(percentile=95), Setting(percentile=99)]
LARGER = [Setting(vocab_max_size=50_000), Setting(vocab_max_size=100_000)]
# IMDB: both caps bind (some 40,000 word types occur twice or more in train; p90 of
# the lengths cuts one review in ten). The extremes first, so that a budget cut
# leaves the widest contrast measured.
IMDB_SETTINGS = [DEFAULT, LARGER[1], LONGER[1], LARGER[0], LONGER[0]]
# Amazon: its vocabulary (some 7,300 words at min_count 2) is under every cap, so only
# the length cap can matter.
AMAZON_SETTINGS = [DEFAULT, LONGER[1], LONGER[0]]
PLANS = {
    "imdb": [Phase(IMDB_SETTINGS, ["meanpool"], [1]), Phase(IMDB_SETTINGS, ["cnn"], [1]),
             Phase(IMDB_SETTINGS, ["meanpool"], [2]), Phase(IMDB_SETTINGS[:3], ["lstm"], [1])],
    "amazon": [Phase(AMAZON_SETTINGS, ["meanpool", "cnn"], [1, 2]), Phase(AMAZON_SETTINGS, ["lstm"], [1])],
}
QUICK_SETTINGS = [DEFAULT, Setting(vocab_max_size=500, percentile=99)]
QUICK = {"plan": [Phase(QUICK_SETTINGS, ["meanpool"], [1])],
         "data": {"sample": 600}, "train": {"epochs": 2, "patience": 1, "units": 16}}


@dataclass(frozen=True)
class Job:
    setting: Setting
    strategy: str
    architecture: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.setting.name}/{self.strategy}/{self.architecture}/seed{self.seed}"


def jobs(plan: list[Phase]) -> list[Job]:
    """The plan's cells in order, each once."""
    out = [Job(s, strategy, arch, seed) for p in plan for seed in p.seeds for arch in p.architectures
           for s in p.settings for strategy in STRATEGIES]
    return list(dict.fromkeys(out))


def project_overrides(dataset: str, setting: Setting, quick: bool) -> dict:
    """A setting's scratch-project params: the curves' data and train params of the
    dataset, only the GloVe vectors (the one variant the cells read)."""
    preset = PRESETS[dataset]["overrides"]
    data = {k: v for k, v in preset.get("data", {}).items() if k not in ("max_len", "max_len_percentile")}
    extra = {"data": {**data, **(QUICK["data"] if quick else {})}}
    train = merge_params({"train": dict(preset.get("train", {}))}, {"train": QUICK["train"]} if quick else {})
    return {**setting.overrides(extra["data"]), **train,
            "embeddings": {"variants": {"glove6b": GLOVE}, "track": False},
            "grid": {"strategies": STRATEGIES, "baseline": False}}


def data_facts(project: Path) -> dict:
    """What a setting's prepare resolved: the vocabulary and length cap used."""
    from embedlab.layout import Layout

    d = json.loads(Layout(project).data_report.read_text())
    return {"vocab_size": d["vocab_size"], "max_len": d["max_len"], "lengths": d.get("length"),
            "train_reviews": d["train"]["reviews"], "test_reviews": d["test"]["reviews"],
            "train_oov_rate": d["train"]["oov_rate"],
            "train_truncated": round(d["train"]["truncated"] / d["train"]["reviews"], 4)}


def fit(job: Job, project: Path, dataset: str) -> dict:
    """Fit one cell on the setting's prepared split; its row."""
    from embedlab import config
    from embedlab.layout import Layout
    from embedlab.train.fit import fit_cell
    from embedlab.train.grid import expand_grid, load_train, train_inputs
    from embedlab.train.metrics import cell_summary

    stage = load_train(project / "params.yaml")
    grid = stage.grid.model_copy(update={"strategies": [job.strategy], "architectures": [job.architecture],
                                         "seeds": [job.seed], "train_sizes": [config.ALL_TRAIN]})
    [cell] = expand_grid(grid)
    fitted = fit_cell(cell, stage.train, train_inputs([cell], Layout(project)))
    m = cell_summary(fitted)
    facts = data_facts(project)
    p, n = m["test_accuracy"], len(fitted.y_test)
    return {"dataset": dataset, "setting": job.setting.name, "strategy": job.strategy,
            "architecture": job.architecture, "seed": job.seed,
            "vocab_max_size": job.setting.vocab_max_size, "max_len": facts["max_len"],
            "percentile": None if job.setting.max_len else job.setting.percentile,
            "vocab_size": facts["vocab_size"], "train_oov_rate": facts["train_oov_rate"],
            "train_truncated": facts["train_truncated"],
            "test_accuracy": round(p, 4), "test_se": round(math.sqrt(p * (1 - p) / n), 4),
            "best_val_accuracy": round(m["best_val_accuracy"], 4), "epochs_run": int(m["epochs_run"]),
            "fit_seconds": round(fitted.seconds, 1), "params_trainable": int(m["params_trainable"]),
            "commit": commit()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", choices=sorted(PLANS), required=True)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 600 reviews, two settings, meanpool")
    ap.add_argument("--budget-minutes", type=float, default=None,
                    help="start no cell the estimate says would end past this many minutes")
    ap.add_argument("--fresh", action="store_true", help="forget the cached rows and projects")
    args = ap.parse_args()

    from embedlab.runtime import configure_env

    configure_env()   # one TensorFlow thread, AVX2 kernels: the train stage's numbers
    work = CACHE / f"capacity-{args.dataset}{'-quick' if args.quick else ''}"
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    todo = jobs(QUICK["plan"] if args.quick else PLANS[args.dataset])
    log = work / "rows.jsonl"
    rows = {r["key"]: r for r in map(json.loads, log.read_text().splitlines())} if log.exists() else {}
    command = "python -m benchmarks.capacity " + " ".join(sys.argv[1:])
    settings: dict[str, dict] = {}   # prepared in this run
    seconds: dict[str, list[float]] = {}
    t0 = time.perf_counter()

    def kinds(pending: list[Job]) -> list[str]:
        fresh = {j.setting.name for j in pending} - set(settings)
        return [j.architecture for j in pending] + ["prepare"] * len(fresh)

    pending = [j for j in todo if j.key not in rows]
    not_run: list[str] = []
    print(f"{len(todo)} cells, {len(todo) - len(pending)} done before", flush=True)
    for k, job in enumerate(pending, 1):
        elapsed = time.perf_counter() - t0
        if args.budget_minutes is not None and seconds and \
                elapsed + estimate_seconds(seconds, kinds([job]), RELATIVE_COST) > 60 * args.budget_minutes:
            not_run = [j.key for j in pending[k - 1:]]
            print(f"budget of {args.budget_minutes:g} min: not run: {', '.join(not_run)}", flush=True)
            break
        name = job.setting.name
        if name not in settings:
            s0 = time.perf_counter()
            project = staged_project(work / name / "proj",
                                     project_overrides(args.dataset, job.setting, args.quick), "embeddings")
            settings[name] = {"setting": asdict(job.setting), "name": name, "project": str(project),
                              "stages_seconds": round(time.perf_counter() - s0, 1), **data_facts(project)}
            (work / name / "setting.json").write_text(json.dumps(settings[name], indent=2))
            seconds.setdefault("prepare", []).append(time.perf_counter() - s0)
        row = fit(job, Path(settings[name]["project"]), args.dataset)
        rows[job.key] = {"key": job.key, **row}
        with open(log, "a") as fh:
            fh.write(json.dumps(rows[job.key]) + "\n")
        seconds.setdefault(job.architecture, []).append(row["fit_seconds"])
        elapsed = time.perf_counter() - t0
        left = estimate_seconds(seconds, kinds(pending[k:]), RELATIVE_COST)
        print(f"[{k}/{len(pending)}] {job.key}: val {row['best_val_accuracy']:.4f} test "
              f"{row['test_accuracy']:.4f} ({row['epochs_run']} epochs, {row['fit_seconds']:.0f} s); "
              f"elapsed {elapsed / 60:.1f} min, about {left / 60:.0f} min left", flush=True)
        write(args, command, work, rows, not_run, elapsed)
    write(args, command, work, rows, not_run, time.perf_counter() - t0)
    print(f"-> {work} ({len(rows)} rows)")


def write(args, command: str, work: Path, rows: dict, not_run: list[str], elapsed: float) -> None:
    """The results so far: every setting prepared (this run or an earlier one) and every row."""
    settings = [json.loads(p.read_text()) for p in sorted(work.glob("*/setting.json"))]
    figures = {"dataset": args.dataset, "commit": commit(),
               "params": project_overrides(args.dataset, DEFAULT, args.quick),
               "params_note": "each setting replaces data.max_len / data.max_len_percentile and vocab.max_size",
               "settings": settings, "wall_seconds_this_run": round(elapsed, 1), "not_run": not_run,
               "rows": [{k: v for k, v in r.items() if k != "key"} for r in rows.values()]}
    if args.quick:
        out = work / "capacity.json"
        out.write_text(json.dumps({"command": command, "figures": figures}, indent=2))
        print(f"-> {out}")
        return
    with contextlib.redirect_stdout(io.StringIO()):   # save() prints the figures: once, at the end
        save(f"capacity_{args.dataset}", figures, command)


if __name__ == "__main__":
    main()
