"""The decision page (``reports/answer.md``, and docs/answer.md via docgen), rendered
only from ``reports/answer.json`` (``embedlab.answer.decide``).

A pure function of that dict, with the standard library only: docgen imports it
without TensorFlow, pandas or NumPy. Every figure on the page is a value of the
dict; the page types none. Tables carry the detail; the few sentences are built
once each, so no line repeats.
"""

from __future__ import annotations

REFERENCE_NAME = "TF-IDF + logistic regression"
# The rule a decision row used (answer.json: selection[].rule.kind, which decide.choose
# writes): the one-standard-error rule, or the best score.
ONE_SE, BEST = "one_se", "best"


# ------------------------------------------------------------------ formatting
def _n(size, examples: int) -> str:
    return f"{examples:,} (all)" if size == "all" else f"{examples:,}"


def _range(sizes: list, examples: list[int]) -> str:
    first, last = _n(sizes[0], examples[0]), _n(sizes[-1], examples[-1])
    return first if len(sizes) == 1 else f"{first}–{last}"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def _ci(c: dict) -> str:
    return f"[{_pts(c['ci_low'])}, {_pts(c['ci_high'])}]"


def _p(c: dict, key: str = "p") -> str:
    """A p-value; "≤" where no bootstrap draw fell on the other side of 0 (p_bound)."""
    return f"≤ {c[key]:.2g}" if c["p_bound"] else f"{c[key]:.2g}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if round(100 * x, 1) == round(100 * x) else f"{100 * x:.1f} %"


def config_name(side: dict) -> str:
    """A candidate as the page names it: `strategy` / architecture, or the reference (no architecture)."""
    if side.get("architecture") is None:
        return REFERENCE_NAME
    return f"`{side['strategy']}` / {side['architecture']}"


def _acc(row: dict) -> str:
    """Mean test accuracy, ± the sd over seeds when there are several."""
    runs = len(row["seeds"]) if "seeds" in row else row.get("runs", 1)
    mean = f"{row['test_accuracy']:.3f}"
    return mean if runs < 2 else f"{mean} ± {row['test_accuracy_sd']:.3f}"


def _verdict(c: dict) -> str:
    """Symmetric: a side wins only when the difference survives Holm; otherwise the
    largest difference the interval leaves open is stated, never "no effect"."""
    if c["significant"]:
        return f"**{c['direction']}**"
    return f"no evidence of a difference larger than {100 * c['bound']:.1f} points"


def _per_size(values: list[str], rows: list[dict]) -> str:
    """One value per size of a regime; a regime of several sizes names each."""
    if len(values) == 1:
        return values[0]
    return "<br>".join(f"{_n(r['train_size'], r['train_examples'])}: {v}" for r, v in zip(rows, values))


# ------------------------------------------------------------ decision table
def _gain(answer: dict, index: int | None, when_none: str) -> str:
    if index is None:
        return when_none
    c = answer["comparisons"][index]
    text = f"{_pts(c['diff'])} {_ci(c)}"
    return f"**{text}**" if c["significant"] else text


def _phrase(answer: dict, index: int | None) -> str:
    c = answer["comparisons"][index]
    if c["significant"]:
        return (f"{'ahead' if c['diff'] > 0 else 'behind'} by {abs(100 * c['diff']):.1f} points, "
                f"Holm p {_p(c, 'p_holm')}")
    return f"no evidence of a difference larger than {100 * c['bound']:.1f} points"


def _why(answer: dict, regime: dict, rows: list[dict]) -> str:
    """One line of why, from the regime's comparisons."""
    ref = answer["reference_strategy"]
    moved = [r for r in rows if _below_best(r)]
    val = ", ".join(f"{r['best_val_accuracy']:.3f}" for r in rows)
    head = f"first on validation ({val})" if not moved else (
        f"on validation {val}: the fewest trained weights within one standard error of the best ("
        + ", ".join((f"at {_n(r['train_size'], r['train_examples'])}: " if len(rows) > 1 else "")
                    + f"{config_name(r['rule']['best'])} {r['rule']['best_val_accuracy']:.3f} ± "
                    f"{r['rule']['se']:.3f}" for r in moved) + ")")
    parts = []
    for r in rows:
        against = ([f"vs best `{ref}` ({r['learned']['architecture']}) {_phrase(answer, r['vs_learned'])}"]
                   if r["vs_learned"] is not None else [])
        against += ([f"vs TF-IDF {_phrase(answer, r['vs_reference'])}"] if r["vs_reference"] is not None else [])
        # TF-IDF chosen: against the best network, unless that is the best `learned` one just named.
        if r.get("vs_network") is not None and r["vs_network"] != r["vs_learned"]:
            against.append(f"vs the best network ({config_name(r['network'])}) {_phrase(answer, r['vs_network'])}")
        if against:
            where = f"at {_n(r['train_size'], r['train_examples'])}: " if len(rows) > 1 else ""
            parts.append(where + "; ".join(against))
    if regime["strategy"] == ref:
        head = f"the reference strategy itself is {head}"
    return head + (": " + " · ".join(parts) if parts else "")


def _below_best(row: dict) -> bool:
    """Whether the one-standard-error rule chose a simpler candidate than the best."""
    side = {"strategy": row["strategy"], **({"architecture": row["architecture"]} if row["architecture"] else {})}
    return _one_se(row) and row["rule"]["best"] != side


def _seconds(row: dict) -> str:
    """Measured seconds where the page was built with them (benchmarks, `embedlab answer`);
    the stage's tracked page shows the work instead, which a rerun reproduces."""
    if row["seconds"] is None:
        w = row.get("work")
        if not w:
            return "–"
        return f"{w['epochs']:.0f} epochs × {w['fit_examples']:,} reviews" + (
            f", best of {w['trials']} trials" if w["trials"] else "")
    return f"{row['seconds']:.0f} s" if row["seconds"] >= 10 else f"{row['seconds']:.1f} s"


def _below_majority(answer: dict, row: dict) -> str:
    """A choice that does not beat always answering the majority class says so (older
    pages carry no ``above_majority`` and say nothing)."""
    if row.get("above_majority") is not False:
        return ""
    return f" (not above the majority-class rate, {answer['data']['test_majority']:.3f})"


def decision_table(answer: dict) -> list[str]:
    ref = answer["reference_strategy"]
    ci = f"points ({_pct(answer['level'])} CI)"
    lines = [f"| labeled reviews | use | test accuracy | gain vs best `{ref}`, {ci} | "
             f"gain vs {REFERENCE_NAME}, {ci} | cost per cell | why |",
             "|---|---|---|---|---|---:|---|"]
    by_size = {str(s["train_size"]): s for s in answer["selection"]}
    for regime in answer["regimes"]:
        rows = [by_size[str(s)] for s in regime["sizes"]]
        is_ref = regime["strategy"] == ref
        is_tfidf = regime["architecture"] is None
        lines.append("| " + " | ".join([
            _range(regime["sizes"], regime["train_examples"]), config_name(regime),
            _per_size([_acc(r) + _below_majority(answer, r) for r in rows], rows),
            _per_size([_gain(answer, r["vs_learned"], "(is the reference)" if is_ref else "–") for r in rows], rows),
            _per_size([_gain(answer, r["vs_reference"], "(is the choice)" if is_tfidf else "–") for r in rows], rows),
            _per_size([_seconds(r) for r in rows], rows),
            _why(answer, regime, rows)]) + " |")
    return lines


def _pool(answer: dict) -> str:
    """What the rule chose among; a page from before the reference competed says only cells."""
    if not answer.get("reference_in_selection"):
        return "among every cell run at that size"
    return (f"among every cell run at that size and {REFERENCE_NAME} (on its own subsets, scored the same "
            f"way; where it is first, the page says to use it and compares it with the best network)")


def _majority_rule(answer: dict) -> str:
    if not any("above_majority" in r for r in answer["selection"]):
        return ""   # a page from before the rule
    return (f" A choice whose test accuracy is not above always answering the majority class "
            f"({answer['data']['test_majority']:.3f}) says so.")


def _one_se(row: dict) -> bool:
    """Whether a row chose by the one-standard-error rule (a page from before the rule's
    ``kind`` used it at every size it has a rule for)."""
    return bool(row.get("rule")) and row["rule"].get("kind", ONE_SE) == ONE_SE


def _rule(answer: dict) -> str:
    """The selection rule in words: the one-standard-error rule where labels are few, the
    best score elsewhere (and everywhere on a page from before the rule)."""
    n = len(answer["seeds"])
    one_se = [s for s in answer["selection"] if _one_se(s)]
    if not one_se:
        return (f"the strategy / architecture with the best mean validation accuracy over its seeds "
                f"({n} here) {_pool(answer)}")
    text = ("of those within one standard error of the best score (binomial, over the reviews each seed "
            "selected on), the one with the fewest weights fitted to the labels (the one-standard-error "
            "rule: at a few hundred labels the best score is mostly the luckiest)")
    if len(one_se) < len(answer["selection"]):
        sizes = ", ".join(_n(s["train_size"], s["train_examples"]) for s in one_se)
        text = f"where labels are few ({sizes}), {text}; with more labels, the best score"
    return f"{_pool(answer)}, each scored by its mean validation accuracy over its seeds ({n} here): {text}"


def _method(answer: dict) -> str:
    d, fam = answer["data"], answer["family"]
    return (f"Selection, the one rule of this page: at each size, {_rule(answer)}; the test split never "
            f"chooses.{_majority_rule(answer)} Gains are paired on the same {d['n_test']:,} test reviews "
            f"(each side's per-review correctness averaged over its seeds; {_pct(answer['level'])} bootstrap "
            f"interval over test reviews, {answer['n_boot']:,} draws). Bold: the gain survives Holm's "
            f"adjustment over all {fam['size']} comparisons of this page at family-wise level "
            f"{fam['alpha']:g}.")


# ---------------------------------------------------------------- detail tables
def _spread(answer: dict) -> str:
    n = len(answer["seeds"])
    return f"Test accuracy, mean ± sd over {n} seeds:" if n > 1 else "Test accuracy (one seed):"


def accuracy_table(answer: dict) -> list[str]:
    """Per architecture, rows = strategies, columns = sizes: mean test accuracy (± sd over seeds)."""
    sizes = list(zip(answer["sizes"], answer["train_examples"]))
    lines = ["| architecture | strategy | " + " | ".join(_n(s, n) for s, n in sizes) + " |",
             "|---|---|" + "---:|" * len(sizes)]
    cells = {(c["architecture"], c["strategy"], str(c["train_size"])): c for c in answer["configs"]}
    for arch, strategy in sorted({k[:2] for k in cells}):
        lines.append(f"| {arch} | `{strategy}` | " + " | ".join(
            _acc(cells[(arch, strategy, str(s))]) if (arch, strategy, str(s)) in cells else "–"
            for s, _ in sizes) + " |")
    ref = {str(r["train_size"]): r for r in answer["reference"]}
    if ref:
        lines.append(f"| – | {REFERENCE_NAME} | " + " | ".join(
            _acc(ref[str(s)]) if str(s) in ref else "–" for s, _ in sizes) + " |")
    return lines


def _coverage(answer: dict) -> list[str]:
    """Where an architecture did not run at every size (grid.min_train_size,
    grid.max_train_size): say from where, up to where."""
    order = [str(s) for s in answer["sizes"]]
    examples = dict(zip(order, answer["train_examples"]))
    ran: dict[str, set[int]] = {}
    for c in answer["configs"]:
        ran.setdefault(c["architecture"], set()).add(order.index(str(c["train_size"])))
    notes, keys = [], []
    for arch, at in sorted(ran.items()):
        low, high = min(at), max(at)
        n_low, n_high = (_n(order[i], examples[order[i]]) for i in (low, high))
        span = (f"up to {n_high} labeled reviews" if low == 0
                else f"from {n_low} labeled reviews" if high == len(order) - 1
                else f"at {n_low} labeled reviews only" if low == high
                else f"from {n_low} to {n_high} labeled reviews")
        if low > 0 or high < len(order) - 1:
            notes.append(f"{arch} ran {span}")
            keys += (["`grid.min_train_size`"] if low > 0 else []) + (
                ["`grid.max_train_size`"] if high < len(order) - 1 else [])
    if not notes:
        return []
    return ["", "–: not run. " + "; ".join(notes) + f" ({', '.join(sorted(set(keys), reverse=True))})."]


def comparison_table(answer: dict) -> list[str]:
    ref = answer["reference_strategy"]
    lines = [f"| labeled reviews | architecture | strategy vs `{ref}` | difference, points | "
             f"{_pct(answer['level'])} CI | bootstrap p | Holm p | detectable, points | verdict |",
             "|---|---|---|---:|---|---:|---:|---:|---|"]
    for c in answer["comparisons"]:
        if c["kind"] != "vs_learned":
            continue
        lines.append(f"| {_n(c['train_size'], c['train_examples'])} | {c['a']['architecture']} | "
                     f"`{c['a']['strategy']}` | {_pts(c['diff'])} | {_ci(c)} | {_p(c)} | "
                     f"{_p(c, 'p_holm')} | {100 * c['mde']:.1f} | {_verdict(c)} |")
    return lines


def _family(answer: dict) -> str:
    fam = answer["family"]
    shown = sum(c["kind"] == "vs_learned" for c in answer["comparisons"])
    return (f"The family: {fam['size']} comparisons ({shown} in this table, the rest in the decision "
            f"table), family-wise level {fam['alpha']:g} (Holm). About {1 - answer['level']:.2g}·K = "
            f"{fam['expected_by_chance']:.1f} of these intervals would exclude 0 by chance alone. "
            f"\"Detectable\": the smallest difference this design finds with "
            f"{_pct(answer['power'])} power at a two-sided {1 - answer['level']:.2g} test "
            f"({answer['mde_se']:g} × the bootstrap standard error); a verdict that is not significant "
            f"gives the largest difference its interval leaves open.")


def significant(answer: dict) -> list[str]:
    """Every comparison that survives Holm, either side, in the order computed."""
    found = [c for c in answer["comparisons"] if c["significant"]]
    if not found:
        return [f"None of the {answer['family']['size']} comparisons survives Holm at "
                f"{answer['family']['alpha']:g}."]
    return [f"- {_n(c['train_size'], c['train_examples'])} labeled: {config_name(c['a'])} vs {config_name(c['b'])}: "
            f"{_pts(c['diff'])} points {_ci(c)}, Holm p {_p(c, 'p_holm')} "
            f"({c['direction']})" for c in found]


# ---------------------------------------------------------------- beside the tables
def _hparams(values: list | None, seeds: list[int]) -> str:
    """The values a config trained with: once when every seed's cell used the same, else per seed."""
    if not values:
        return "–"

    def one(h) -> str:
        if not isinstance(h, dict):
            return "–"
        return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in h.items())

    distinct = list(dict.fromkeys(one(h) for h in values))
    return distinct[0] if len(distinct) == 1 else "<br>".join(f"seed {k}: {one(h)}" for k, h in zip(seeds, values))


def _trials(values: list | None) -> str:
    return "–" if not values else ", ".join(dict.fromkeys(str(int(v)) for v in values if v is not None)) or "–"


def beside(answer: dict) -> list[str]:
    d = answer["data"]
    source = f"`{d['source']}`: " if d.get("source") else ""
    split = (f"{d['n_train']:,} train / {d['n_val']:,} validation / " if "n_train" in d else "")
    lines = [f"{source}{split}{d['n_test']:,} test reviews; always answering the test split's majority "
             f"class scores {d['test_majority']:.3f}.", "",
             "| labeled reviews | selected | test ROC AUC | hyperparameters | tuning trials |",
             "|---|---|---:|---|---|"]
    for s in answer["selection"]:
        lines.append(f"| {_n(s['train_size'], s['train_examples'])} | {config_name(s)} | {s['test_roc_auc']:.3f} | "
                     f"{_hparams(s['hparams'], s['seeds'])} | {_trials(s['tuning_trials'])} |")
    improving = [c for c in answer.get("still_improving", []) if c["cells"]]
    if improving:
        examples = {str(s): n for s, n in zip(answer["sizes"], answer["train_examples"])}
        lines += ["", "Cells whose last epoch was their best, so they stopped at their epoch cap (a tuned "
                  "cell: its chosen trial's) still improving: " + ", ".join(
                      f"{c['cells']} of {c['of']} at {_n(c['train_size'], examples[str(c['train_size'])])}"
                      for c in improving) + "."]
    if d["variants"]:
        lines += ["", "| vectors variant | width | corpus |", "|---|---:|---|"]
        lines += [f"| {name} | {v['vector_size']} | {v.get('text_seen') or v.get('source') or '–'} |"
                  for name, v in d["variants"].items()]
    return lines


# ------------------------------------------------------------------ the page
def markdown(answer: dict, figure: str) -> str:
    """answer.md from answer.json; ``figure``: the figure's path as the page links it."""
    title = f"# The answer for `{answer['data']['source']}`" if answer["data"].get("source") else "# The answer"
    return "\n".join([
        title, "", "## Decision", "", *decision_table(answer), "", _method(answer), "",
        "## Accuracy vs labeled reviews", "", f"![test accuracy vs labeled reviews]({figure})", "",
        "Each strategy at its architecture chosen on validation, mean over seeds (bar and band: lowest to "
        f"highest seed); {REFERENCE_NAME} dashed.", "",
        "## Detail", "", _spread(answer), "", *accuracy_table(answer), *_coverage(answer), "",
        *comparison_table(answer), "", _family(answer), "",
        "## Every result that survives Holm", "", *significant(answer), "",
        "## Beside the tables", "", *beside(answer), ""])
