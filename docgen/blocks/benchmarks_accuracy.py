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


PEER_NAMES = {"fasttext_unigram": "fastText, word unigrams", "fasttext_bigram": "fastText, word bigrams",
              "tfidf_1_2gram_logreg": "TF-IDF 1–2-grams + LR (scikit-learn defaults)",
              "embedlab_tfidf_reference": "embedlab's TF-IDF reference (the train stage's)"}


@block("benchmarks-peers", "benchmarks/results/peers.json")
def benchmarks_peers(peers: dict) -> str:
    """Each peer beside the best network on validation, paired over the same test reviews."""
    f, out = peers["figures"], []
    for dataset in sorted({r["dataset"] for r in f["rows"]}):
        v = f.get("versus", {}).get(dataset)
        vs = {r["peer"]: r for r in v["rows"]} if v else {}
        head = (f"**{dataset}**, N = all: the best network on validation is `{v['network']['name']}`, "
                f"{100 * v['network_accuracy']:.1f} % on {v['test_size']:,} test reviews "
                f"(`{v['command']}`)." if v else
                f"**{dataset}**, N = all: no network scored against these peers at this code yet.")
        out += [head, "", "| peer | test accuracy | fit seconds (1 core) | network − peer, points [95 % CI] |",
                "|---|---:|---:|---|"]
        for r in (r for r in f["rows"] if r["dataset"] == dataset and "test_accuracy" in r):
            d = vs.get(r["peer"])
            gap = (f"{100 * d['diff']:+.1f} [{100 * d['ci_low']:+.1f}, {100 * d['ci_high']:+.1f}]"
                   if d else "—")
            out.append(f"| {PEER_NAMES.get(r['peer'], r['peer'])} | {100 * r['test_accuracy']:.1f} % | "
                       f"{r['fit_seconds']:.0f} | {gap} |")
        out.append("")
    return "\n".join(out + [f"Peers fitted by `{peers['command']}` per dataset; fastText needs the "
                            "benchmark extra (`pip install -e '.[bench]'`)."])
