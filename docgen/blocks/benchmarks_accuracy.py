"""docs/benchmarks/accuracy.md's block: IMDB accuracy against published anchors."""

from __future__ import annotations

from docgen.registry import block

DOCUMENT = "docs/benchmarks/accuracy.md"


@block("benchmarks-imdb", "benchmarks/results/imdb.json")
def benchmarks_imdb(imdb: dict) -> str:
    f = imdb["figures"]
    lines = [f"IMDB, {f['reviews']:,} reviews (80/10/10 split), {f['epochs']} epochs, max_len {f['max_len']}, "
             f"one seed; `{imdb['command']}` ({f['seconds'] / 60:.1f} min). Published anchors: LSTM-class models "
             "88–89 %, NBSVM-bigram 91.2 %.", "",
             "| strategy | test accuracy (mean over architectures) |", "|---|---|"]
    for s, v in sorted((f.get("strategies") or {}).items(), key=lambda kv: -kv[1]["test_accuracy_mean"]):
        lines.append(f"| {s} | {v['test_accuracy_mean']:.3f} ± {v['test_accuracy_std']:.3f} |")
    base = f.get("baseline_tfidf_logreg") or {}
    if base:
        lines.append(f"| TF-IDF + logistic regression | {base['test_accuracy']:.3f} |")
    return "\n".join(lines)
