"""The embeddings stage for real: its MLflow run on a temporary sqlite store, and
(slow) `dvc repro` in a temporary git + DVC project with a trained and an
external variant, extra unlabeled text and the deterministic switch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from embedlab.config import EmbeddingsParams, ProbeParams, Word2VecVariant
from embedlab.embeddings.stage import TIMING_FIELDS


def test_mlflow_run_holds_metrics_and_probe_tables(tmp_path, mlflow_store, monkeypatch):
    from mlflow import MlflowClient

    from embedlab import tracking
    from embedlab.embeddings.stage import run_record

    monkeypatch.chdir(tmp_path)
    params = EmbeddingsParams(variants={"cbow": Word2VecVariant(), "mine": Word2VecVariant(path="v.txt")},
                              probes=ProbeParams(words=["good"], antonyms=[("good", "bad")]))
    report = {"corpus": {"lines": 10, "tokens": 100}, "variants": {
        "cbow": {"type_coverage": 0.9, "words_per_sec": 1000, "token_coverage": {"train": 0.8, "val": 0.7}},
        "mine": {"type_coverage": 0.5, "token_coverage": {"train": 0.4, "val": 0.3}}}}
    probe_results = {v: {"neighbours": {"good": [["great", 0.9]]},
                         "antonyms": [{"a": "good", "b": "bad", "cosine": 0.75,
                                       "rank_of_b_among_neighbours_of_a": 2}]} for v in ("cbow", "mine")}
    run_id = tracking.log_run("embeddings", "embeddings", **run_record(report, probe_results, params))
    run = MlflowClient().get_run(run_id)
    assert run.info.run_name == "embeddings" and run.data.tags["embedlab.kind"] == "embeddings"
    assert run.data.metrics["cbow.token_coverage.val"] == 0.7
    assert run.data.metrics["mine.cos.good-bad"] == 0.75
    assert run.data.params["cbow.sg"] == "0" and run.data.params["mine.path"] == "v.txt"
    assert "mine.sg" not in run.data.params
    local = MlflowClient().download_artifacts(run_id, "probes/cbow_neighbours.json", str(tmp_path))
    table = pd.read_json(local, orient="split")
    assert table[["word", "rank", "neighbour"]].values.tolist() == [["good", 1, "great"]]


OVERRIDES = """
data: {sample: 300}
embeddings:
  deterministic: true
  extra_corpus: [{path: unlabeled/more.txt}]
  probes: {words: [good, bad, zzzunknown], antonyms: [[good, bad]], topn: 3}
  variants:
    cbow: {sg: 0, vector_size: 16, epochs: 3, seed: 5}
    mine: {path: vectors/mine.txt}
"""


def _dvc(project, *args, env):
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_dvc_repro_trains_and_loads_variants_deterministically(tmp_path, prefect_home):
    from gensim.models import KeyedVectors
    from mlflow import MlflowClient

    from tests.conftest import make_project, stage_env

    project = make_project(tmp_path / "proj", OVERRIDES)
    (project / "unlabeled").mkdir()
    (project / "unlabeled" / "more.txt").write_text(
        "Zyzzyva crackers are GOOD.\nZyzzyva crackers, bad batch!\n" * 5, encoding="utf-8")
    (project / "vectors").mkdir()
    kv = KeyedVectors(4, count=0)
    kv.add_vectors(["Good", "bad", "the", "coffee"], np.eye(4, dtype=np.float32))
    kv.save_word2vec_format(str(project / "vectors" / "mine.txt"))
    env = stage_env(project)
    env.pop("PYTHONHASHSEED", None)  # the stage must fix it itself

    # Files params name must be deps of the stage: refused until `embedlab deps` adds them.
    refused = _dvc(project, "repro", "embeddings", env=env)
    assert refused.returncode != 0 and "embedlab deps" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    synced = subprocess.run([sys.executable, "-m", "embedlab.cli", "deps"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120)
    assert synced.returncode == 0 and "unlabeled/more.txt, vectors/mine.txt" in synced.stdout, synced.stderr

    first = _dvc(project, "repro", "embeddings", env=env)
    assert first.returncode == 0, f"{first.stdout[-3000:]}\n{first.stderr[-3000:]}"
    report = json.loads((project / "reports" / "embeddings.json").read_text())
    assert report["pythonhashseed"] == "0" and report["deterministic"] is True
    assert report["corpus"]["sources"]["extra:unlabeled/more.txt"]["lines"] == 10
    cbow, mine = report["variants"]["cbow"], report["variants"]["mine"]
    assert cbow["workers"] == 1 and cbow["corpus_words"] == report["corpus"]["tokens"]
    # Timings differ on every run: the MLflow run keeps them, the tracked report must not.
    assert not set(TIMING_FIELDS) & set(cbow), sorted(cbow)
    assert mine["vectors_vocab"] == mine["types_found"] >= 3 and cbow["vectors_vocab"] > 100
    vocab = json.loads((project / "data" / "prepared" / "vocab.json").read_text())["tokens"]
    m = np.load(project / "embeddings" / "mine.npy")
    assert m.shape == (len(vocab), 4) and not m[0].any()
    assert np.array_equal(m[vocab.index("good")], np.eye(4)[0])      # via case fallback
    assert np.array_equal(m[vocab.index("the")], np.eye(4)[2])
    assert mine["found_by_case_fallback"] == 1 and 0 < mine["type_coverage"] < 0.05
    assert mine["top_missing"][0][1] >= mine["top_missing"][-1][1]
    assert np.load(project / "embeddings" / "cbow.npy").shape == (len(vocab), 16)
    probes = json.loads((project / "reports" / "embeddings_probes.json").read_text())
    assert probes["cbow"]["neighbours"]["zzzunknown"] is None
    assert len(probes["cbow"]["neighbours"]["good"]) == 3
    shown = _dvc(project, "metrics", "show", "--json", env=env)
    assert shown.returncode == 0 and "type_coverage" in shown.stdout

    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    exp = client.get_experiment_by_name("embedlab")
    runs = client.search_runs([exp.experiment_id], "tags.`embedlab.kind` = 'embeddings'")
    assert len(runs) == 1 and "cbow.token_coverage.test" in runs[0].data.metrics
    assert runs[0].data.metrics["cbow.words_per_sec"] > 0

    before = (project / "embeddings" / "cbow.npy").read_bytes()
    shutil.rmtree(project / "embeddings")
    again = _dvc(project, "repro", "-f", "-s", "embeddings", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (project / "embeddings" / "cbow.npy").read_bytes() == before

    # The extra corpus is a dep now: changing it makes the stage stale.
    with open(project / "unlabeled" / "more.txt", "a", encoding="utf-8") as fh:
        fh.write("one more unlabeled review\n")
    status = _dvc(project, "status", "embeddings", "--json", env=env)
    assert "unlabeled/more.txt" in status.stdout, status.stdout
