"""A tiny learning curve (2 train sizes x 2 strategies) through the real train and
evaluate stages: real Prefect (test harness), a real sqlite MLflow store, real
TensorFlow and gensim on tiny data."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from tests.integration.test_grid import (client_and_experiment, harness, project,  # noqa: F401 (fixtures)
                                         runs_of_kind, write_params)

GRID = {"strategies": ["learned", "w2v_finetuned"], "architectures": ["meanpool"], "seeds": [1],
        "train_sizes": [40, "all"], "baseline": True}


def test_a_curve_grid_trains_every_size_and_evaluate_states_the_crossover(project):
    from flows.evaluate import evaluate_flow
    from flows.train import run_grid

    params = write_params(project, GRID)
    with open(params, "a") as f:   # tiny 2-epoch models cannot pass the behaviour gate
        f.write("evaluate: {min_behaviour_pass_rate: 0.0}\n")
    run_grid(params)
    n_train = pq.ParquetFile(project / "data" / "prepared" / "train.parquet").metadata.num_rows
    report = json.loads((project / "reports" / "train.json").read_text())
    cells = {c["name"]: c for c in report["cells"]}
    assert sorted(cells) == sorted(f"{s}/meanpool/seed{k}{n}" for s in ("learned", "w2v_finetuned")
                                   for k in (1,) for n in ("/n40", ""))
    for c in cells.values():
        assert c["train_examples"] == (40 if c["train_size"] == 40 else n_train)
        assert (project / "models" / c["slug"] / "predictions.npz").exists()
        if c["train_size"] == 40:   # below train.cv_below: 5 folds over the 40 labels, then a refit on all 40
            assert (c["fit_examples"], c["selection_examples"]) == (40, 40) and "best_epoch" not in c
    # One TF-IDF reference on the whole split, one per seed on the 40-review subsets.
    refs = {b["name"]: b for b in report["baselines"]}
    assert sorted(refs) == ["baseline/tfidf_logreg", "baseline/tfidf_logreg/seed1/n40"]
    assert refs["baseline/tfidf_logreg/seed1/n40"]["train_examples"] == 40
    assert refs["baseline/tfidf_logreg/seed1/n40"]["selection_examples"] == 40   # C chosen on the same folds
    client, exp = client_and_experiment()
    runs = {r.info.run_name: r for r in runs_of_kind(client, exp, "cell")}
    assert set(runs) == set(cells)
    small = runs["learned/meanpool/seed1/n40"]
    assert small.data.params["train_size"] == "40" and small.data.tags["train_size"] == "40"
    assert small.data.metrics["train_examples"] == 40

    evaluate_flow(params)
    curve = json.loads((project / "reports" / "curve.json").read_text())
    assert curve["sizes"] == [40, "all"] and curve["train_examples"] == [40, n_train]
    assert {(p["strategy"], p["train_size"]) for p in curve["points"]} == {
        (s, n) for s in ("learned", "w2v_finetuned") for n in (40, "all")}
    [crossover] = curve["crossovers"]
    assert (crossover["a"], crossover["b"]) == ("w2v_finetuned", "learned")
    assert [p["train_size"] for p in crossover["points"]] == [40, "all"]
    assert all(p["pairs"] == 1 and p["n_test"] > 0 for p in crossover["points"])
    assert [r["train_size"] for r in curve["best_vs_reference"]] == [40, "all"]
    text = (project / "reports" / "report.md").read_text()
    assert "## Accuracy vs labeled train size" in text and crossover["sentence"] in text
    assert f"the text of all {n_train:,} train reviews" in text
    assert (project / "reports" / "plots" / "size_curve.png").read_bytes()[:4] == b"\x89PNG"
    # The report's tables and the champion are the whole split's cells.
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert {s["runs"] for s in metrics["strategies"].values()} == {1}
    champion = client.get_model_version_by_alias("review-sentiment", "champion")
    assert champion.tags["train_size"] == "all"

    # Resume carries the size: a second run reuses every cell and every reference,
    # and reports the same numbers.
    first = json.loads((project / "reports" / "train_runs.json").read_text())
    run_grid(params)
    again = json.loads((project / "reports" / "train_runs.json").read_text())
    assert {c["status"] for c in again["cells"] + again["baselines"]} == {"reused"}
    assert {c["name"]: c["run_id"] for c in again["cells"]} == {c["name"]: c["run_id"] for c in first["cells"]}
    assert (project / "reports" / "train.json").read_text() == json.dumps(report, indent=2) + "\n"
