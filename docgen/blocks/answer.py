"""docs/answer.md's blocks, written from benchmarks/results/curves_<dataset>.json.

Pure functions (a results file in, Markdown out); `readme` is the README's answer
section (registered in docgen/blocks/readme.py). A results file that carries the
answer stage's numbers (``figures["answer"]``: the scratch project's
reports/answer.json) gets the decision page, written by the stage's own
``embedlab.answer.page.markdown``, so `embedlab answer` and this page agree; an older
one (the untuned curves of earlier rounds) is read only for its statements and for
what tuning changed.
"""

from __future__ import annotations

from benchmarks.curves import PRESETS, image
from docgen.registry import block
from docgen.text import para as _para
from embedlab.answer import page
from embedlab.evaluate import curve
from embedlab.stats import Crossover

DOCUMENT = "docs/answer.md"

# Published IMDB results (the standard 25k/25k split): the anchors the issue names.
ANCHORS = (("Maas et al. 2011, word vectors + bag of words", "88.9 %"),
           ("LSTM-class models", "88–89 %"),
           ("NBSVM-bigram, Wang & Manning 2012", "91.2 %"))
TARGET = 0.89   # IMDB 50k, N = all: the best network should reach the LSTM anchors' upper end
MAIN = ("w2v_finetuned@glove6b", "learned")   # the comparison the README states


def figures(res: dict) -> dict:
    return res["figures"]


def passes(res: dict) -> dict[str, dict]:
    return {p["name"]: p for p in figures(res)["passes"]}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def decided(res: dict) -> dict | None:
    """The answer stage's numbers, when the curve was run with it."""
    return figures(res).get("answer")


def decision(res: dict) -> str:
    """The decision page for this dataset, under its heading in docs/answer.md (one level down)."""
    answer = decided(res)
    if answer is None:
        return para(f"The decision table for this dataset comes with its next curve run "
                    f"(`python -m benchmarks.curves --dataset {figures(res)['dataset']}`): this results "
                    f"file predates the answer stage.")
    body = page.markdown(answer, image(figures(res)["dataset"])).split("\n", 2)[2]   # its title: the heading above
    return "\n".join("#" + line if line.startswith("## ") else line for line in body.splitlines()).strip()


def setup(res: dict) -> str:
    f = figures(res)
    d, t = f["data"], f["train"]
    runs = "; ".join(f"`{p['name']}`: {len(p['strategies'])} strategies × {', '.join(p['architectures'])} × "
                     f"seeds {', '.join(map(str, p['seeds']))} at N = "
                     f"{', '.join(f'{n:,}' if isinstance(n, int) else n for n in p['train_sizes'])}"
                     for p in f["passes"])
    return "\n".join([
        para(f"`{d['source']}`: {d['train']:,} train / {d['val']:,} val / {d['test']:,} test reviews after "
             f"deduplication (test majority class {100 * d['test_majority']:.1f} %), `max_len` {d['max_len']}. "
             f"Grids (passes): {runs}. Up to {t.get('epochs')} epochs with early stopping on validation loss "
             f"(patience {t.get('patience')}), best weights restored."), "",
        para(curve.text_seen(d["train"], {"corpus": d.get("corpus")})), "",
        para(f"Reproduce: `{res['command']}` ({_minutes(f['wall_seconds'])} on a {res['machine']['cores']}-core "
             f"{res['machine']['cpu']} shared with other work, over {len(f['repro_runs'])} `dvc repro` runs; "
             f"results in `benchmarks/results/curves_{f['dataset']}.json`).")])


def para(text: str) -> str:
    return _para(text, 96)   # this page's paragraphs are wrapped wider than the other documents'


def best_at_all(res: dict) -> dict | None:
    """The network selected at N = all and its paired comparison with TF-IDF: the
    decision page's (its one selection rule) where the curve has one, else the best on
    validation over every pass, as the pass that trained it computed it. None without
    N = all (a curve cut short)."""
    answer = decided(res)
    if answer is not None:
        chosen = next((s for s in answer["selection"] if s["train_size"] == "all"), None)
        if chosen is not None and chosen["architecture"] is None:   # TF-IDF chosen: the best network
            return _network_at_all(answer, chosen)
        if chosen is None or chosen["vs_reference"] is None:
            return None
        c = answer["comparisons"][chosen["vs_reference"]]
        verdict = c["direction"] or f"no evidence of a difference larger than {100 * c['bound']:.1f} points"
        return {**c, "a": chosen["strategy"], "architecture": chosen["architecture"], "verdict": verdict,
                "best_seed": chosen["test_accuracy_max"], "seeds": len(chosen["seeds"]),
                "test": f"Holm p {c['p_holm']:.2g} over the decision page's comparisons"}
    best = None
    for p in figures(res)["passes"]:
        for c in p["curve"]["best_vs_reference"]:
            if c["train_size"] != "all":
                continue
            rows = [r for r in figures(res)["rows"] if r["train_size"] == "all" and r["strategy"] == c["a"]
                    and r["architecture"] == c["architecture"]]
            val = sum(r["best_val_accuracy"] for r in rows) / len(rows)
            if best is None or val > best[0]:
                best = (val, c, rows)
    if best is None:
        return None
    val, c, rows = best
    accs = [r["test_accuracy"] for r in rows]
    return {**c, "val": val, "best_seed": max(accs), "seeds": len(accs), "test": f"McNemar p = {c['mcnemar_p']:.3g}"}


def _network_at_all(answer: dict, chosen: dict) -> dict | None:
    """Where the page chose TF-IDF at N = all: the best network (chosen on validation among
    the networks) and the row's comparison, turned to read network − TF-IDF."""
    if chosen.get("vs_network") is None:
        return None
    c = answer["comparisons"][chosen["vs_network"]]
    net = next(x for x in answer["configs"] if x["train_size"] == "all"
               and {"strategy": x["strategy"], "architecture": x["architecture"]} == chosen["network"])
    verdict = ({"better": "worse", "worse": "better"}[c["direction"]] if c["direction"] else
               f"no evidence of a difference larger than {100 * c['bound']:.1f} points")
    return {**c, "a": net["strategy"], "architecture": net["architecture"], "verdict": verdict,
            "accuracy_a": c["accuracy_b"], "accuracy_b": c["accuracy_a"], "diff": -c["diff"],
            "ci_low": -c["ci_high"], "ci_high": -c["ci_low"], "best_seed": net["test_accuracy_max"],
            "seeds": len(net["seeds"]), "test": f"Holm p {c['p_holm']:.2g} over the decision page's comparisons",
            "reference_chosen": True}


def _which(b: dict) -> str:
    """What the N = all network is to the page: its choice, or (where the page chose
    TF-IDF) only the best of the networks."""
    return "the page's best network" if b.get("reference_chosen") else "the selected network"


def _among(b: dict) -> str:
    return f" among the networks; the page itself chose {page.REFERENCE_NAME}" if b.get("reference_chosen") else ""


def anchors(res: dict) -> str:
    """IMDB at N = all: the best network against the published anchors and TF-IDF."""
    b = best_at_all(res)
    if b is None:
        return para("The best network at N = all is compared with the published results once the curve "
                    "reaches N = all.")
    d = figures(res)["data"]
    lines = ["| model | test accuracy | source |", "|---|---:|---|",
             f"| best network here: `{b['a']}` / {b['architecture']} (chosen on validation{_among(b)})"
             + (f", mean of {b['seeds']} seeds" if b["seeds"] > 1 else ", one seed")
             + f" | {100 * b['accuracy_a']:.1f} % | this run |",
             *([f"| ... its best seed | {100 * b['best_seed']:.1f} % | this run (chosen on test: optimistic) |"]
               if b["seeds"] > 1 else []),
             f"| TF-IDF + logistic regression, same split | {100 * b['accuracy_b']:.1f} % | this run |",
             *[f"| {name} | {acc} | published (25k/25k split) |" for name, acc in ANCHORS]]
    met = "met" if b["accuracy_a"] >= TARGET else "**not met**"
    return "\n".join(lines + ["", para(
        f"Best network − TF-IDF, paired on the same {b['n_test']:,} test reviews: {100 * b['diff']:+.1f} points, "
        f"95% CI [{100 * b['ci_low']:+.1f}, {100 * b['ci_high']:+.1f}] ({b['verdict']}; {b['test']}). Target ≥ {100 * TARGET:.0f} % for the best network: {met}. The published "
        f"figures use the standard 25,000/25,000 split; this run trains on {d['train']:,} reviews and tests on "
        f"{d['test']:,} (80/10/10 of the deduplicated 50,000), so they are anchors, not a like-for-like race.")])


def main_statement(res: dict) -> str:
    """The README's sentence for one dataset: the main comparison, pooled."""
    for c in passes(res)["curve"]["curve"]["crossovers"]:
        if (c["a"], c["b"]) == MAIN and c["scope"] == "":
            return Crossover.from_dict(c).sentence()
    raise KeyError(f"{figures(res)['dataset']}: no {MAIN[0]} vs {MAIN[1]} crossover in the curve pass")


def wins(res: dict) -> list[str]:
    """Every statement, pooled or per architecture, in which a vector strategy beats
    `learned` from the smallest size on (a crossover, or a win over the whole range)."""
    found = [Crossover.from_dict(c) for c in passes(res)["curve"]["curve"]["crossovers"]]
    return [c.sentence() for c in found if c.status != "none"]


DATASETS = (("Amazon Fine Food reviews", "Amazon"), ("IMDB", "IMDB"))


def decision_tables(amazon: dict, imdb: dict) -> list[str]:
    """Each dataset's decision table, where its curve has one: the README leads with them."""
    return [line for (name, _), res in zip(DATASETS, (amazon, imdb)) if (answer := decided(res)) is not None
            for line in (f"**{name}**, the decision table (docs/answer.md has the rest):", "",
                         *page.decision_table(answer), "", *_partial(figures(res)))]


def _partial(f: dict) -> list[str]:
    """A curve cut short (a session's end) names, under its table, the preset's sizes it
    has not run yet."""
    preset = PRESETS[f["dataset"]]
    wanted = next(p for p in preset["passes"] if p.name == preset["answer_pass"]).train_sizes
    left = [f"{z:,}" if isinstance(z, int) else z for z in wanted if z not in f["answer"]["sizes"]]
    if not left:
        return []
    return [f"(This curve stops at N = {f['answer']['train_examples'][-1]:,} so far; not run yet: "
            f"{', '.join(left)}. `python -m benchmarks.curves --dataset {f['dataset']}` resumes it.)", ""]


def provenance(short: str, res: dict) -> str:
    """Which code a curve ran: issue 31's selection (cross-validation below ``train.cv_below``,
    the linear head, TF-IDF competing) or the holdout selection before it."""
    f = figures(res)
    when = f"commit `{f['commit'][:7]}`, {res['date'][:10]}"
    if "cv_below" in f["params"]["train"]:
        return (f"{short}: {when}; cross-validated over the N labels below {f['params']['train']['cv_below']:,}, "
                f"{' and '.join(f['params']['grid']['architectures'])}, TF-IDF competing")
    return (f"{short}: {when}, on the code before issue 31 (holdout selection, no linear head, TF-IDF not "
            "competing)")


def readme(amazon: dict, imdb: dict) -> str:
    """The README's answer: each dataset's decision table where its curve has one (the
    page lists every significant result); an older results file keeps its statements."""
    b = best_at_all(imdb)
    pairs = list(zip(DATASETS, (amazon, imdb)))
    tables = decision_tables(amazon, imdb)
    older = [(names, res) for names, res in pairs if decided(res) is None]
    found = [f"  - {short}: {s}" for (_, short), res in older for s in wins(res)]
    imdb_all = [] if b is None else [
        f"- **IMDB, every training review:** {_which(b)} (`{b['a']}` / {b['architecture']}, chosen on "
        f"validation{_among(b)}) scores {100 * b['accuracy_a']:.1f} % test accuracy against {100 * b['accuracy_b']:.1f} % "
        f"for TF-IDF + logistic regression ({100 * b['diff']:+.1f} points, 95% CI [{100 * b['ci_low']:+.1f}, "
        f"{100 * b['ci_high']:+.1f}]); published: " + ", ".join(f"{n} {a}" for n, a in ANCHORS) + "."]
    runs = "The curves below: " + "; ".join(provenance(short, res) for (_, short), res in pairs) + "."
    return "\n".join([
        runs, "",
        *tables,
        *[f"- **{name}** (up to {figures(res)['data']['train']:,} labeled): " + main_statement(res)
          for (name, _), res in older],
        *imdb_all,
        *(["- **Where a vector strategy does win** at small sizes (every strategy and architecture of the "
           "curves):" + (" none." if not found else ""), *found] if older else [])])


def peers(res: dict) -> str:
    """The network the page selects at N = all against fastText and TF-IDF (issue 21)."""
    v = figures(res).get("peers")
    if not v:
        return para("The peers (fastText, TF-IDF n-gram logistic regression) are compared with the "
                    "selected network once a curve with N = all and `benchmarks.peers` results are run "
                    "(docs/benchmarks/accuracy.md has them beside the committed run's champion).")
    from docgen.blocks.benchmarks_accuracy import PEER_NAMES

    n = v["network"]
    rows = [f"| {PEER_NAMES.get(r['peer'], r['peer'])} | {100 * r['peer_accuracy']:.1f} % | "
            f"{100 * r['diff']:+.1f} [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}] |" for r in v["rows"]]
    who = "the page's best network" if n.get("reference_chosen") else "the selected"
    chose = f"; the page itself chose {page.REFERENCE_NAME}" if n.get("reference_chosen") else ""
    return "\n".join([para(f"With every label (N = all), {who} `{n['strategy']}` / {n['architecture']} "
                            f"({100 * v['network_accuracy']:.1f} %, mean of {v['seeds']} seed{'s' * (v['seeds'] > 1)}"
                            f"{chose}) against what a "
                            f"practitioner would pick instead, fitted on the same split "
                            f"(`python -m benchmarks.peers`), paired over the same {v['test_size']:,} test "
                            "reviews and the seeds:"), "",
                       "| peer | its test accuracy | network − peer, points [95 % CI] |", "|---|---:|---|", *rows])


def yardstick(res: dict) -> str:
    """The page's choice at each size against issue 31's held-out reference on the same
    rows (``benchmarks.peers.averaged_vectors``): the simple, well-tuned model a choice
    must stand beside."""
    rows, answer = figures(res).get("yardstick"), decided(res)
    if not rows or answer is None:
        return para("The page against averaged vectors + logistic regression on the same rows comes with "
                    f"this dataset's next curve run (`python -m benchmarks.curves --dataset "
                    f"{figures(res)['dataset']}`).")
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    at = {(r["variant"], str(r["train_size"])): r for r in rows}
    lines = [para("Each vectors table this curve trained, frozen, averaged over each review's words, and "
                  "logistic regression with C chosen by cross-validation over the same N labels and folds "
                  "(at N = all, over the train split), refit on all N: issue 31's held-out reference, on the "
                  "page's own rows and seeds. A yardstick, not a candidate: the page never reads it. Test "
                  "accuracy, mean ± sd over the seeds."), "",
             "| labeled reviews | the page's choice | its test accuracy | "
             + " | ".join(f"averaged `{v}` + LR" for v in variants) + " |",
             "|---|---|---:|" + "---:|" * len(variants)]
    for s in answer["selection"]:
        cells = [at.get((v, str(s["train_size"]))) for v in variants]
        lines.append(f"| {s['train_examples']:,}{' (all)' if s['train_size'] == 'all' else ''} | "
                     f"{page.config_name(s)} | {s['test_accuracy']:.3f} | "
                     + " | ".join("–" if c is None else f"{c['test_accuracy']:.3f}"
                                  + (f" ± {c['test_accuracy_sd']:.3f}" if c["runs"] > 1 else "") for c in cells)
                     + " |")
    return "\n".join(lines)


def _verdict(lo: float, hi: float) -> str:
    return "better" if lo > 0 else "worse" if hi < 0 else "unresolved"


def tuning_changed(res: dict, untuned: dict) -> str:
    """Which per-architecture verdicts against `learned` the tuned curve changed, against
    the untuned one (one setting for every strategy, selection on the whole validation
    split), compared on unadjusted 95 % intervals both sides."""
    answer = decided(res)
    if answer is None:
        return para("The verdicts tuning changed are listed once the tuned curve is run.")
    before = {}
    for pas in untuned["figures"]["passes"]:
        for x in pas["curve"]["crossovers"]:
            if x["scope"]:
                for pt in x["points"]:
                    before[(x["a"], x["scope"], str(pt["train_size"]))] = pt
    rows, same = [], 0
    for c in (c for c in answer["comparisons"] if c["kind"] == "vs_learned"):
        key = (c["a"]["strategy"], c["a"]["architecture"], str(c["train_size"]))
        old = before.get(key)
        if old is None:
            continue
        was, now = _verdict(old["ci_low"], old["ci_high"]), _verdict(c["ci_low"], c["ci_high"])
        if was == now:
            same += 1
            continue
        rows.append(f"| {c['train_examples']:,} | {key[1]} | `{key[0]}` | {was}: {100 * old['diff']:+.1f} "
                    f"[{100 * old['ci_low']:+.1f}, {100 * old['ci_high']:+.1f}] | {now}: {100 * c['diff']:+.1f} "
                    f"[{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}] |")
    head = para(f"Of the {same + len(rows)} strategy-vs-`learned` comparisons both curves made, tuning "
                f"changed the verdict of {len(rows)} (unadjusted 95 % intervals on both sides; the untuned "
                "curve: `curves_" + figures(res)["dataset"] + "_untuned.json`).")
    if not rows:
        return head
    return "\n".join([head, "", "| labeled reviews | architecture | strategy vs `learned` | untuned, points "
                       "[95 % CI] | tuned |", "|---:|---|---|---|---|", *rows])


PARTS = {"decision": decision, "setup": setup, "anchors": anchors}
BLOCKS_PER_DATASET = {"amazon": ("decision", "setup"), "imdb": ("decision", "setup", "anchors")}
for _dataset, _parts in BLOCKS_PER_DATASET.items():
    for _part in _parts:
        block(f"answer-{_dataset}-{_part}", f"benchmarks/results/curves_{_dataset}.json")(PARTS[_part])
for _dataset in BLOCKS_PER_DATASET:
    block(f"answer-{_dataset}-peers", f"benchmarks/results/curves_{_dataset}.json")(peers)
    block(f"answer-{_dataset}-yardstick", f"benchmarks/results/curves_{_dataset}.json")(yardstick)
    block(f"answer-{_dataset}-tuning", f"benchmarks/results/curves_{_dataset}.json",
          f"benchmarks/results/curves_{_dataset}_untuned.json")(tuning_changed)
