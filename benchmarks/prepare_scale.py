"""Time and peak memory of the prepare stage on large inputs.

Generates a McAuley-style ``.jsonl.gz`` of N reviews by resampling the embedded
Amazon Fine Food reviews (sentences of same-label reviews are mixed so that the
texts stay distinct and dedupe does not shrink the input to the 5,000 originals;
products and reviewers are drawn from large pools, star ratings 1-5 with neutral
3s), then runs ``prepare`` on it in a fresh process and reports wall time and
peak resident memory (``ru_maxrss`` of that process). Each run appends a row to
``benchmarks/results/prepare_scale.json``.

    python benchmarks/prepare_scale.py --sizes 100000 1000000

Not a test: minutes per million reviews.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "prepare_scale.json"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def generate(path: Path, n: int, seed: int = 0) -> None:
    """Write ``n`` synthetic-but-realistic McAuley review lines to ``path`` (gzip)."""
    from embedlab.sources import fine_foods_frame

    base = fine_foods_frame()
    rng = np.random.default_rng(seed)
    pools = {}
    for label in ("great", "other"):
        texts = base.loc[base["score"] == label, "review"].tolist()
        pools[label] = (texts, [s for t in texts for s in _SENTENCE.split(t) if s])
    labels = np.where(rng.random(n) < 0.65, "great", "other")
    stars_other = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.25, 0.25, 0.15])
    products = rng.integers(0, max(n // 20, 10), size=n)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        for i in range(n):
            texts, sentences = pools[labels[i]]
            source = _SENTENCE.split(texts[rng.integers(len(texts))])
            # Replace about half the sentences with random ones of the same class.
            mixed = [s if rng.random() < 0.5 else sentences[rng.integers(len(sentences))]
                     for s in source]
            text = " ".join(mixed)
            stars = 5 if labels[i] == "great" else int(stars_other[i])
            fh.write(json.dumps({
                "overall": float(stars), "verified": True,
                "reviewTime": "01 1, 2012", "reviewerID": f"A{rng.integers(10**9):09d}",
                "asin": f"B{products[i]:09d}", "reviewerName": "someone",
                "reviewText": text, "summary": " ".join(text.split()[:4]),
                "unixReviewTime": 1300000000 + i,
            }) + "\n")


def child(source: Path, workdir: Path) -> None:
    """Run prepare once in this process; print one JSON line with the figures."""
    from embedlab.config import DataParams, PrepareParams
    from embedlab.layout import Layout
    from embedlab.prepare.stage import prepare

    params = PrepareParams(data=DataParams(
        source=str(source), text_columns=["summary", "reviewText"], label_column="overall",
        group_column="asin", label={"positive_min": 4, "negative_max": 2}))
    t0 = time.perf_counter()
    report = prepare(params, Layout(workdir),
                     root=workdir, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
                      "reviews_out": report["reviews"], "rows_read": report["rows_read"],
                      "dropped_duplicates": report["dropped_duplicates"],
                      "vocab_size": report["vocab_size"], "max_len": report["max_len"]}))


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder to keep generated inputs in (reused when present)")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("SOURCE", "WORKDIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="embedlab-bench-") as tmp:
        inputs = args.keep or Path(tmp)
        inputs.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            source = inputs / f"reviews_{n}.jsonl.gz"
            if not source.exists():
                t0 = time.perf_counter()
                generate(source, n)
                print(f"generated {n:,} reviews ({source.stat().st_size / 2**20:.0f} MiB gz) in "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)
            work = Path(tmp) / f"work_{n}"
            work.mkdir()
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
            proc = subprocess.run([sys.executable, __file__, "--child", str(source), str(work)],
                                  env=env, stdout=subprocess.PIPE, text=True, check=True)
            figures = json.loads(proc.stdout.strip().splitlines()[-1])
            row = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "commit": _commit(), "reviews_in": n,
                   "input_mib_gz": round(source.stat().st_size / 2**20, 1), **figures,
                   "cpus": os.cpu_count(), "machine": platform.machine(),
                   "python": platform.python_version()}
            print(json.dumps(row), flush=True)
            rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
            rows.append(row)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            tmp_out = RESULTS.with_suffix(".json.tmp")
            tmp_out.write_text(json.dumps(rows, indent=2) + "\n")
            os.replace(tmp_out, RESULTS)


if __name__ == "__main__":
    main()
