"""docs/grid.md's blocks: the grid's settings, registries, cost, results and drift."""

from __future__ import annotations

import math

import pandas as pd

from docgen.registry import block
from docgen.text import para, params_section

DOCUMENT = "docs/grid.md"


@block("params-grid", "params.yaml")
def params_grid(params: str) -> str:
    import yaml

    g = yaml.safe_load(params)["grid"]
    n = len(g["strategies"]) * len(g["architectures"]) * len(g["seeds"])
    return (f"The shipped grid ({len(g['strategies'])} strategies × {len(g['architectures'])} architectures × "
            f"{len(g['seeds'])} seeds = {n} cells):\n\n" + params_section(params, "grid"))


@block("grid-cost", "benchmarks/results/clean_clone_bootstrap.json")
def grid_cost(clean: dict) -> str:
    run = clean["figures"]["latest"]
    fit = run["fit_seconds"]
    if not fit:   # a run recorded before the benchmark kept fit times
        return para(f"The README's first command, venv and every stage included, took "
                    f"{run['first_command_minutes']:.1f} min on a {run['cores']}-core machine ({run['cpu']}; "
                    f"`{clean['command']}`); that run recorded no per-cell fit times.")
    archs = sorted(fit)
    cells = [f"{fit[a]['mean']:.0f} s ({fit[a]['min']:.0f}–{fit[a]['max']:.0f} s)" for a in archs]
    trained = sum(fit[a]["cells"] for a in archs)
    total = sum(fit[a]["mean"] * fit[a]["cells"] for a in archs)
    return "\n".join([
        "| | " + " | ".join(archs) + " |", "|---|" + "---|" * len(archs),
        "| time inside `fit` per cell, mean (range) | " + " | ".join(cells) + " |", "",
        para(f"The fresh clone trained {trained} cells, {total / 60:.1f} min inside `fit` in all; the "
             f"README's first command, venv and every stage included, took {run['first_command_minutes']:.1f} "
             f"min on a {run['cores']}-core machine ({run['cpu']}, 1-minute load average "
             f"{run['load_average_1min_before']} before it; `{clean['command']}`).")])


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


@block("architecture-table", "src/embedlab/train/architectures.py")
def architecture_table(_source: str) -> str:
    """docs/grid.md's architecture table, read from the architecture registry."""
    from embedlab.train.architectures import ARCHITECTURES

    rows = ["| architecture | layers after the embedding → sigmoid | regularised by | "
            "uses the padding mask |", "|---|---|---|---|"]
    rows += [f"| `{a.name}` | {a.layers} | "
             f"{'L2 on the output kernel (`train.l2`)' if a.linear else 'dropout on the embedding output (`train.dropout`)'}"
             f" | {'yes' if a.masked else 'no'} |" for a in ARCHITECTURES.values()]
    return "\n".join(rows)
