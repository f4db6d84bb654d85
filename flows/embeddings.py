"""DVC stage `embeddings`: python -m flows.embeddings"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from prefect import flow, task

from embedlab import io
from embedlab.config import EmbeddingsParams, Word2VecVariant, load_embeddings
from embedlab.embeddings import EmbeddingsLayout, run_variant
from embedlab.prepare import PreparedLayout, read_vocab
from embedlab.runtime import run_entry


@task(name="word2vec", cache_policy=None, task_run_name="word2vec-{name}")
def variant_task(name: str, variant: Word2VecVariant, params: EmbeddingsParams,
                 out_dir: str) -> dict:
    prepared = PreparedLayout()
    vocab = read_vocab(prepared.vocab)["tokens"]
    counts: Counter[str] = Counter()
    with open(prepared.corpus, encoding="utf-8") as fh:
        for line in fh:
            counts.update(line.split())
    return run_variant(name, variant, params, prepared.corpus, vocab, dict(counts),
                       EmbeddingsLayout(), Path(out_dir))


@flow(name="embeddings", log_prints=True)
def embeddings_flow(params_path: str = "params.yaml") -> dict:
    params = load_embeddings(params_path)
    layout = EmbeddingsLayout()
    report = {}
    with io.atomic_dir(layout.root) as tmp:
        for name, variant in params.variants.items():
            report[name] = variant_task(name, variant, params, str(tmp))
            r = report[name]
            print(f"{name}: {r['w2v_vocab']} words x {r['vector_size']} dims in "
                  f"{r['train_seconds']:.1f}s; vocabulary coverage {r['type_coverage']:.1%} "
                  f"of types, {r['token_coverage']:.1%} of train tokens")
    io.write_json(layout.coverage, report)
    return report


def main() -> None:
    from flows._entry import parse_args

    args = parse_args(__doc__)
    load_embeddings(args.params)
    embeddings_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
