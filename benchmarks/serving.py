"""Serving benchmark: pyfunc batch throughput and served single-review latency.

    python -m benchmarks.serving [--model-uri models:/review-sentiment@champion]
                                 [--reviews 2000] [--requests 200]

1. In-process: ``mlflow.pyfunc.load_model(uri).predict`` on a batch of raw
   reviews (tokenize + encode + Keras forward pass), best of ``--repeats``:
   reviews per second.
2. Served: ``mlflow models serve --env-manager local`` on 127.0.0.1, then
   ``--requests`` sequential POSTs of one review each to ``/invocations``:
   p50/p95 latency as a client sees it (HTTP + JSON + pyfunc).

Reviews come from ``data/prepared/test.parquet`` when present (real review
lengths), else from a few built-in ones. Results go to
``benchmarks/results/serving.json`` (written atomically) with the machine and
model they were measured on. Only loopback is used; the server is stopped by
PID in all cases.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

OUT = Path("benchmarks/results/serving.json")
FALLBACK = [
    "Delicious! My kids love these snacks and I will buy them again.",
    "Stale and tasteless. The package arrived broken, do not waste your money.",
    "Good coffee for the price, a bit bitter but strong and fresh.",
    "I expected more from this tea: bland, weak, and overpriced.",
]


def _reviews(n: int) -> tuple[list[str], str]:
    test = Path("data/prepared/test.parquet")
    if test.exists():
        import pandas as pd

        texts, source = pd.read_parquet(test, columns=["text"])["text"].tolist(), str(test)
    else:
        texts, source = FALLBACK, "built-in examples"
    return [texts[i % len(texts)] for i in range(n)], source


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run(model_uri: str, n_reviews: int, n_requests: int, repeats: int) -> dict:
    from embedlab import tracking
    from embedlab.runtime import configure_env
    from harness.serve import invoke, model_server

    configure_env()
    uri, _ = tracking.setup()
    import mlflow
    import pandas as pd

    reviews, source = _reviews(n_reviews)
    t0 = time.perf_counter()
    model = mlflow.pyfunc.load_model(model_uri)
    load_s = time.perf_counter() - t0
    model.predict(pd.DataFrame({"text": reviews[:64]}))  # warm-up: graph tracing
    batch_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = model.predict(pd.DataFrame({"text": reviews}))
        batch_times.append(time.perf_counter() - t0)
    assert len(out) == len(reviews)
    single = []
    for text in reviews[:50]:
        t0 = time.perf_counter()
        model.predict([text])
        single.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    with model_server(model_uri, env={"MLFLOW_TRACKING_URI": uri}) as base:
        startup_s = time.perf_counter() - t0
        for text in reviews[:5]:  # warm-up
            invoke(base, {"dataframe_split": {"columns": ["text"], "data": [[text]]}})
        latencies = []
        for i in range(n_requests):
            payload = {"dataframe_split": {"columns": ["text"], "data": [[reviews[i % len(reviews)]]]}}
            t0 = time.perf_counter()
            answer = invoke(base, payload)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert len(answer["predictions"]) == 1
    version = None
    if model_uri.startswith("models:/") and "@" in model_uri:
        name, alias = model_uri.removeprefix("models:/").split("@")
        version = mlflow.MlflowClient().get_model_version_by_alias(name, alias).version
    best = min(batch_times)
    return {
        "model_uri": model_uri,
        "model_version": str(version) if version is not None else None,
        "reviews_source": source,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": sys.version.split()[0],
                    "load_average_at_start": list(os.getloadavg())},
        "pyfunc": {"load_seconds": round(load_s, 3), "batch_size": len(reviews),
                   "batch_seconds_best": round(best, 4),
                   "batch_seconds_all": [round(t, 4) for t in batch_times],
                   "reviews_per_second": round(len(reviews) / best, 1),
                   "single_review_in_process_ms_p50": round(_pct(single, 0.5), 2)},
        "served": {"server_startup_seconds": round(startup_s, 1), "requests": n_requests,
                   "latency_ms_p50": round(_pct(latencies, 0.5), 2),
                   "latency_ms_p95": round(_pct(latencies, 0.95), 2),
                   "latency_ms_mean": round(statistics.fmean(latencies), 2),
                   "latency_ms_max": round(max(latencies), 2)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-uri", default="models:/review-sentiment@champion")
    parser.add_argument("--reviews", type=int, default=2000, help="batch size for throughput")
    parser.add_argument("--requests", type=int, default=200, help="single-review HTTP requests")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from embedlab import fileio

    result = run(args.model_uri, args.reviews, args.requests, args.repeats)
    fileio.write_json(args.out, result)
    p, s = result["pyfunc"], result["served"]
    print(f"pyfunc batch: {p['reviews_per_second']:.0f} reviews/s ({p['batch_size']} reviews in "
          f"{p['batch_seconds_best']:.3f} s); served single review: p50 {s['latency_ms_p50']:.1f} ms, "
          f"p95 {s['latency_ms_p95']:.1f} ms over {s['requests']} requests -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
