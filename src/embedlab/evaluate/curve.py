"""The learning curve over labeled train size (``grid.train_sizes``).

Accuracy per (strategy, architecture, size) with its spread over seeds, the
TF-IDF reference at each size, and the answer to "when does pretraining pay?":
for every strategy that starts from vectors, its paired comparison with
``learned`` at each size and the crossover that follows from them
(``stats.Crossover``), pooled over architectures and per architecture. At each
size the best network (chosen on validation) is also compared with TF-IDF.
Everything lands in ``reports/curve.json``; the report and ``docs/answer.md``
are written from it.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from embedlab import strategies
from embedlab.config import ALL_TRAIN, size_order
from embedlab.predictions import sizes_of, still_improving
from embedlab.stats import Crossover, CurvePoint, compare

LEARNED = strategies.LEARNED
REFERENCE = "tfidf_logreg"
POOLED = "all"  # the ``architecture`` of rows pooled over architectures


def examples_at(table: pd.DataFrame) -> dict:
    """train size -> labeled reviews at that size (``all``: the train split's count)."""
    return {s: int(table.loc[table["train_size"] == s, "train_examples"].max()) for s in sizes_of(table)}


def _spread(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, std, min and max of test accuracy over seeds, plus mean ROC AUC."""
    agg = frame.groupby(by, sort=False).agg(
        train_examples=("train_examples", "max"), seeds=("seed", "nunique"),
        test_accuracy_mean=("test_accuracy", "mean"), test_accuracy_std=("test_accuracy", "std"),
        test_accuracy_min=("test_accuracy", "min"), test_accuracy_max=("test_accuracy", "max"),
        test_roc_auc_mean=("test_roc_auc", "mean")).reset_index()
    agg["test_accuracy_std"] = agg["test_accuracy_std"].fillna(0.0)
    agg["_order"] = agg["train_size"].map(size_order)
    return agg.sort_values([*[b for b in by if b != "train_size"], "_order"]).drop(columns="_order")


def points(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (strategy, architecture, train size): accuracy over seeds; and
    per (strategy, train size) with ``architecture`` "all": each seed's mean over
    the architectures, then its spread over seeds."""
    per_seed = (table.groupby(["strategy", "train_size", "seed"], sort=False)
                [["train_examples", "test_accuracy", "test_roc_auc"]].mean().reset_index())
    pooled = _spread(per_seed, ["strategy", "train_size"]).assign(architecture=POOLED)
    return pd.concat([pooled, _spread(table, ["strategy", "architecture", "train_size"])], ignore_index=True)


def reference_points(baselines: list[dict]) -> pd.DataFrame:
    """One row per train size: the TF-IDF reference over the seeds' subsets."""
    if not baselines:
        return pd.DataFrame()
    frame = pd.DataFrame(baselines).assign(seed=lambda d: d["seed"].fillna(0))
    return _spread(frame, ["train_size"])


def vector_strategies(table: pd.DataFrame) -> list[str]:
    """The grid's strategies (as labelled) that start from vectors, e.g. ``w2v_finetuned@glove6b``."""
    base = table.drop_duplicates("strategy").set_index("strategy")["base_strategy"]
    return sorted(s for s, b in base.items() if strategies.get(b).needs_vectors)


def _restrict(d: dict, size, architecture: str | None) -> dict:
    """(strategy, architecture, seed, size)-keyed outputs -> the 3-tuple keys ``stats`` pairs on."""
    return {k[:3]: v for k, v in d.items()
            if k[3] == size and (architecture is None or k[1] == architecture)}


def crossovers(table: pd.DataFrame, correct: dict, probs: dict, y: np.ndarray,
               n_boot: int = 4000) -> list[Crossover]:
    """Each vector strategy vs ``learned`` along the sizes: pooled over the
    architectures, then per architecture (when there are several)."""
    if LEARNED not in set(table["strategy"]) or table["train_size"].nunique() < 2:
        return []
    sizes, n = sizes_of(table), examples_at(table)
    archs = sorted(table["architecture"].unique())
    scopes = [None, *archs] if len(archs) > 1 else [None]
    out = []
    for a in vector_strategies(table):
        for arch in scopes:
            pts = []
            for s in sizes:
                c = compare(a, LEARNED, _restrict(correct, s, arch), _restrict(probs, s, arch), y, n_boot=n_boot)
                if c is not None:
                    pts.append(CurvePoint(s, n[s], c))
            if len(pts) > 1:
                out.append(Crossover(a, LEARNED, tuple(pts), arch or ""))
    return out


def best_network(table: pd.DataFrame, size) -> tuple[str, str]:
    """(strategy, architecture) with the best mean validation accuracy at ``size``:
    chosen on validation, so its test score is not optimistic."""
    at = table[table["train_size"] == size]
    mean = at.groupby(["strategy", "architecture"])["best_val_accuracy"].mean()
    return mean.idxmax()


def best_vs_reference(table: pd.DataFrame, correct: dict, probs: dict, y: np.ndarray,
                      ref_probs: dict, n_boot: int = 4000) -> list[dict]:
    """At each size: the best network vs TF-IDF, paired by seed on the same test
    reviews (the whole-split reference is the same for every seed)."""
    out = []
    for size, n in examples_at(table).items():
        strategy, arch = best_network(table, size)
        mine = {k: v for k, v in _restrict(correct, size, arch).items() if k[0] == strategy}
        pc, pp = dict(mine), {k: v for k, v in _restrict(probs, size, arch).items() if k[0] == strategy}
        for (_, _, seed) in mine:
            prob = ref_probs.get((size, None if size == ALL_TRAIN else seed))
            if prob is not None:
                pp[(REFERENCE, arch, seed)] = prob
                pc[(REFERENCE, arch, seed)] = (prob >= 0.5).astype(int) == y
        c = compare(strategy, REFERENCE, pc, pp, y, n_boot=n_boot)
        if c is not None:
            out.append({"train_size": size, "train_examples": n, "architecture": arch,
                        **asdict(c)})
    return out


def text_seen(n_train: int, embeddings_report: dict | None) -> str:
    """Which text the classifier and the vectors saw: the point of a labeled-size curve."""
    corpus = (embeddings_report or {}).get("corpus") or {}
    words = f" ({corpus['tokens']:,} tokens)" if corpus.get("tokens") else ""
    # The whole train split as the corpus counted it: a curve without `all` has no cell that big.
    n_train = ((corpus.get("sources") or {}).get("train") or {}).get("lines", n_train)
    return (f"A cell at size N is fitted on N labeled reviews: a stratified subset of the train split, "
            f"drawn per seed and nested (the reviews of a smaller N are among those of every larger "
            f"one); validation and test reviews are the same at every N. The vocabulary and every "
            f"Word2Vec variant trained here saw the text of all {n_train:,} train reviews{words} as "
            f"unlabeled text, whatever N; pretrained vectors saw their own corpus (the variants table).")


def analyse(table: pd.DataFrame, baselines: list[dict], correct: dict, probs: dict,
            y: np.ndarray, ref_probs: dict, embeddings_report: dict | None = None) -> dict:
    """The contents of ``reports/curve.json``."""
    n = examples_at(table)
    return {
        "sizes": sizes_of(table), "train_examples": [n[s] for s in sizes_of(table)],
        "text_seen": text_seen(max(n.values()), embeddings_report),
        "points": points(table).to_dict("records"),
        "reference": reference_points(baselines).to_dict("records"),
        "crossovers": [c.as_dict() for c in crossovers(table, correct, probs, y)],
        "best_vs_reference": best_vs_reference(table, correct, probs, y, ref_probs) if ref_probs else [],
        "still_improving": still_improving(table),
    }


# ------------------------------------------------------------------ Markdown
def size_label(size, examples: int) -> str:
    return f"N = {examples:,}" + (" (all)" if size == ALL_TRAIN else "")


def _cell(row) -> str:
    """Mean ± std over seeds; a single run (one seed, or TF-IDF on the whole split) has no spread to show."""
    mean = f"{row['test_accuracy_mean']:.3f}"
    return mean if row.get("seeds", 2) < 2 else f"{mean} ± {row['test_accuracy_std']:.3f}"


def accuracy_table(data: dict, architecture: str = POOLED) -> str:
    """Strategies × sizes (test accuracy, mean ± std over seeds; the mean alone for one run), TF-IDF last."""
    pts = pd.DataFrame(data["points"])
    pts = pts[pts["architecture"] == architecture]
    sizes = data["sizes"]
    heads = [size_label(s, n) for s, n in zip(sizes, data["train_examples"])]
    lines = ["| strategy | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(sizes)]
    for strategy, rows in pts.groupby("strategy", sort=True):
        by = {r["train_size"]: r for r in rows.to_dict("records")}
        lines.append(f"| `{strategy}` | " + " | ".join(_cell(by[s]) if s in by else "–" for s in sizes) + " |")
    if data.get("reference"):
        by = {r["train_size"]: r for r in data["reference"]}
        lines.append("| TF-IDF + logistic regression | "
                     + " | ".join(_cell(by[s]) if s in by else "–" for s in sizes) + " |")
    return "\n".join(lines)


def crossover_sentences(data: dict, scope: str = "") -> list[str]:
    """The crossover statements of one scope ("": pooled over architectures)."""
    return [Crossover.from_dict(c).sentence() for c in data["crossovers"] if c["scope"] == scope]


def reference_table(data: dict) -> str:
    """At each size: the best network (chosen on validation) vs TF-IDF, paired."""
    lines = ["| N | best network (on validation) | its test accuracy | TF-IDF + LR | difference, 95% CI | verdict |",
             "|---|---|---:|---:|---|---|"]
    for c in data["best_vs_reference"]:
        lines.append(f"| {size_label(c['train_size'], c['train_examples'])} | `{c['a']}` / {c['architecture']} | "
                     f"{c['accuracy_a']:.3f} | {c['accuracy_b']:.3f} | {100 * c['diff']:+.1f} points "
                     f"[{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}] | {c['verdict']} |")
    return "\n".join(lines)


def markdown(data: dict, plot: str) -> list[str]:
    """The report's section on the curve (nothing for a grid of one size)."""
    if len(data["sizes"]) < 2:
        return []
    archs = sorted({c["scope"] for c in data["crossovers"]} - {""})
    parts = ["## Accuracy vs labeled train size", "", data["text_seen"], "", f"![accuracy vs labeled size]({plot})",
             "", "Test accuracy, mean ± std over seeds (each seed's mean over the architectures):", "",
             accuracy_table(data), ""]
    if data["crossovers"]:
        parts += ["### When does starting from vectors pay?", "",
                  "Each strategy that starts from vectors against `learned`, paired on the same test "
                  "reviews at each size (95% bootstrap interval over reviews and architecture/seed pairs; "
                  "points = percentage points of accuracy). Pooled over architectures:", "",
                  *[f"- {x}" for x in crossover_sentences(data)], ""]
        if archs:
            parts += ["Per architecture:", "",
                      *[f"- {x}" for a in archs for x in crossover_sentences(data, a)], ""]
    if data["best_vs_reference"]:
        parts += ["### The best network vs TF-IDF + logistic regression", "", reference_table(data), ""]
    return parts + [improving_note(data), ""]


def improving_note(data: dict) -> str:
    """How many cells per size ended still improving (their last epoch was their best)."""
    counts = ", ".join(f"{c['cells']} of {c['of']} at {size_label(c['train_size'], n)}"
                       for c, n in zip(data["still_improving"], data["train_examples"]))
    return (f"Cells whose last epoch was their best (early stopping never fired; more epochs might have "
            f"helped them): {counts}.")
