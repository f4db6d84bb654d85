"""Every figure of the pipeline (PNG; the report's are DVC image plots).

DVC's own HTML plots load vega from a CDN and render nothing offline, so the
figures are matplotlib images. Every function writes its file atomically and
always writes one: a grid without, say, a fine-tuned Word2Vec table gets an
image that says so, which keeps the DVC outputs stable. Figures are built with
matplotlib's object API, not pyplot: pyplot's global state is not thread-safe,
and cells may train in threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from embedlab import fileio


def _subplots(width: float, height: float, rows: int = 1, cols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols)


def _save(fig, path: Path, dpi: int = 110) -> None:
    fig.tight_layout()
    with fileio.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)


def _empty(path: Path, title: str, message: str) -> None:
    fig, ax = _subplots(6, 2)
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.45, message, ha="center", va="center", fontsize=10, wrap=True)
    _save(fig, path)


def heatmap(table: pd.DataFrame, path: Path, metric: str = "test_accuracy") -> pd.DataFrame:
    """Strategy x architecture grid of ``metric`` (mean over seeds, ± std annotated)."""
    mean = table.pivot_table(index="strategy", columns="architecture", values=metric, aggfunc="mean")
    std = table.pivot_table(index="strategy", columns="architecture", values=metric,
                            aggfunc=lambda s: float(np.nan_to_num(s.std())))
    mean = mean.loc[mean.mean(axis=1).sort_values(ascending=False).index]
    std = std.reindex(index=mean.index, columns=mean.columns)
    fig, ax = _subplots(1.6 * len(mean.columns) + 2.8, 0.55 * len(mean) + 1.6)
    im = ax.imshow(mean.to_numpy(dtype=float), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(mean.columns)), mean.columns)
    ax.set_yticks(range(len(mean.index)), mean.index)
    values = mean.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.3f}\n±{std.iat[i, j]:.3f}", ha="center", va="center", fontsize=8,
                        color="white" if v < mid else "black")
    fig.colorbar(im, ax=ax, label=metric.replace("_", " "))
    ax.set_title(f"{metric.replace('_', ' ')}: strategy × architecture (mean ± std over seeds)")
    _save(fig, path)
    return mean


def seed_bars(table: pd.DataFrame, path: Path, baseline: dict | None = None,
              metric: str = "test_accuracy") -> None:
    """Grouped bars: one group per strategy, one bar per architecture, error bar = std across seeds."""
    agg = table.groupby(["strategy", "architecture"])[metric].agg(["mean", "std", "count"]).reset_index()
    strategies = (agg.groupby("strategy")["mean"].mean().sort_values(ascending=False).index.tolist())
    archs = sorted(agg["architecture"].unique())
    width = 0.8 / max(len(archs), 1)
    fig, ax = _subplots(max(6.0, 1.3 * len(strategies) * max(1, len(archs)) ** 0.5 + 2), 4)
    x = np.arange(len(strategies))
    for k, arch in enumerate(archs):
        sub = agg[agg["architecture"] == arch].set_index("strategy").reindex(strategies)
        ax.bar(x + (k - (len(archs) - 1) / 2) * width, sub["mean"], width,
               yerr=np.nan_to_num(sub["std"].to_numpy(dtype=float)), capsize=3, label=arch)
    if baseline and metric in baseline:
        ax.axhline(baseline[metric], color="#C44E52", ls="--",
                   label=f"TF-IDF + logistic regression {baseline[metric]:.3f}")
    seeds = int(agg["count"].max()) if len(agg) else 0
    lo = np.nanmin(agg["mean"] - np.nan_to_num(agg["std"])) if len(agg) else 0
    ax.set_ylim(max(0.0, lo - 0.05), 1.0)
    ax.set_xticks(x, strategies, rotation=20, ha="right")
    ax.set_ylabel(f"{metric.replace('_', ' ')} (error bar: std over {seeds} seed{'s' if seeds != 1 else ''})")
    ax.set_title("Seed-to-seed spread per strategy and architecture")
    ax.legend(fontsize=8, loc="best", framealpha=0.9)
    _save(fig, path)


def learning_curves(histories: dict[tuple[str, str, int], dict[str, list[float]]], path: Path) -> None:
    """Validation loss and accuracy per epoch; one line per strategy (mean over its
    cells at each epoch; early-stopped cells drop out), thin lines for the cells."""
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    if not histories:
        _empty(path, "Learning curves", "no training history found for this grid")
        return
    strategies = sorted({k[0] for k in histories})
    colors = {s: colormaps["tab10"](i % 10) for i, s in enumerate(strategies)}
    panels = [("val_loss", "validation loss"), ("val_accuracy", "validation accuracy")]
    fig, axes = _subplots(11, 4, 1, 2)
    for ax, (key, label) in zip(axes, panels):
        for s in strategies:
            curves = [h[key] for (st, _, _), h in histories.items() if st == s and h.get(key)]
            if not curves:
                continue
            for c in curves:
                ax.plot(range(1, len(c) + 1), c, color=colors[s], alpha=0.25, lw=0.8)
            longest = max(len(c) for c in curves)
            mean = [np.mean([c[e] for c in curves if len(c) > e]) for e in range(longest)]
            ax.plot(range(1, longest + 1), mean, color=colors[s], lw=2.2, marker="o", ms=3,
                    label=f"{s} ({len(curves)} run{'s' if len(curves) != 1 else ''})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    fig.suptitle("Learning curves by strategy (thick: mean over architectures and seeds)")
    _save(fig, path)


def embedding_drift(drift: dict[tuple[str, str, int], dict[str, np.ndarray]], path: Path) -> None:
    """How far fine-tuning moved each Word2Vec row: distribution of per-row L2 change."""
    pooled: dict[str, list[np.ndarray]] = {}
    for (strategy, _, _), tables in drift.items():
        for table, rows in tables.items():
            label = strategy if table == "embedding" else f"{strategy} ({table})"
            pooled.setdefault(label, []).append(np.asarray(rows, dtype=float))
    if not pooled:
        _empty(path, "Embedding drift",
               "no fine-tuned Word2Vec table in this grid\n(add w2v_finetuned to grid.strategies)")
        return
    fig, ax = _subplots(7, 4)
    for label, parts in sorted(pooled.items()):
        rows = np.sort(np.concatenate(parts))
        ecdf = np.arange(1, len(rows) + 1) / len(rows)
        ax.plot(rows, ecdf, lw=1.8,
                label=f"{label}: median {np.median(rows):.3g}, moved {np.mean(rows > 1e-7):.0%}")
    positive = np.concatenate([np.concatenate(p) for p in pooled.values()])
    if (positive > 0).any():
        ax.set_xscale("symlog", linthresh=max(float(np.percentile(positive[positive > 0], 5)), 1e-6))
    ax.set_xlabel("L2 change of a vocabulary row during training (row 0, padding, excluded)")
    ax.set_ylabel("share of rows ≤ x")
    ax.set_title("Embedding drift: what gradient descent did to the Word2Vec vectors")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    _save(fig, path)


def accuracy_by_strategy(summary: pd.DataFrame, baseline: dict | None, path: Path) -> None:
    """Bars of mean test accuracy per strategy (``evaluate.strategy_summary``), ± std."""
    summary = summary.sort_values("test_accuracy_mean")
    fig, ax = _subplots(7, 0.6 * len(summary) + 1.8)
    ax.barh(summary.index, summary["test_accuracy_mean"],
            xerr=np.nan_to_num(summary["test_accuracy_std"]), color="#4C72B0", capsize=4)
    for y, v in enumerate(summary["test_accuracy_mean"]):
        ax.text(v + 0.003, y, f"{v:.3f}", va="center", fontsize=9)
    if baseline and "test_accuracy" in baseline:
        ax.axvline(baseline["test_accuracy"], color="#C44E52", ls="--",
                   label=f"TF-IDF + logistic regression {baseline['test_accuracy']:.3f}")
    lo = min(summary["test_accuracy_mean"].min(), baseline.get("test_accuracy", 1) if baseline else 1)
    ax.set_xlim(max(0.0, lo - 0.1), 1.0)
    ax.set_xlabel("test accuracy (mean ± std over seeds and architectures)")
    ax.set_title("Embedding strategy vs test accuracy")
    if baseline:
        ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def lengths(path: Path, lengths_by_split: dict[str, np.ndarray], max_len: int, truncate: str) -> None:
    """Histogram of review lengths (tokens) per split, with the max_len cut."""
    everything = np.concatenate(list(lengths_by_split.values()))
    top = max(int(np.percentile(everything, 99.5)), max_len) + 1
    bins = np.linspace(0, top, 60)
    fig, ax = _subplots(7, 4)
    for name, values in lengths_by_split.items():
        ax.hist(np.minimum(values, top), bins=bins, histtype="step", density=True,
                label=f"{name} (n={len(values):,})", linewidth=1.4)
    train = lengths_by_split["train"]
    truncated = float((train > max_len).mean()) if len(train) else 0.0
    ax.axvline(max_len, color="black", linestyle="--",
               label=f"max_len {max_len} ({truncated:.1%} of train cut, {truncate})")
    ax.set_xlabel("review length (tokens); the last bin holds longer reviews")
    ax.set_ylabel("density")
    ax.set_title("Review lengths per split")
    ax.legend(fontsize=8)
    _save(fig, path, dpi=100)


def cell_learning_curves(history: dict[str, list[float]], title: str, path: Path) -> None:
    """One cell's loss and accuracy per epoch, train vs validation."""
    fig, axes = _subplots(9, 3.5, 1, 2)
    best = int(np.argmin(history["val_loss"])) if history.get("val_loss") else None
    for ax, key in zip(axes, ("loss", "accuracy")):
        for split, style in (("", "-"), ("val_", "--")):
            values = history.get(f"{split}{key}")
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o",
                        label="validation" if split else "train")
        if best is not None:
            ax.axvline(best + 1, color="grey", lw=0.8, ls=":", label="best (restored)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    _save(fig, path, dpi=100)


def confusion(y: np.ndarray, prob: np.ndarray, title: str, path: Path) -> None:
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y, (prob >= 0.5).astype(int), labels=[0, 1])
    fig, ax = _subplots(4, 3.6)
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks([0, 1], ["negative", "positive"])
    ax.set_yticks([0, 1], ["negative", "positive"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    _save(fig, path, dpi=100)


def _size_labels(ticks: list[tuple[int, object]]) -> list[str]:
    """Tick labels of the train sizes; a size too close to the one before it on the
    log axis (3,000 and all = 3,978) goes one line lower, so the two do not overlap."""
    labels, previous = [], None
    for n, size in ticks:
        text = f"{n:,}" + (" (all)" if size == "all" else "")
        labels.append(("\n" if previous and n / previous < 1.8 else "") + text)
        previous = n
    return labels


def labeled_size_curve(curve: dict, path: Path) -> None:
    """Test accuracy vs labeled train size (log x; ``reports/curve.json``): one
    panel pooled over architectures and one per architecture; a line per strategy
    (mean over seeds) with a band from the lowest to the highest seed; TF-IDF dashed."""
    from matplotlib import colormaps

    if len(curve["sizes"]) < 2:
        _empty(path, "Accuracy vs labeled train size", "one train size in this grid: list several in "
               "grid.train_sizes,\ne.g. [100, 300, 1000, all], to draw the curve")
        return
    pts = pd.DataFrame(curve["points"])
    panels = list(dict.fromkeys(pts["architecture"]))
    if len(panels) == 2:  # one architecture: its panel is the pooled one
        panels = panels[1:]
    strategies = sorted(pts["strategy"].unique())
    colors = {s: colormaps["tab10"](i % 10) for i, s in enumerate(strategies)}
    cols = min(len(panels), 3)
    rows = -(-len(panels) // cols)
    fig, axes = _subplots(max(5.5 * cols, 8), 4 * rows + 0.6, rows, cols)
    ticks = list(zip(curve["train_examples"], curve["sizes"]))
    axes = np.atleast_1d(axes).ravel()
    ref = pd.DataFrame(curve.get("reference") or [])
    for ax, arch in zip(axes, panels):
        for s in strategies:
            sub = pts[(pts["architecture"] == arch) & (pts["strategy"] == s)].sort_values("train_examples")
            if len(sub):
                ax.plot(sub["train_examples"], sub["test_accuracy_mean"], marker="o", ms=3, lw=1.8,
                        color=colors[s], label=s)
                ax.fill_between(sub["train_examples"], sub["test_accuracy_min"], sub["test_accuracy_max"],
                                color=colors[s], alpha=0.15, lw=0)
        if len(ref):
            ref = ref.sort_values("train_examples")
            ax.plot(ref["train_examples"], ref["test_accuracy_mean"], "k--", lw=1.4, label="TF-IDF + LR")
            ax.fill_between(ref["train_examples"], ref["test_accuracy_min"], ref["test_accuracy_max"],
                            color="k", alpha=0.08, lw=0)
        ax.set_xscale("log")
        ax.set_xticks([n for n, _ in ticks], _size_labels(ticks), fontsize=8)
        ax.minorticks_off()
        ax.set_title("all architectures (mean)" if arch == "all" else arch)
        ax.set_xlabel("labeled training reviews (log scale)")
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3, which="both")
    for ax in axes[len(panels):]:
        ax.axis("off")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Accuracy vs labeled train size\n(line: mean over seeds; band: lowest to highest seed)",
                 fontsize=11)
    _save(fig, path)


def answer_curve(answer: dict, path: Path) -> None:
    """The answer page's figure (``reports/answer.json``): test accuracy vs labeled
    reviews, one line per strategy at its architecture chosen on validation at each
    size (mean over seeds, band from the lowest to the highest seed), TF-IDF dashed.
    One size draws points; the x axis is logarithmic either way."""
    from matplotlib import colormaps

    fig, ax = _subplots(8, 4.6)
    for i, line in enumerate(answer["curve"]):
        pts = sorted(line["points"], key=lambda p: p["train_examples"])
        x = [p["train_examples"] for p in pts]
        color = colormaps["tab10"](i % 10)
        ax.plot(x, [p["test_accuracy"] for p in pts], marker="o", ms=4, lw=1.8, color=color,
                label=line["strategy"])
        lows, highs = [p["test_accuracy_min"] for p in pts], [p["test_accuracy_max"] for p in pts]
        ax.fill_between(x, lows, highs, color=color, alpha=0.15, lw=0)
        ax.vlines(x, lows, highs, color=color, alpha=0.6, lw=1.2)   # the spread, visible at one size too
    ref = sorted(answer.get("reference") or [], key=lambda r: r["train_examples"])
    if ref:
        x = [r["train_examples"] for r in ref]
        ax.plot(x, [r["test_accuracy"] for r in ref], "k--", marker="s", ms=3, lw=1.4, label="TF-IDF + LR")
        ax.fill_between(x, [r["test_accuracy_min"] for r in ref], [r["test_accuracy_max"] for r in ref],
                        color="k", alpha=0.08, lw=0)
    ticks = list(zip(answer["train_examples"], answer["sizes"]))
    ax.set_xscale("log")
    ax.set_xticks([n for n, _ in ticks], _size_labels(ticks), fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("labeled reviews (log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Test accuracy vs labeled reviews (each strategy at its architecture chosen on validation;\n"
                 "point: mean over seeds, bar and band: lowest to highest seed)", fontsize=10)
    _save(fig, path)
