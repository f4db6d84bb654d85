"""docs/benchmarks/training.md's blocks: the train stage, examples per second, one cell's profile."""

from __future__ import annotations

from docgen.registry import block
from docgen.text import para, pct

DOCUMENT = "docs/benchmarks/training.md"


@block("training-stage", "benchmarks/results/train_stage.json")
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
