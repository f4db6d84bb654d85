"""docs/embedding-math.md generation (docgen/blocks/embedding_math.py): placeholders strict,
real-grid numbers (embedlab.teach.drift) from real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from docgen.blocks import embedding_math
from embedlab.errors import EmbedlabError
from embedlab.teach import drift

ROOT = Path(__file__).resolve().parents[2]


def test_template_placeholders_are_strict():
    assert embedding_math.render_template("a {{x}} b", {"x": "1"}) == "a 1 b"
    with pytest.raises(EmbedlabError, match="has no value"):
        embedding_math.render_template("{{y}}", {"x": "1"})
    with pytest.raises(EmbedlabError, match="never used"):
        embedding_math.render_template("{{x}}", {"x": "1", "z": "2"})


def test_without_pipeline_outputs_the_doc_says_run_dvc_repro(tmp_path):
    assert drift.grid_analysis(tmp_path) is None
    assert "dvc repro" in embedding_math.grid_markdown(None)


def _fake_project(root: Path) -> dict:
    """A prepared split, a Word2Vec start matrix and a fine-tuned cell, as the stages write them."""
    import keras

    import pyarrow as pa
    import pyarrow.parquet as pq

    from embedlab.prepare.stage import encode_batch
    from embedlab.splits import split_schema
    from embedlab.train.grid import Cell

    tokens = ["<pad>", "<oov>", "good", "bad", "great", "terrible", "love", "hate", "late"]
    index = {w: i for i, w in enumerate(tokens)}
    reviews = [["good", "good", "great", "love"], ["bad", "terrible", "hate", "bad"],
               ["good", "bad", "great", "terrible", "late"]]     # 'late' only beyond max_len=4
    prepared = root / "data/prepared"
    prepared.mkdir(parents=True)
    ids, _ = encode_batch(reviews, index, 4, "post")
    pq.write_table(pa.table({
        "text": [" ".join(r) for r in reviews], "label": pa.array([1, 0, 1], pa.int8()),
        "n_tokens": pa.array([len(r) for r in reviews], pa.int32()),
        "ids": pa.FixedSizeListArray.from_arrays(pa.array(ids.reshape(-1)), 4)}, schema=split_schema(4)),
        prepared / "train.parquet")
    (prepared / "vocab.json").write_text(json.dumps({"tokens": tokens, "max_len": 4}))
    (prepared / "train_tokens.txt").write_text("\n".join(" ".join(r) for r in reviews) + "\n")
    rng = np.random.default_rng(0)
    start = rng.normal(size=(len(tokens), 4)).astype("float32")
    start[0] = 0
    (root / "embeddings").mkdir()
    np.save(root / "embeddings/cbow.npy", start)
    end = start.copy()
    end[1:8] += rng.normal(scale=0.1, size=(7, 4)).astype("float32")   # 'late' (8) untouched
    key = Cell("w2v_finetuned", "cbow", "lstm", 1, "w2v_finetuned").key()
    (root / "reports").mkdir()
    (root / "reports/train.json").write_text(json.dumps({"cells": [{**key, "test_accuracy": 0.5}]}))
    cell = root / "models" / key["slug"]
    cell.mkdir(parents=True)
    ids = keras.Input(shape=(4,), dtype="int32")
    emb = keras.layers.Embedding(len(tokens), 4, name="embedding")
    model = keras.Model(ids, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(emb(ids))))
    emb.set_weights([end])
    model.save(cell / "model.keras")
    drift = np.linalg.norm(end[1:] - start[1:], axis=1)
    np.savez_compressed(cell / "predictions.npz", val_prob=np.zeros(1), drift_embedding=drift)
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    return {"start": start, "end": end, "tokens": tokens}


def test_grid_analysis_reads_real_outputs(tmp_path):
    pytest.importorskip("keras")
    fake = _fake_project(tmp_path)
    g = drift.grid_analysis(tmp_path)
    assert g is not None and len(g["cells"]) == 1
    c = g["cells"][0]
    assert c["unseen_words"] == 1 and c["unseen_examples"] == ["late"]
    assert c["unseen_max_drift"] == 0.0
    assert c["seen_words"] == 6 and c["seen_not_moved"] == 0
    s, e = fake["start"], fake["end"]
    cos = lambda m, a, b: m[a] @ m[b] / np.linalg.norm(m[a]) / np.linalg.norm(m[b])  # noqa: E731
    pair = next(p for p in c["antonyms"] if p[:2] == ("good", "bad"))
    assert pair[2] == pytest.approx(cos(s, 2, 3), abs=1e-6)
    assert pair[3] == pytest.approx(cos(e, 2, 3), abs=1e-6)
    md = embedding_math.grid_markdown(g)
    assert "never moved" in md and "late (1 in the corpus)" in md


def test_the_command_writes_the_page(tmp_path, capsys):
    """`python -m docgen embedding-math` (docgen's own entry point) on a project's outputs:
    the page, with the real-grid section read from them, not the 'run dvc repro' note."""
    pytest.importorskip("keras")
    from docgen.__main__ import main

    _fake_project(tmp_path)
    out = tmp_path / "embedding-math.md"
    assert main(["embedding-math", "--root", str(tmp_path), "--template", str(ROOT / embedding_math.TEMPLATE),
                 "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "{{" not in page and "late (1 in the corpus)" in page
    assert f"wrote {out}" in capsys.readouterr().out
