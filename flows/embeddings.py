"""DVC stage `embeddings`: python -m flows.embeddings

Trains the Word2Vec variants listed in params.yaml (or loads the user's
word2vec-format vectors), writes one matrix per variant aligned to the
vocabulary, coverage metrics (reports/embeddings.json) and quality probes
(reports/embeddings_probes.json), and logs an MLflow run named `embeddings`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prefect import flow, task

from embedlab import fileio
from embedlab.config import EmbeddingsParams, Word2VecVariant, load_embeddings
from embedlab.embeddings import (DETERMINISTIC_HASH_SEED, EmbeddingsLayout, build_corpus,
                                 hash_seed_fixed, log_to_mlflow, preflight, run_variant)
from embedlab.errors import EmbedlabError
from embedlab.prepare import SPLITS, PreparedLayout, read_split, read_vocab
from embedlab.runtime import run_entry

KIND_TAG = "embedlab.kind"


def _prepared() -> PreparedLayout:
    prepared = PreparedLayout()
    for path in (prepared.vocab, prepared.corpus, *(prepared.split(s) for s in SPLITS)):
        if not path.exists():
            raise EmbedlabError(f"{path}: not found. Run the prepare stage first: dvc repro prepare")
    return prepared


@task(name="word2vec-corpus", cache_policy=None)
def corpus_task(params: EmbeddingsParams, out: str) -> tuple[str, dict]:
    import pandas as pd

    prepared = _prepared()
    eval_texts = {}
    if params.include_eval_texts:
        eval_texts = {s: pd.read_parquet(prepared.split(s), columns=["text"])["text"].tolist()
                      for s in ("val", "test")}
    path, info = build_corpus(params, prepared.corpus, eval_texts, Path(out))
    return str(path), info


@task(name="word2vec", cache_policy=None, task_run_name="vectors-{name}")
def variant_task(name: str, variant: Word2VecVariant, params: EmbeddingsParams,
                 corpus: str | None, out_dir: str) -> dict:
    prepared = _prepared()
    vocab = read_vocab(prepared.vocab)["tokens"]
    split_ids = {s: read_split(prepared.split(s))[0] for s in SPLITS}
    return run_variant(name, variant, params, Path(corpus) if corpus else None, vocab, split_ids,
                       EmbeddingsLayout(), Path(out_dir))


@flow(name="embeddings", log_prints=True)
def embeddings_flow(params_path: str = "params.yaml") -> dict:
    params = load_embeddings(params_path)
    layout = EmbeddingsLayout()
    report: dict = {"deterministic": params.deterministic,
                    "pythonhashseed": os.environ.get("PYTHONHASHSEED", "random"),
                    "corpus": {}, "variants": {}}
    probe_results: dict = {}
    with fileio.atomic_dir(layout.root) as tmp:
        corpus = None
        if any(not v.external for v in params.variants.values()):
            # Written once (LineSentence format) inside the scratch folder, removed
            # before the folder is swapped in: it is not a stage output.
            corpus, report["corpus"] = corpus_task(params, str(tmp / "_corpus.txt"))
            c = report["corpus"]
            print(f"corpus: {c['lines']} lines, {c['tokens']} tokens from {', '.join(c['sources'])}"
                  + (" (val/test texts INCLUDED)" if c["include_eval_texts"] else ""))
        for name, variant in params.variants.items():
            res = variant_task(name, variant, params, corpus, str(tmp))
            report["variants"][name] = m = res["metrics"]
            probe_results[name] = res["probes"]
            speed = (f" in {m['train_seconds']:.1f}s ({m['words_per_sec']:,} words/s, "
                     f"{m['workers']} worker(s))" if m["source"] == "trained" else f" from {m['path']}")
            cov = ", ".join(f"{s} {v:.1%}" for s, v in m["token_coverage"].items())
            print(f"{name}: {m['vectors_vocab']} words x {m['vector_size']} dims{speed}; "
                  f"vocabulary types covered {m['type_coverage']:.1%}; tokens covered: {cov}")
            for a in res["probes"]["antonyms"]:
                if a["cosine"] is not None:
                    print(f"  cos({a['a']}, {a['b']}) = {a['cosine']:.3f}")
        (tmp / "_corpus.txt").unlink(missing_ok=True)
    fileio.write_json(layout.coverage, report)
    fileio.write_json(layout.probes, probe_results)
    if params.track:
        run_id = log_to_mlflow(report, probe_results, params, KIND_TAG)
        print(f"MLflow run 'embeddings': {run_id}")
    return report


def main() -> None:
    from flows._entry import parse_args, warm_start

    args = parse_args(__doc__)
    params = load_embeddings(args.params)
    preflight(params)  # a wrong path fails here, before a Prefect server starts
    if params.deterministic and not hash_seed_fixed():
        # Hash randomisation is fixed when the interpreter starts, so a fixed seed
        # means starting again: same command, same arguments, PYTHONHASHSEED set.
        env = {**os.environ, "PYTHONHASHSEED": DETERMINISTIC_HASH_SEED}
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "flows.embeddings", *sys.argv[1:]], env)
    warm_start("gensim", *(["mlflow"] if params.track else []))
    embeddings_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
