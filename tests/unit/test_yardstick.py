"""Issue 31's held-out reference beside a curve (benchmarks.peers.averaged_vectors) and
its block in docs/answer.md: fitted on the cells' own N labels only, its C chosen by
cross-validation, one row per vectors table and size."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.peers import averaged_vectors
from docgen.blocks import answer as blocks
from embedlab.layout import Layout
from embedlab.splits import labeled_subset
from embedlab.train.baseline import C_GRID

GOOD, BAD, FILLER = 1, 2, 3
TABLE = np.array([[0, 0], [1, 0], [-1, 0], [0, 1]], dtype=np.float32)   # id 0: padding


def _write(path, ids: np.ndarray, labels: np.ndarray) -> None:
    flat = pa.array(ids.ravel(), pa.int32())
    table = pa.table({"ids": pa.FixedSizeListArray.from_arrays(flat, ids.shape[1]),
                      "label": pa.array(labels, pa.int8())})
    pq.write_table(table, path)


def _reviews(labels: np.ndarray, honest: np.ndarray) -> np.ndarray:
    """A review says GOOD when it is positive (BAD when negative), or the reverse where
    ``honest`` is False; padded with a filler word and id 0."""
    word = np.where(labels == 1, GOOD, BAD)
    word = np.where(honest, word, np.where(word == GOOD, BAD, GOOD))
    return np.stack([word, np.full(len(labels), FILLER), np.zeros(len(labels), int)], axis=1)


def test_the_reference_learns_from_the_cells_n_labels_only_with_c_from_the_grid(tmp_path):
    lay = Layout(tmp_path)
    lay.prepared.mkdir(parents=True)
    lay.embeddings.mkdir(parents=True)
    np.save(lay.matrix("cbow"), TABLE)
    y = np.array([1, 0] * 100, dtype=np.int8)
    rows = labeled_subset(y, 40, 1)
    # Every review outside seed 1's 40 labeled ones says the opposite of its label: a
    # reference that read one of them would learn the wrong sign.
    honest = np.zeros(len(y), bool)
    honest[rows] = True
    _write(lay.split("train"), _reviews(y, honest), y)
    y_test = np.array([1, 0] * 20, dtype=np.int8)
    _write(lay.split("test"), _reviews(y_test, np.ones(len(y_test), bool)), y_test)

    (row,) = averaged_vectors(tmp_path, ["cbow"], [40], [1], folds=4)
    assert row["test_accuracy"] == 1.0
    assert (row["variant"], row["train_size"], row["train_examples"], row["runs"]) == ("cbow", 40, 40, 1)
    assert row["C"][0] in C_GRID
    # At `all` one fit on the whole train split, most of it reversed: it learns the reverse.
    (whole,) = averaged_vectors(tmp_path, ["cbow"], ["all"], [1, 2, 3], folds=4)
    assert (whole["runs"], whole["train_examples"]) == (1, 200) and whole["test_accuracy"] == 0.0


def test_the_block_sets_each_choice_beside_the_reference_on_its_rows():
    from embedlab.answer import decide
    from tests.unit.test_answer_page import SPEC, _grid

    cells, correct, y, baselines, ref = _grid(SPEC)
    stage = json.loads(json.dumps(decide.analyse(cells, correct, y, baselines, ref, n_boot=200)))
    rows = [{"variant": v, "train_size": n, "runs": 1 if n == "all" else 2, "C": [1.0],
             "train_examples": n, "test_accuracy": acc, "test_accuracy_sd": 0.01}
            for v, acc in (("cbow", 0.7), ("skipgram", 0.75)) for n in (100, 300, "all")]
    res = {"figures": {"dataset": "amazon", "answer": stage, "yardstick": rows}}
    text = blocks.yardstick(res)
    assert "| averaged `cbow` + LR | averaged `skipgram` + LR |" in text
    first = next(line for line in text.splitlines() if line.startswith("| 100 |"))
    assert first.endswith(f"| {stage['selection'][0]['test_accuracy']:.3f} | 0.700 ± 0.010 | 0.750 ± 0.010 |")
    assert next(line for line in text.splitlines() if "(all)" in line).endswith("| 0.700 | 0.750 |")
    assert "next curve run" in blocks.yardstick({"figures": {"dataset": "imdb", "answer": stage}})
