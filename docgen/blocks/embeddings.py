"""docs/embeddings.md's blocks: the embeddings settings and Word2Vec's speed."""

from __future__ import annotations

from statistics import median

from docgen.registry import block
from docgen.text import para, params_section

DOCUMENT = "docs/embeddings.md"


@block("word2vec-speed", "benchmarks/results/word2vec_speed.json")
def word2vec_speed(speed: dict) -> str:
    f = speed["figures"]
    words = f["corpus_words"] * f["params"]["epochs"]
    stage_med, bare_med = words / median(f["stage_seconds"]), words / median(f["bare_seconds"])
    return "\n".join([
        para(f"`{speed['command']}`: gensim {f['gensim']}, variant `{f['variant']}`, {f['workers']} workers, "
             f"{f['corpus_words']:,} words × {f['params']['epochs']} epochs, {f['rounds']} rounds, 1-minute load "
             f"average {f['load_average_1min']:.1f} (a shared machine: absolute figures are low and noisy)."), "",
        "| | words/s (best round) | words/s (median) |", "|---|---:|---:|",
        f"| stage (`train_word2vec`) | {f['stage_words_per_sec']:,.0f} | {stage_med:,.0f} |",
        f"| bare gensim | {f['bare_gensim_words_per_sec']:,.0f} | {bare_med:,.0f} |",
        f"| **ratio stage / bare** | **{f['ratio_stage_to_bare']:.3f}** | {f['ratio_of_medians']:.3f} |"])


block("params-embeddings", "params.yaml")(lambda params: params_section(params, "embeddings"))
