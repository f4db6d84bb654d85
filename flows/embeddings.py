"""DVC stage `embeddings`: python -m flows.embeddings

Trains the Word2Vec variants listed in params.yaml (or loads the user's
vectors), writes one matrix per variant aligned to the vocabulary, coverage
metrics (reports/embeddings.json) and quality probes
(reports/embeddings_probes.json), and logs an MLflow run named `embeddings`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prefect import flow, task

from embedlab import fileio, tracking
from embedlab.config import EmbeddingsParams, Word2VecVariant
from embedlab.embeddings import stage as embeddings
from embedlab.embeddings.stage import load_embeddings
from embedlab.embeddings.vectors import DETERMINISTIC_HASH_SEED, hash_seed_fixed
from embedlab.layout import Layout
from embedlab.runtime import run_entry
from flows._entry import parse_args


@task(name="word2vec-corpus", cache_policy=None)
def corpus_task(params: EmbeddingsParams, out: str) -> tuple[str, dict]:
    return embeddings.stage_corpus(params, Path(out))


@task(name="word2vec", cache_policy=None, task_run_name="vectors-{name}")
def variant_task(name: str, variant: Word2VecVariant, params: EmbeddingsParams,
                 corpus: str | None, out_dir: str) -> dict:
    return embeddings.stage_variant(name, variant, params, corpus, Path(out_dir))


@flow(name="embeddings", log_prints=True)
def embeddings_flow(params_path: str = "params.yaml") -> dict:
    params, layout = load_embeddings(params_path), Layout()
    report, probes = embeddings.new_report(params), {}
    with fileio.atomic_dir(layout.embeddings) as tmp:
        corpus = None
        if any(not v.external for v in params.variants.values()):
            # Written inside the scratch folder and removed before it is swapped in:
            # the corpus is not a stage output.
            corpus, report["corpus"] = corpus_task(params, str(tmp / "_corpus.txt"))
            print(embeddings.corpus_line(report["corpus"]))
        # Side by side: with one Word2Vec worker each (deterministic), the variants
        # share the cores instead of taking turns (gensim trains without the GIL).
        futures = {name: variant_task.submit(name, variant, params, corpus, str(tmp))
                   for name, variant in params.variants.items()}
        for name, future in futures.items():
            res = future.result()
            report["variants"][name], probes[name] = res["metrics"], res["probes"]
            print(embeddings.variant_lines(name, res))
        (tmp / "_corpus.txt").unlink(missing_ok=True)
    fileio.write_json(layout.embeddings_report, embeddings.tracked_report(report))
    fileio.write_json(layout.probes_report, probes)
    if params.track:
        run_id = tracking.log_run("embeddings", "embeddings", **embeddings.run_record(report, probes, params))
        print(f"MLflow run 'embeddings': {run_id}")
    return report


def main() -> None:
    args = parse_args(__doc__)
    params = load_embeddings(args.params)
    embeddings.preflight(params)  # a wrong path fails here, before a Prefect server starts
    if params.deterministic and not hash_seed_fixed():
        # Hash randomisation is fixed when the interpreter starts, so a fixed seed
        # means starting again: same command, same arguments, PYTHONHASHSEED set.
        env = {**os.environ, "PYTHONHASHSEED": DETERMINISTIC_HASH_SEED}
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "flows.embeddings", *sys.argv[1:]], env)
    embeddings_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
