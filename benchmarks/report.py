"""Regenerate docs/benchmarks.md from benchmarks/results/*.json.

    python -m benchmarks report

Each row reads the figures of one results file; a row whose file is missing says
"not measured yet" and names the command that produces it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from benchmarks.common import ROOT, RESULTS

DOC = ROOT / "docs" / "benchmarks.md"


def _load(name: str) -> dict | None:
    """A results file in the common shape {benchmark, date, command, machine, figures}.

    Two scripts keep their own shapes: prepare_scale (a list, one entry per run,
    appended) and serving (the figures at the top level); both are adapted here."""
    import datetime as dt

    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    if isinstance(raw, dict) and "figures" in raw:
        return raw
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
    if isinstance(raw, list):  # prepare_scale: keep the latest run per input size
        latest = {}
        for run in raw:
            latest[run["reviews_in"]] = run
        runs = [latest[k] for k in sorted(latest)]
        m = runs[-1] if runs else {}
        return {"benchmark": name, "date": m.get("date", mtime), "command": f"python -m benchmarks.{name}",
                "machine": {"cores": m.get("cpus"), "python": m.get("python")}, "figures": {"runs": runs}}
    m = raw.get("machine", {})
    return {"benchmark": name, "date": raw.get("date", mtime), "command": f"python -m benchmarks.{name}",
            "machine": {"cores": m.get("cpus"), "python": m.get("python")}, "figures": raw}


def _get(d: dict, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


Row = tuple[str, str, str, str, Callable[[dict], tuple[str, bool | None]]]


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
    return (f"{f['stage_seconds']['baseline'] / 60:.1f} → {f['stage_seconds']['new'] / 60:.1f} min = "
            f"{f['stage_speedup']:.2f}×; accuracy per strategy: "
            + ", ".join(f"{s} {a['verdict']}" for s, a in f["test_accuracy_by_strategy"].items()),
            f["stage_speedup"] >= 2 and accuracy_ok)


def _startup(f):
    parts = [f"{stage}: " + " / ".join(f"{m} {v['overhead_median']:.1f} s" for m, v in modes.items())
             for stage, modes in f["stages"].items()]
    return "; ".join(parts) + f" (shared server starts once: {f['shared_server_start_seconds']:.1f} s)", None


ROWS: list[Row] = [
    ("`dvc repro` when nothing changed", "—", "≤ 2 s", "repro", _repro_noop),
    ("changing one training param (`train.epochs`)", "which stages rerun", "only train, evaluate", "repro", _param_change),
    ("Word2Vec stage words/s", "bare gensim, same corpus and params", "≥ 0.9×", "word2vec_speed", _w2v),
    ("training examples/s, default LSTM cell", "original question's LSTM(128), recurrent_dropout=0.2", "≥ 2× at ≥ val accuracy", "training_speed", _train_speed),
    ("pyfunc batch inference, champion", "—", "≥ 5,000 reviews/s (meanpool/CNN)", "serving", _pyfunc),
    ("served model, single review latency", "—", "p50 ≤ 30 ms", "serving", _latency),
    ("`prepare` on 100k / 1M reviews: time, peak memory", "—", "linear; < 2 GB at 1M", "prepare_scale", _prepare),
    # The stricter form of "whole default dvc repro from a clean clone": the clock
    # also runs while the venv is created (`python -m benchmarks.clean_clone`
    # alone times `dvc repro` with this venv).
    ("whole default `dvc repro` from a clean clone, via the README's first command (venv included)",
     "—", "≤ 7 min (issue 14)", "clean_clone_bootstrap", _clean),
    ("`train` stage, default grid (30 cells)", "baseline commit, same run", "≥ 2× at accuracy within noise",
     "train_speed", _train_stage),
    ("a stage's overhead around its flow (Prefect server, imports, exit)",
     "baseline commit, same run", "—", "stage_startup", _startup),
]


def main() -> None:
    lines = ["# Benchmarks", "",
             "Generated by `python -m benchmarks report` from `benchmarks/results/*.json`;",
             "each figure comes from the command in its row's results file. No benchmark is a",
             "timed test: they print figures, and ratios are measured against a baseline in the",
             "same run because the machine is shared and noisy.", ""]
    machines = set()
    lines += ["| figure | baseline (same run) | target | measured | met | date | command |",
              "|---|---|---|---|---|---|---|"]
    for figure, baseline, target, name, fmt in ROWS:
        res = _load(name)
        if res is None:
            lines.append(f"| {figure} | {baseline} | {target} | not measured yet | — | — | `python -m benchmarks.{name}` |")
            continue
        try:
            measured, ok = fmt(res["figures"])
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            measured, ok = f"unreadable results ({exc})", None
        met = {True: "yes", False: "**no**", None: "—"}[ok]
        m = res.get("machine", {})
        machines.add(f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, Python {m.get('python')}")
        lines.append(f"| {figure} | {baseline} | {target} | {measured} | {met} | {res['date'][:10]} | `{res['command']}` |")
    lines += ["", "Machines: " + "; ".join(sorted(machines)) if machines else "", ""]

    imdb = _load("imdb")
    lines += ["## Accuracy against published anchors", ""]
    if imdb:
        f = imdb["figures"]
        lines += [f"IMDB, {f['reviews']:,} reviews (80/10/10 split), {f['epochs']} epochs, max_len {f['max_len']}, "
                  f"one seed; `{imdb['command']}` ({f['seconds'] / 60:.1f} min). Anchors: LSTM-class models "
                  "88–89 %, NBSVM-bigram 91.2 %.", "",
                  "| strategy | test accuracy (mean over architectures) |", "|---|---|"]
        for s, v in sorted((f.get("strategies") or {}).items(), key=lambda kv: -kv[1]["test_accuracy_mean"]):
            lines.append(f"| {s} | {v['test_accuracy_mean']:.3f} ± {v['test_accuracy_std']:.3f} |")
        base = f.get("baseline_tfidf_logreg") or {}
        if base:
            lines.append(f"| TF-IDF + logistic regression | {base.get('test_accuracy', float('nan')):.3f} |")
        lines.append("")
    else:
        lines += ["Not measured yet: `python -m benchmarks.imdb`.", ""]
    from benchmarks.report_training import render

    lines += [*render(_load), ""]
    lines += ["## Raw results", ""]
    for path in sorted(RESULTS.glob("*.json")):
        res = _load(path.stem)
        figs = {k: v for k, v in res.get("figures", {}).items() if k != "grid_csv"}
        lines += [f"### {res.get('benchmark', path.stem)}", "", f"`{res.get('command')}` on {res.get('date')}", "",
                  "```json", json.dumps(figs, indent=2)[:4000], "```", ""]
    from embedlab import fileio

    fileio.write_text(DOC, "\n".join(lines))
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
