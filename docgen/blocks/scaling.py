"""docs/scaling.md's block: runners compared and the train stage's growth."""

from __future__ import annotations

from docgen.registry import block

DOCUMENT = "docs/scaling.md"


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
