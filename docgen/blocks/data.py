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
