"""The answer's Markdown (docgen/blocks/answer.py) on synthetic results with known answers."""

from __future__ import annotations

from dataclasses import asdict

from docgen.blocks import answer
from embedlab.evaluate import curve
from embedlab.stats import Comparison


def _point(n: int, verdict: str, diff: float) -> dict:
    c = Comparison("w2v_finetuned", "learned", 2, 400, 0.7 + diff, 0.7, diff, diff - 0.02, diff + 0.02,
                   0.01, 10, 5, 0.2, verdict)
    return {"train_size": n, "train_examples": n, **asdict(c)}


def _results(verdicts: list[str], seeds: list[int], accuracies: list[float]) -> dict:
    sizes = [100, 300, 1000][:len(verdicts)]
    crossover = {"a": "w2v_finetuned", "b": "learned", "scope": "meanpool",
                 "points": [_point(n, v, 0.03 if v == "better" else 0.0) for n, v in zip(sizes, verdicts)]}
    rows = [{"strategy": "learned", "architecture": "cnn", "seed": s, "train_size": "all", "test_accuracy": a}
            for s, a in zip(seeds, accuracies)]
    return {"figures": {"dataset": "imdb", "data": {"train": 1000}, "rows": rows, "tfidf": [],
                        "passes": [{"name": "curve", "seeds": seeds, "curve": {"crossovers": [crossover]}}]}}


def test_a_win_at_small_sizes_is_listed_and_no_win_is_not():
    found = answer.wins(_results(["better", "within noise", "within noise"], [1], [0.8]))
    assert len(found) == 1 and found[0].startswith("Below N = 300, `w2v_finetuned` beats `learned` (meanpool)")
    assert answer.wins(_results(["within noise", "better", "worse"], [1], [0.8])) == []


def test_a_single_run_in_the_curve_table_has_no_spread():
    assert curve._cell({"test_accuracy_mean": 0.8, "test_accuracy_std": 0.0, "seeds": 1}) == "0.800"
    assert curve._cell({"test_accuracy_mean": 0.8, "test_accuracy_std": 0.05, "seeds": 3}) == "0.800 ± 0.050"


def test_a_results_file_with_the_answer_stage_gets_its_page_and_the_readme_leads_with_it():
    import json

    from embedlab.answer import decide, page
    from tests.unit.test_answer_page import SPEC, _grid

    cells, correct, y, baselines, ref = _grid(SPEC)
    stage = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    old = _results(["better", "within noise", "within noise"], [1], [0.8])
    new = {"figures": {**old["figures"], "answer": stage}}
    assert "predates the answer stage" in answer.decision(old)
    block = answer.decision(new)
    assert block.startswith("### Decision") and "\n## " not in block
    assert block.replace("### ", "## ") in page.markdown(stage, answer.image("imdb"))
    table = page.decision_table(stage)
    lead = answer.decision_tables(new, old)
    assert lead[0].startswith("**Amazon") and lead[2:2 + len(table)] == table and answer.decision_tables(old, old) == []


def test_the_anchors_compare_the_network_the_page_selects_at_all_with_its_page_interval():
    """One selection rule: the IMDB anchors and the README's line use the decision page's
    choice at N = all and its own comparison with TF-IDF, not a second pool."""
    import json

    from embedlab.answer import decide
    from tests.unit.test_answer_page import SPEC, _grid

    cells, correct, y, baselines, ref = _grid(SPEC)
    stage = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    res = {"figures": {**_results(["better"], [1], [0.8])["figures"], "answer": stage,
                       "data": {"train": 3000, "test": 400}}}
    chosen = next(s for s in stage["selection"] if s["train_size"] == "all")
    vs_tfidf = stage["comparisons"][chosen["vs_reference"]]
    best = answer.best_at_all(res)
    assert (best["a"], best["architecture"]) == (chosen["strategy"], chosen["architecture"]) == ("learned", "meanpool")
    assert best["diff"] == vs_tfidf["diff"] and best["seeds"] == 2
    assert f"{100 * vs_tfidf['diff']:+.1f} points" in answer.anchors(res)
    cut = {"figures": {**res["figures"], "answer": {**stage, "selection": stage["selection"][:2]}}}
    assert answer.best_at_all(cut) is None and "once the curve reaches" in answer.anchors(cut)


def test_the_curve_says_the_vectors_saw_the_whole_train_split_even_without_all():
    """A curve cut short at N = 100 still names the whole split as the unlabeled text."""
    report = {"corpus": {"tokens": 9000, "sources": {"train": {"lines": 39660, "tokens": 9000}}}}
    assert "all 39,660 train reviews (9,000 tokens)" in curve.text_seen(100, report)
    assert "all 100 train reviews" in curve.text_seen(100, None)


def test_a_decision_table_of_a_curve_cut_short_names_the_sizes_it_has_not_run():
    import json

    from embedlab.answer import decide
    from tests.unit.test_answer_page import SPEC, _grid

    def results(spec: dict) -> dict:
        cells, correct, y, baselines, ref = _grid(spec)
        stage = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
        return {"figures": {"dataset": "amazon", "answer": stage}}

    # The Amazon preset runs 100, 300, 1,000, 3,000 and all.
    small = results({k: v for k, v in SPEC.items() if k[2] != "all"})
    assert "(This curve stops at N = 300 so far; not run yet: 1,000, 3,000, all." in \
        "\n".join(answer.decision_tables(small, small))
    every = results({(s, a, size): v for (s, a, _), v in SPEC.items() for size in (100, 300, 1000, 3000, "all")})
    assert not any("so far" in line for line in answer.decision_tables(every, every))


def test_the_peers_name_the_best_network_as_a_stand_in_where_the_page_chose_tfidf():
    row = {"peer": "fasttext_bigram", "peer_accuracy": 0.79, "diff": -0.01, "ci_low": -0.04, "ci_high": 0.02}
    peers = {"network": {"strategy": "learned", "architecture": "linear", "seeds": [1, 2, 3]},
             "network_accuracy": 0.78, "seeds": 3, "test_size": 497, "rows": [row]}
    chose_network = " ".join(answer.peers({"figures": {"peers": peers}}).split())
    assert "the selected `learned` / linear (78.0 %" in chose_network
    stand_in = " ".join(answer.peers({"figures": {"peers": {**peers, "network": {
        **peers["network"], "reference_chosen": True}}}}).split())
    assert ("the page's best network `learned` / linear (78.0 %, mean of 3 seeds; the page itself chose "
            "TF-IDF + logistic regression) against") in stand_in
    assert "the selected" not in stand_in
