"""The answer stage on a tiny learning curve (2 sizes x 2 strategies x 2 seeds) after the
real train stage: real Prefect (test harness), a real sqlite MLflow store, real
TensorFlow and gensim on tiny data. The evaluate stage is not needed: answer reads
the train stage's outputs."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from embedlab.answer import page
from embedlab.layout import Layout
from tests.integration.test_grid import harness, project, write_params  # noqa: F401 (fixtures)

GRID = {"strategies": ["learned", "w2v_finetuned"], "architectures": ["meanpool"], "seeds": [1, 2],
        "train_sizes": [40, "all"], "baseline": True}


def test_the_answer_stage_writes_the_page_from_its_json(project):
    from flows.answer import answer_flow
    from flows.train import run_grid

    params = write_params(project, GRID)
    run_grid(params)
    answer_flow(params)
    lay = Layout(project)
    n_test = pq.ParquetFile(lay.split("test")).metadata.num_rows
    answer = json.loads(lay.answer_json.read_text())
    assert answer["sizes"] == [40, "all"] and answer["seeds"] == [1, 2]
    assert [s["train_size"] for s in answer["selection"]] == [40, "all"]
    train = json.loads(lay.train_report.read_text())
    for s in answer["selection"]:   # the selection rule, checked against the cells and references themselves
        at = [c for c in train["cells"] if c["train_size"] == s["train_size"]]
        val = {(c["strategy"], c["architecture"]): [] for c in at}
        for c in at:
            val[(c["strategy"], c["architecture"])].append(c["best_val_accuracy"])
        val[("tfidf_logreg", None)] = [b["best_val_accuracy"] for b in train["baselines"]
                                       if b["train_size"] == s["train_size"]]
        mean = {k: sum(v) / len(v) for k, v in val.items()}
        assert mean[(s["strategy"], s["architecture"])] == max(mean.values())   # ties: the rule's order
        assert s["above_majority"] == (s["test_accuracy"] > answer["data"]["test_majority"])
    # Two strategy-vs-learned pairs (one per size); per size, a network choice vs TF-IDF (its vs
    # learned is one of the pairs, or it is learned); TF-IDF chosen: vs the best learned config,
    # and vs the best network where that is not learned.
    assert answer["family"]["size"] == 2 + sum(
        1 if s["architecture"] is not None or s["network"] == s["learned"] else 2 for s in answer["selection"])
    assert all(c["n_test"] > 0 and 0 <= c["p_holm"] <= 1 for c in answer["comparisons"])
    assert 0.5 <= answer["data"]["test_majority"] <= 1 and answer["data"]["n_test"] == n_test
    text = lay.answer_md.read_text()
    assert text == page.markdown(answer, "plots/answer.png")
    assert text.startswith("# The answer") and "## Decision" in text
    assert lay.answer_plot.read_bytes()[:4] == b"\x89PNG"


def test_a_capped_architecture_runs_below_its_cap_and_both_reports_cope(project):
    """grid.max_train_size: cnn only at 40 labels; evaluate and answer read a grid that is
    not a full cross product (the IMDB curve's shape)."""
    from flows.answer import answer_flow
    from flows.evaluate import evaluate_flow
    from flows.train import run_grid

    params = write_params(project, {**GRID, "architectures": ["meanpool", "cnn"], "seeds": [1],
                                    "max_train_size": {"cnn": 40}})
    with open(params, "a") as f:   # tiny models cannot pass the behaviour gate
        f.write("evaluate: {min_behaviour_pass_rate: 0.0}\n")
    run_grid(params)
    lay = Layout(project)
    cells = {c["name"] for c in json.loads(lay.train_report.read_text())["cells"]}
    assert cells == {f"{s}/{a}/seed1{n}" for s in ("learned", "w2v_finetuned")
                     for a, sizes in (("meanpool", ("/n40", "")), ("cnn", ("/n40",))) for n in sizes}
    evaluate_flow(params)
    curve = json.loads(lay.curve_report.read_text())
    assert {(p["architecture"], p["train_size"]) for p in curve["points"] if p["architecture"] == "cnn"} == {
        ("cnn", 40)}
    answer_flow(params)
    answer = json.loads(lay.answer_json.read_text())
    assert {c["architecture"] for c in answer["configs"] if c["train_size"] == "all"} == {"meanpool"}
    assert "cnn ran up to 40 labeled reviews" in lay.answer_md.read_text()
