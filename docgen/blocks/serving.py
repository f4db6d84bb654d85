"""docs/serving.md's blocks: the serving speed and the evaluate settings."""

from __future__ import annotations

from docgen.registry import block
from docgen.text import para, params_section

DOCUMENT = "docs/serving.md"


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


block("params-evaluate", "params.yaml")(lambda params: params_section(params, "evaluate"))
