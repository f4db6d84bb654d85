"""Regenerate docs/embedding-math.md: the derivation, with every number computed.

    python -m embedlab.teach.docs_math            # from the project root, after `dvc repro`

Numbers come from two places: the toy walk-through (``embedlab.teach.explain``) and,
when the pipeline's outputs exist, the real grid (how far fine-tuning moved the
Word2Vec table, by word frequency; antonym cosines and neighbours before and
after). Without those outputs the real-grid section says to run ``dvc repro``
first. The template holds ``{{name}}`` placeholders; an unknown or unused one is
an error, so the document can never silently show a stale or missing number.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import EmbedlabError
from embedlab.layout import CELL, Layout

TEMPLATE = Path("docs/embedding-math.template.md")
OUTPUT = Path("docs/embedding-math.md")
NEIGHBOUR_WORDS = 5   # the first probe words (params.yaml: embeddings.probes) shown with neighbours
RANK_BINS = ((2, 11), (12, 101), (102, 1001), (1002, 10**9))  # vocabulary ids: frequency ranks


class DocError(EmbedlabError):
    """The template and the numbers disagree (unknown or unused placeholder)."""


# ------------------------------------------------------------------ formatting
def bmatrix(m, digits: int = 3, row_names=None) -> str:
    m = np.atleast_2d(np.asarray(m, dtype=float))
    rows = []
    for row in m:
        cells = [("0" if abs(v) < 0.5 * 10**-digits else f"{v:.{digits}f}") for v in row]
        rows.append(" & ".join(cells))
    body = r" \\ ".join(rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def html(text: str) -> str:
    """Vocabulary entries like <pad> would vanish as HTML tags in rendered Markdown."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def small(x: float) -> str:
    """A stably printed round-off difference (explain reports those below 1e-7 as 0)."""
    return r"below $10^{-7}$" if x == 0 else f"{x:.1e}"


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def render_template(template: str, values: dict[str, str]) -> str:
    used = set()

    def sub(match: re.Match) -> str:
        key = match.group(1).strip()
        if key not in values:
            raise DocError(f"template placeholder {{{{{key}}}}} has no value; known: {sorted(values)}")
        used.add(key)
        return str(values[key])

    out = re.sub(r"\{\{([^{}]+)\}\}", sub, template)
    unused = set(values) - used
    if unused:
        raise DocError(f"values never used by the template: {sorted(unused)}")
    return out


# ------------------------------------------------------------ toy walk-through
def explain_values(result: dict[str, Any]) -> dict[str, str]:
    """Template values from ``embedlab explain --json``: the setup, then step by step."""
    s = {st["number"]: st["numbers"] for st in result["steps"]}
    setup = result["setup"]
    v = {"vocab": ", ".join(f"`{i}` {html(w)}" for i, w in enumerate(setup["vocabulary"]))}
    for key in ("batch_A", "batch_B"):
        b = setup[key]
        v[key] = "; ".join(f"“{html(' '.join(w))}” (y={int(y)})" for w, y in zip(b["words"], b["labels"]))
    total = sum(len(st["checks"]) for st in result["steps"])
    passed = sum(c["passed"] for st in result["steps"] for c in st["checks"])
    v["checks"] = f"{passed}/{total}"
    v["checks_list"] = "\n".join(
        f"{st['number']}. " + "; ".join(f"{'✔' if c['passed'] else '✘'} {c['name']}" for c in st["checks"])
        for st in result["steps"])
    for values in (_step1(s[1]), _step2(s[2]), _step3(s[3]), _step4(s[4]), _step5(s[5]),
                   _step5_gensim(s[5]["gensim"]), _step6(s[6], setup["vocabulary"])):
        v.update(values)
    return v


def _step1(n1: dict) -> dict[str, str]:
    """Step 1: the lookup is a one-hot product."""
    v: dict[str, str] = {}
    v["s1_W"] = bmatrix(n1["table"], 2)
    v["s1_X0"] = bmatrix(n1["onehot_seq0"], 0)
    v["s1_E0"] = bmatrix(n1["lookup_seq0"], 2)
    v["s1_maxdiff"] = small(n1["max_abs_difference"])
    v["s1_count"] = str(n1["compared"])
    return v


def _step2(n2: dict) -> dict[str, str]:
    """Step 2: the gradient reaches only the rows looked up."""
    v: dict[str, str] = {}
    v["s2_loss"] = f"{n2['loss_tf']:.6f}"
    v["s2_loss_hand"] = f"{n2['loss_hand']:.6f}"
    v["s2_p"] = ", ".join(f"{p:.4f}" for p in n2["p"])
    v["s2_indices"] = str(n2["slice_indices"])
    v["s2_good_slices"] = bmatrix(n2["slices_of_good"], 4)
    v["s2_dense"] = bmatrix(n2["dense_grad_tf"], 4)
    v["s2_maxdiff"] = small(n2["max_abs_difference"])
    v["s2_rows_nonzero"] = str(n2["rows_nonzero"])
    v["s2_good_n"] = str(n2["occurrences_of_good"])
    return v


def _step3(n3: dict) -> dict[str, str]:
    """Step 3: what SGD and Adam do with those rows."""
    v: dict[str, str] = {}
    v["s3_lr"] = str(n3["lr_sgd"])
    v["s3_update"] = bmatrix(n3["sgd_step1_update"], 4)
    rows = []
    for opt, trace in n3["trace"].items():
        for r in trace:
            rows.append([opt, r["step"], r["batch"], r["changed"], len(r["changed_not_in_batch"])])
    v["s3_table"] = md_table(["optimizer", "step", "batch", "rows changed", "rows changed outside the batch"],
                             rows)
    v["s3_adam_momentum"] = str(len(n3["trace"]["adam"][1]["changed_not_in_batch"]))
    return v


def _step4(n4: dict) -> dict[str, str]:
    """Step 4: a frozen table's parameters."""
    v: dict[str, str] = {}
    q = n4["question_models"]
    v["s4_V"], v["s4_d"], v["s4_u"] = f"{q['vocab_size']:,}", str(q["dim"]), str(q["units"])
    v["s4_emb"] = f"{n4['embedding_params']:,}"
    v["s4_lstm"] = f"{n4['lstm_params']:,}"
    v["s4_dense"] = f"{n4['dense_params']:,}"
    kc = n4["keras_counts"]
    v["s4_share"] = f"{1 - kc['w2v_frozen']['params_trainable'] / kc['learned']['params_trainable']:.1%}"
    v["s4_table"] = md_table(["model", "trainable", "non-trainable", "total"], [
        [name, f"{c['params_trainable']:,}", f"{c['params_non_trainable']:,}", f"{c['params_total']:,}"]
        for name, c in n4["keras_counts"].items()])
    return v


def _step5(n5: dict) -> dict[str, str]:
    """Step 5: the Word2Vec gradient, checked by finite differences."""
    v: dict[str, str] = {}
    v["s5_context"] = ", ".join(n5["context"])
    v["s5_target"] = n5["target"]
    v["s5_negatives"] = html(", ".join(n5["negatives"]))
    v["s5_score"] = f"{n5['score_target']:.4f}"
    v["s5_gin"] = bmatrix(list(n5["grad_input_rows"].values()), 4)
    v["s5_gin_rows"] = ", ".join(n5["grad_input_rows"])
    v["s5_fd"] = f"{n5['finite_differences']['relative_error']:.1e}"
    v["s5_fd_abs"] = f"{n5['finite_differences']['max_abs_error']:.1e}"
    v["s5_tol"] = f"{n5['fd_tolerance']:.0e}"
    v["s5_fd_noC"] = f"{n5['fd_wrong_no_1_over_C']['relative_error']:.2f}"
    v["s5_fd_sign"] = f"{n5['fd_wrong_negative_sign']['relative_error']:.2f}"
    v["s5_loss0"] = f"{n5['loss_before']:.4f}"
    v["s5_loss1"] = f"{n5['loss_after']:.4f}"
    v["s5_lr"] = str(n5["lr"])
    return v


def _step5_gensim(g: dict) -> dict[str, str]:
    """Step 5, gensim: its update replayed, subsampling, learning rate."""
    v: dict[str, str] = {}
    v["s5_replay"] = small(g["replay"]["max_abs_error"])
    v["s5_replay_textbook"] = small(g["replay"]["max_abs_error_with_1_over_C"])
    v["s5_replay_sentence"] = " ".join(g["replay"]["sentence"])
    sub = g["subsampling"]
    v["s5_sub_table"] = md_table(["word", "count", "keep (gensim)", "keep, formula", "keep, paper"], [
        [w, c, f"{sub['keep_gensim'][w]:.4f}", f"{sub['keep_formula'][w]:.4f}", f"{sub['paper_keep'][w]:.4f}"]
        for w, c in sub["counts"].items()])
    v["s5_sub_words"] = str(sub["corpus_words"])
    v["s5_alpha"] = str(g["lr"]["alpha"])
    v["s5_min_alpha"] = str(g["lr"]["min_alpha"])
    v["s5_last_alpha"] = f"{g['lr']['min_alpha_yet_reached']:.6f}"
    v["s5_epochs"] = str(g["lr"]["epochs"])
    return v


def _step6(n6: dict, vocab: list[str]) -> dict[str, str]:
    """Step 6: pretrained vectors, frozen or fine-tuned."""
    v: dict[str, str] = {}
    names = ("frozen", "finetune_sgd", "finetune_adam", "finetune_adamw")
    v["s6_table"] = md_table(["id", "word", "in a batch", *names], [
        [i, html(w), "yes" if i in n6["seen_ids"] else ("padding (masked)" if i == 0 else "no"),
         *[f"{n6[k]['drift'][i]:.4f}" for k in names]] for i, w in enumerate(vocab)])
    v["s6_steps"] = str(n6["steps"])
    v["s6_cos0"] = f"{n6['cos_good_bad_start']:.4f}"
    v["s6_cos_adam"] = f"{n6['finetune_adam']['cos_good_bad']:.4f}"
    v["s6_cos_sgd"] = f"{n6['finetune_sgd']['cos_good_bad']:.4f}"
    v["s6_tea_adamw"] = f"{n6['finetune_adamw']['drift'][8]:.4f}"
    return v


# ------------------------------------------------------------------ real grid
def _cos(a, b) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na and nb else float("nan")


def _neighbours(table: np.ndarray, tokens: list[str], word: str, k: int = 5) -> list[str]:
    i = tokens.index(word)
    norms = np.linalg.norm(table, axis=1)
    norms[norms == 0] = np.inf
    sims = table @ table[i] / (norms * norms[i])
    sims[[0, 1, i]] = -np.inf                      # not padding, not OOV, not itself
    return [tokens[j] for j in np.argsort(-sims, kind="stable")[:k]]


def _drifts(npz: Path) -> dict[str, np.ndarray]:
    if not npz.exists():
        return {}
    with np.load(npz) as d:
        return {k.removeprefix("drift_"): np.array(d[k]) for k in d.files if k.startswith("drift_")}


def _corpus_counts(corpus: Path) -> Counter:
    counts: Counter = Counter()
    if corpus.exists():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            counts.update(line.split())
    return counts


def _rank_bins(words: np.ndarray, seen: np.ndarray, d: np.ndarray, V: int) -> list[dict]:
    bins = []
    for lo, hi in RANK_BINS:
        sel = words[(words >= lo) & (words <= min(hi, V - 1))]
        sel = sel[seen[sel] > 0]
        if len(sel):
            bins.append({"ids": f"{lo}–{min(hi, V - 1)}", "words": int(len(sel)),
                         "median_count": float(np.median(seen[sel])),
                         "mean_drift": float(d[sel].mean()), "median_drift": float(np.median(d[sel])),
                         "moved": float((d[sel] > 0).mean())})
    return bins


def _table_entry(name: str, table: str, drift: np.ndarray, seen: np.ndarray, tokens: list[str],
                 corpus_counts: Counter) -> dict[str, Any]:
    """How far each row of one fine-tuned table moved, against how often it was seen."""
    from scipy.stats import spearmanr

    V = len(tokens)
    d = np.zeros(V)
    d[1:] = drift                                       # stored for rows 1..V-1
    words = np.arange(2, V)                            # real words (not pad, not OOV)
    unseen, seen_w = words[seen[words] == 0], words[seen[words] > 0]
    return {"cell": name, "table": table, "bins": _rank_bins(words, seen, d, V),
            "spearman": float(spearmanr(seen[seen_w], d[seen_w]).statistic),
            "unseen_words": int(len(unseen)),
            "unseen_max_drift": float(d[unseen].max()) if len(unseen) else 0.0,
            "unseen_examples": [tokens[i] for i in unseen[:8]],
            "unseen_corpus_counts": [int(corpus_counts.get(tokens[i], 0)) for i in unseen[:8]],
            "seen_not_moved": int((d[seen_w] == 0).sum()), "seen_words": int(len(seen_w)),
            "oov_drift": float(d[1]), "oov_seen": int(seen[1]),
            "top_drift": [(tokens[i], float(d[i]), int(seen[i])) for i in np.argsort(-d)[:8]],
            "mean_drift": float(d[seen_w].mean())}


def grid_analysis(root: Path) -> dict[str, Any] | None:
    """Drift and geometry of every vectors-initialised table the grid fine-tuned
    (the cells of reports/train.json with drift arrays). None if there are none."""
    from embedlab.splits import read_split, read_vocab

    layout = Layout(root)
    if not layout.vocab.exists() or not layout.train_report.exists():
        return None
    train = json.loads(layout.train_report.read_text())["cells"]
    cells = [(c, d) for c in train if (d := _drifts(layout.cell_dir(c["slug"]) / CELL.predictions))]
    if not cells:
        return None
    tokens = read_vocab(layout.vocab)["tokens"]
    ids, _ = read_split(layout.split("train"))
    # What the classifier actually sees: ids after truncation to max_len.
    seen = np.bincount(ids.ravel(), minlength=len(tokens))
    corpus_counts, probes = _corpus_counts(layout.corpus), _probes(root)
    out = {"vocab_size": len(tokens), "train_reviews": int(ids.shape[0]), "max_len": int(ids.shape[1]),
           "cells": []}
    for c, drifts in cells:
        for table_name, drift in drifts.items():
            entry = _table_entry(c["name"], table_name, drift, seen, tokens, corpus_counts)
            entry.update(_geometry(layout, c, table_name, tokens, probes))
            entry["test_accuracy"] = c.get("test_accuracy")
            out["cells"].append(entry)
    out["accuracy"] = [(c["name"], c.get("test_accuracy"), c.get("best_val_accuracy"))
                       for c in train if c.get("test_accuracy") is not None]
    return out


def _probes(root: Path):
    """The one probe list: params.yaml's embeddings.probes (defaults if unreadable)."""
    from embedlab.config import ProbeParams, load_train

    try:
        return load_train(root / "params.yaml").probes
    except EmbedlabError:
        return ProbeParams()


def _geometry(layout: Layout, cell: dict, table_name: str, tokens: list[str], probes) -> dict[str, Any]:
    """Antonym cosines and neighbours in the vectors' start and the fine-tuned table."""
    import keras

    start_path = layout.matrix(cell["variant"]) if cell.get("variant") else None
    model_path = layout.cell_dir(cell["slug"]) / CELL.model
    if start_path is None or not start_path.exists() or not model_path.exists():
        return {}
    start = np.load(start_path)
    model = keras.saving.load_model(model_path, compile=False)
    end = np.array(model.get_layer(table_name).get_weights()[0])
    pairs = [(a, b, _cos(start[tokens.index(a)], start[tokens.index(b)]),
              _cos(end[tokens.index(a)], end[tokens.index(b)]))
             for a, b in probes.antonyms if a in tokens and b in tokens]
    neigh = [(w, _neighbours(start, tokens, w), _neighbours(end, tokens, w))
             for w in probes.words[:NEIGHBOUR_WORDS] if w in tokens]
    return {"variant": cell["variant"], "antonyms": pairs, "neighbours": neigh}


def grid_markdown(g: dict[str, Any] | None) -> str:
    if g is None:
        return ("*No pipeline outputs found (`data/prepared/vocab.json`, `models/*/predictions.npz` "
                "with `drift_*` arrays). Run `dvc repro` first, then `python -m embedlab.teach.docs_math`.*")
    parts = [f"Measured on this project's last `dvc repro`: {g['train_reviews']:,} training reviews, "
             f"vocabulary {g['vocab_size']:,} ids, sequences cut to {g['max_len']} tokens. “Count” is "
             "how often the classifier saw the id in the training split *after* truncation — the only "
             "occurrences a gradient can come from."]
    for c in g["cells"]:
        parts.append(f"\n### `{c['cell']}`, table `{c['table']}`\n")
        parts.append(md_table(["vocabulary ids (frequency rank)", "words", "median count", "mean drift",
                               "median drift", "share moved"],
                              [[b["ids"], f"{b['words']:,}", f"{b['median_count']:.0f}", f"{b['mean_drift']:.4f}",
                                f"{b['median_drift']:.4f}", f"{b['moved']:.1%}"] for b in c["bins"]]))
        more = "more" if c["spearman"] > 0 else "less"
        top = max(c["bins"], key=lambda b: b["mean_drift"])
        rare = c["bins"][-1]
        unseen = ("they never moved: bit-for-bit their Word2Vec vectors, as section 2 says."
                  if c["unseen_max_drift"] == 0 else
                  "they moved: something other than the gradient touched them (weight decay?).")
        parts.append(
            f"\nDrift is $\\lVert W^{{\\text{{end}}}}_i - W^{{\\text{{start}}}}_i \\rVert_2$. Spearman "
            f"correlation of count and drift over the {c['seen_words']:,} words the classifier saw: "
            f"**ρ = {c['spearman']:.3f}**: frequent words moved {more}, but the rarest group (median "
            f"count {rare['median_count']:.0f}) still moved on average {rare['mean_drift'] / top['mean_drift']:.0%} "
            f"as far as the group that moved most (ids {top['ids']}). A likely reason, not isolated "
            "here: Adam divides each entry's step by the root of its running squared gradient "
            "(section 3; compare the SGD and Adam columns of section 6), so the step size hardly "
            "depends on how large a row's gradient is, only on how often it is non-zero."
            f"\n\nWords in the vocabulary that the classifier never saw (all their occurrences lie beyond "
            f"the {g['max_len']}-token cut): **{c['unseen_words']:,}**; the largest drift among them is "
            f"**{c['unseen_max_drift']:g}** — {unseen}"
            + (f" Examples: {', '.join(f'{html(w)} ({n} in the corpus)' for w, n in zip(c['unseen_examples'], c['unseen_corpus_counts']))}."
               if c["unseen_examples"] else "")
            + f" Words seen but not moved: {c['seen_not_moved']:,}. The OOV row (id 1, seen "
            f"{c['oov_seen']:,} times) moved {c['oov_drift']:.3f}.")
        parts.append("\nLargest drifts: " + ", ".join(f"{html(w)} {d:.3f} (count {n:,})"
                                                        for w, d, n in c["top_drift"]) + ".")
        if c.get("antonyms"):
            parts.append(f"\nAntonym cosines, Word2Vec start (`embeddings/{c['variant']}.npy`) → after fine-tuning:\n")
            parts.append(md_table(["pair", "cosine, Word2Vec", "cosine, fine-tuned", "change"],
                                  [[f"{a} / {b}", f"{s:.3f}", f"{e:.3f}", f"{e - s:+.3f}"]
                                   for a, b, s, e in c["antonyms"]]))
            closer = sum(e < s for _, _, s, e in c["antonyms"])
            parts.append(f"\n{closer} of {len(c['antonyms'])} antonym pairs moved apart (cosine fell).\n")
            parts.append(md_table(["word", "5 nearest, Word2Vec", "5 nearest, fine-tuned"],
                                  [[html(w), html(", ".join(a)), html(", ".join(b))] for w, a, b in c["neighbours"]]))
    if g.get("accuracy"):
        parts.append("\n### Test accuracy of the grid's cells (one seed: read differences with care)\n")
        parts.append(md_table(["cell", "test accuracy", "best validation accuracy"],
                              [[c, f"{t:.3f}", f"{v:.3f}" if v is not None else ""] for c, t, v in g["accuracy"]]))
    return "\n".join(parts)


def surprises_markdown(result: dict[str, Any], g: dict[str, Any] | None) -> str:
    """The claims whose measured numbers were not what we expected, each with its number."""
    s = {st["number"]: st["numbers"] for st in result["steps"]}
    gs = s[5]["gensim"]
    items = [
        "gensim's CBOW update is not the gradient of the objective it is said to minimise: with "
        "`cbow_mean=1` every context vector gets the full $\\partial L/\\partial h$ step, $C$ times "
        f"the gradient. The replay matches gensim to {small(gs['replay']['max_abs_error'])}; the "
        f"textbook $1/C$ misses by {small(gs['replay']['max_abs_error_with_1_over_C'])}.",
        "gensim's subsampling keeps a word with probability $(\\sqrt{f/t}+1)\\,t/f$, not the "
        "paper's $\\sqrt{t/f}$; on small corpora it discards most occurrences of every word "
        f"(keep probability {min(gs['subsampling']['keep_gensim'].values()):.2f}–"
        f"{max(gs['subsampling']['keep_gensim'].values()):.2f} on the toy corpus).",
    ]
    if g:
        for c in g["cells"]:
            top = max(c["bins"], key=lambda b: b["mean_drift"])
            rare = c["bins"][-1]
            items.append(
                f"`{c['cell']}`: “frequent words move more” holds only weakly (Spearman ρ = "
                f"{c['spearman']:.2f}); words seen a median {rare['median_count']:.0f} times moved "
                f"{rare['mean_drift'] / top['mean_drift']:.0%} as far as the most-moved frequency group, "
                f"and {1 - c['seen_not_moved'] / max(c['seen_words'], 1):.1%} of the seen words moved at all.")
            first = c["bins"][0]
            if first is not top:
                items.append(
                    f"`{c['cell']}`: the most frequent words (ids {first['ids']}, median count "
                    f"{first['median_count']:,.0f}) moved less (mean {first['mean_drift']:.3f}) than the "
                    f"words of ids {top['ids']} (mean {top['mean_drift']:.3f}); the largest drifts belong to "
                    + ", ".join(html(w) for w, _, _ in c["top_drift"][:6]) + ".")
            items.append(
                f"`{c['cell']}`: the words fine-tuning never touched come from the length cut, not "
                f"from missing data: the vocabulary is built from the training split, so only the "
                f"{c['unseen_words']:,} words whose every occurrence lies past token {g['max_len']} "
                f"({c['unseen_words'] / g['vocab_size']:.1%} of the vocabulary) got no gradient "
                f"(largest drift {c['unseen_max_drift']:g}).")
            if c.get("antonyms"):
                gb = next((p for p in c["antonyms"] if p[:2] == ("good", "bad")), None)
                mean_change = float(np.mean([e - st for _, _, st, e in c["antonyms"]]))
                if gb:
                    slight = abs(mean_change) < 0.1
                    items.append(
                        f"`{c['cell']}`: Word2Vec puts “good” and “bad” at cosine {gb[2]:.2f}, and "
                        f"supervised fine-tuning {'barely ' if slight else ''}separates them "
                        f"({gb[3]:.2f}); across {len(c['antonyms'])} antonym pairs the cosine changed by "
                        f"{mean_change:+.3f} on average"
                        + (": the classifier separates the classes without pulling antonyms far apart "
                           "in the table." if slight else "."))
    return "\n".join(f"- {item}" for item in items)


def build_values(root: Path, result: dict[str, Any]) -> dict[str, str]:
    values = explain_values(result)
    grid = grid_analysis(root)
    values["grid"] = grid_markdown(grid)
    values["surprises"] = surprises_markdown(result, grid)
    return values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (pipeline outputs)")
    parser.add_argument("--template", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from embedlab import fileio
    from embedlab.teach.explain import explain
    from embedlab.runtime import configure_env

    configure_env()
    template = args.template or args.root / TEMPLATE
    out = args.out or args.root / OUTPUT
    if not template.exists():
        raise SystemExit(f"error: {template}: template not found")
    result = explain().to_dict()
    values = build_values(args.root, result)
    text = render_template(template.read_text(encoding="utf-8"), values)
    fileio.write_text(out, text)
    print(f"wrote {out}")
    if values["grid"].startswith("*No pipeline outputs"):
        print(f"note: no pipeline outputs under {args.root.resolve()}: the real-grid section only says "
              "'run dvc repro first'. Run `dvc repro`, then this command again.")
    if not result["passed"]:
        raise SystemExit("error: some explain checks failed; the page lists them (✘)")


if __name__ == "__main__":
    main()
