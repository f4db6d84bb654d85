"""Word2Vec throughput of the embeddings stage vs bare gensim, same run.

Same corpus file, same variant params, same number of workers. "Stage" is
``embedlab.embeddings.vectors.train_word2vec`` (the corpus guard, then gensim in
corpus_file mode); "bare" is ``gensim.models.Word2Vec(corpus_file=...)`` called
directly. Words/s = raw corpus words x epochs / wall seconds of the whole call
(vocabulary scan + training), for both. Rounds alternate which one goes first,
and the best round of each is compared (the median ratio is kept too), because
the machine is shared and noisy. The
target: the stage reaches at least 0.9x bare gensim.

    python -m benchmarks.word2vec_speed [--variant cbow] [--rounds 3] [--copies 1]

Corpus: data/prepared/train_tokens.txt when `dvc repro` has run, otherwise the
embedded reviews tokenized into a temporary file. ``--copies N`` repeats it N
times for a longer, steadier measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGET = 0.9


def corpus_file(copies: int, tmp: Path) -> tuple[Path, str]:
    from embedlab.layout import Layout

    prepared = Layout(ROOT).corpus
    if prepared.exists():
        src, origin = prepared, str(prepared.relative_to(ROOT))
    else:
        from embedlab.config import DataParams, PrepareParams
        from embedlab.prepare.stage import prepare

        prepare(PrepareParams(data=DataParams()), Layout(tmp), root=tmp, progress=False)
        src = Layout(tmp).corpus
        origin = "embedded reviews' train split, tokenized (no data/prepared yet)"
    if copies == 1:
        return src, origin
    out = tmp / "corpus.txt"
    text = src.read_text(encoding="utf-8")
    out.write_text(text * copies, encoding="utf-8")
    return out, f"{origin} x{copies}"


def run_stage(path: Path, variant, workers: int) -> float:
    from embedlab.embeddings.vectors import train_word2vec

    t0 = time.perf_counter()
    train_word2vec(path, variant, workers)
    return time.perf_counter() - t0


def run_bare(path: Path, variant, workers: int) -> float:
    from gensim.models import Word2Vec

    t0 = time.perf_counter()
    Word2Vec(corpus_file=str(path), vector_size=variant.vector_size, window=variant.window,
             sg=variant.sg, negative=variant.negative, min_count=variant.min_count,
             sample=variant.sample, epochs=variant.epochs, seed=variant.seed, workers=workers)
    return time.perf_counter() - t0


def save(figures: dict, command: str) -> Path:
    try:  # the shared benchmark helpers, where the harness has them
        from benchmarks.common import save as common_save

        return common_save("word2vec_speed", figures, command)
    except ImportError:
        from embedlab import fileio

        payload = {"benchmark": "word2vec_speed",
                   "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "command": command,
                   "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                               "platform": platform.platform()},
                   "figures": figures}
        path = RESULTS / "word2vec_speed.json"
        fileio.write_json(path, payload)
        print(json.dumps(figures, indent=2))
        print(f"-> {path}")
        return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    ap.add_argument("--variant", default=None, help="a trained variant in params.yaml (default: the first)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="default: embeddings.workers (0 = all cores)")
    ap.add_argument("--strict", action="store_true", help=f"exit 1 if the ratio is below {TARGET}")
    args = ap.parse_args()

    import gensim

    from embedlab.config import load_embeddings
    from embedlab.embeddings.vectors import resolve_workers

    params = load_embeddings(args.params)
    trained = {k: v for k, v in params.variants.items() if not v.external}
    name = args.variant or next(iter(trained))
    if name not in trained:
        sys.exit(f"--variant {name!r}: not a trained variant in {args.params} ({', '.join(trained)})")
    variant = trained[name]
    workers = resolve_workers(params.workers if args.workers is None else args.workers)

    with tempfile.TemporaryDirectory() as tmp:
        path, origin = corpus_file(args.copies, Path(tmp))
        words = sum(len(line.split()) for line in open(path, encoding="utf-8"))
        run_bare(path, variant, workers)  # warm-up: imports, page cache, CPU clocks
        stage_s, bare_s = [], []
        for r in range(args.rounds):
            order = [("stage", run_stage), ("bare", run_bare)]
            for label, fn in (order if r % 2 == 0 else order[::-1]):
                secs = fn(path, variant, workers)
                (stage_s if label == "stage" else bare_s).append(secs)
                print(f"round {r + 1} {label:5s}: {secs:6.2f}s  {words * variant.epochs / secs:12,.0f} words/s",
                      flush=True)
    # Best round = least disturbed by other processes (the usual choice on a shared
    # machine); the medians are kept beside it.
    stage_wps = words * variant.epochs / min(stage_s)
    bare_wps = words * variant.epochs / min(bare_s)
    ratio = stage_wps / bare_wps
    median_ratio = statistics.median(bare_s) / statistics.median(stage_s)
    figures = {
        "variant": name, "params": variant.model_dump(exclude={"path", "binary", "limit"}),
        "workers": workers, "gensim": gensim.__version__, "corpus": origin,
        "corpus_words": words, "rounds": args.rounds,
        "stage_seconds": [round(s, 3) for s in stage_s], "bare_seconds": [round(s, 3) for s in bare_s],
        "stage_words_per_sec": round(stage_wps), "bare_gensim_words_per_sec": round(bare_wps),
        "ratio_stage_to_bare": round(ratio, 3), "ratio_of_medians": round(median_ratio, 3),
        "target_ratio": TARGET, "meets_target": ratio >= TARGET,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(f"stage {stage_wps:,.0f} words/s vs bare gensim {bare_wps:,.0f} words/s (best rounds): "
          f"ratio {ratio:.3f}, ratio of medians {median_ratio:.3f} "
          f"({'meets' if ratio >= TARGET else 'BELOW'} the {TARGET}x target)")
    save(figures, "python -m benchmarks.word2vec_speed " + " ".join(sys.argv[1:]))
    return 1 if args.strict and ratio < TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
