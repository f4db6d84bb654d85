"""docs/data.md's blocks: the data settings, `max_len` and `prepare` at scale."""

from __future__ import annotations

from docgen.registry import block
from docgen.text import para, params_section, result

DOCUMENT = "docs/data.md"


@block("prepare-scale", "benchmarks/results/prepare_scale.json")
def prepare_scale(raw: list) -> str:
    res = result("prepare_scale", raw)
    runs = res["figures"]["runs"]
    rows = [f"| {r['reviews_in']:,} | {r['input_mib_gz']:.0f} MiB | {r['reviews_out']:,} | {r['seconds']:.0f} s "
            f"| {r['peak_rss_mb']:,.0f} MB | {r['date'][:10]} |" for r in runs]
    return "\n".join([f"On a {res['machine']['cores']}-core machine (`{res['command']}`, latest run per size):", "",
                      "| reviews in (`.jsonl.gz`) | size | reviews out | time | peak resident memory | date |",
                      "|---:|---:|---:|---:|---:|---|", *rows])


@block("max-len", "reports/data.json")
def max_len(data: dict) -> str:
    ln = data["length"]
    return para(f"On the default data the 90th percentile of train review lengths is {ln['p90']} tokens and the "
            f"95th is {ln['p95']} (median {ln['p50']}, longest {ln['max']:,}); `max_len` is {data['max_len']}, "
            f"and {data['train']['truncated']} of {data['train']['reviews']:,} train reviews are truncated.")


block("params-data", "params.yaml")(lambda params: params_section(params, "data", "vocab"))


def _capacity_table(res: dict) -> list[str]:
    """Rows: capacity settings; columns: the cells run in every setting; a cell: test accuracy
    (fit seconds relative to the default setting, the same cell)."""
    f = res["figures"]
    rows = f["rows"]
    cells = sorted({(r["strategy"], r["architecture"], r["seed"]) for r in rows})
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    by = {(r["setting"], r["strategy"], r["architecture"], r["seed"]): r for r in rows}
    base = settings[0]
    head = " | ".join(f"{s} / {a} / seed {d}" for s, a, d in cells)
    out = [f"| vocabulary, `max_len` | {head} |", "|---|" + "---:|" * len(cells)]
    for st in settings:
        any_row = next(r for r in rows if r["setting"] == st)
        vals = []
        for key in cells:
            r, b = by.get((st, *key)), by.get((base, *key))
            vals.append("—" if r is None else f"{100 * r['test_accuracy']:.1f}" +
                        (f" ({r['fit_seconds'] / b['fit_seconds']:.1f}× time)" if b and st != base else ""))
        out.append(f"| {any_row['vocab_max_size']:,}, {any_row['max_len']} | " + " | ".join(vals) + " |")
    return out + ["", para(f"`{res['command']}`, {f['dataset']}; one run per cell, {len(f['not_run'])} "
                           f"cells of the plan not run ({f['wall_seconds_this_run'] / 60:.0f} min in the last run).")]


@block("capacity", "benchmarks/results/capacity_imdb.json", "benchmarks/results/capacity_amazon.json")
def capacity(imdb: dict, amazon: dict) -> str:
    """Test accuracy per vocabulary size and length cap, each cell against itself."""
    return "\n".join(["**IMDB** (test: 4,958 reviews, one standard error ≈ 0.4 points)", "",
                      *_capacity_table(imdb), "", "**Amazon** (test: 497 reviews, one standard error ≈ 1.8 points)",
                      "", *_capacity_table(amazon)])
