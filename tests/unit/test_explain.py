"""The six claims of `embedlab explain`, each checked against an independent computation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from embedlab.teach import explain as ex  # noqa: E402


def test_step1_lookup_is_onehot_times_table():
    w = ex.toy_weights()
    model = ex.build_toy_model(**w)
    out = np.array(model.get_layer("embedding")(ex.BATCH_A))
    onehot = np.eye(len(ex.VOCAB))[ex.BATCH_A]               # (B, T, V)
    np.testing.assert_allclose(out, onehot @ w["table"], atol=1e-7)
    step = ex.step1_lookup()
    assert step.passed, [c for c in step.checks if not c.passed]


def test_step2_gradient_is_indexed_slices_equal_to_hand_computation():
    w = ex.toy_weights()
    model = ex.build_toy_model(**w)
    _, g, _ = ex._tape_grad(model, ex.BATCH_A, ex.LABELS_A)
    assert isinstance(g, tf.IndexedSlices)
    assert sorted(set(np.array(g.indices).tolist())) == sorted(set(ex.BATCH_A.ravel().tolist()))
    dense = np.array(tf.convert_to_tensor(g))
    hand = ex.hand_forward_backward(**w, ids=ex.BATCH_A, y=ex.LABELS_A)["dense_grad"]
    np.testing.assert_allclose(dense, hand, atol=1e-6)
    # 'good' (id 2) occurs 3 times: its row is the sum of 3 slices.
    slices = np.array(g.values)[np.array(g.indices) == 2]
    assert len(slices) == 3
    np.testing.assert_allclose(slices.sum(0), dense[2], atol=1e-7)
    absent = [i for i in range(len(ex.VOCAB)) if i not in ex.BATCH_A]
    assert absent == [1, 3, 4, 8]
    assert not np.any(dense[absent])                          # exactly zero, not merely small
    assert np.any(dense[2])


def test_step3_sgd_moves_batch_rows_only_adam_moves_more():
    step = ex.step3_optimizers()
    assert step.passed, [c for c in step.checks if not c.passed]
    trace = step.numbers["trace"]
    assert [r["changed"] for r in trace["sgd"]] == [[2, 5, 6, 7, 9], [1, 3, 4], [1, 3, 4]]
    # Adam: after step 1 on batch A, steps on batch B still move A's 5 rows.
    assert [len(r["changed_not_in_batch"]) for r in trace["adam"]] == [0, 5, 5]
    assert all(8 not in r["changed"] for r in trace["adam"])  # 'tea' never in a batch


def test_step3_sgd_update_equals_hand_formula():
    import keras

    w = ex.toy_weights()
    model = ex.build_toy_model(**w)
    before, after = ex._apply(keras.optimizers.SGD(0.5), model, ex.BATCH_A, ex.LABELS_A)
    hand = ex.hand_forward_backward(**w, ids=ex.BATCH_A, y=ex.LABELS_A)["dense_grad"]
    np.testing.assert_allclose(after, before - 0.5 * hand, atol=1e-6)
    unchanged = [1, 3, 4, 8, 0]
    assert np.array_equal(after[unchanged], before[unchanged])


def test_step4_frozen_table_and_parameter_counts():
    step = ex.step4_frozen(vocab_size=1000, dim=16, units=8, max_len=12)
    assert step.passed, [c for c in step.checks if not c.passed]
    c = step.numbers["keras_counts"]
    assert c["learned"] == {"params_total": 1000 * 16 + 4 * (8 * (16 + 8) + 8) + 9,
                            "params_trainable": 1000 * 16 + 4 * (8 * 24 + 8) + 9,
                            "params_non_trainable": 0}
    assert c["w2v_frozen"]["params_non_trainable"] == 16000
    assert c["w2v_frozen"]["params_trainable"] == 4 * (8 * 24 + 8) + 9


def test_step4_frozen_table_is_bit_for_bit_unchanged_by_fit():
    import keras

    w = ex.toy_weights()
    model = ex.build_toy_model(**w, trainable=False)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=ex._loss_fn())
    model.fit(ex.BATCH_A, ex.LABELS_A[:, None], epochs=3, verbose=0)
    assert np.array_equal(model.get_layer("embedding").get_weights()[0], w["table"])
    assert not np.array_equal(model.get_layer("logit").get_weights()[0], w["kernel"])


def _cbow_example():
    rng = np.random.default_rng(5)
    w_in, w_out = rng.normal(0, 0.5, (10, 4)), rng.normal(0, 0.5, (10, 4))
    return w_in, w_out, [7, 6, 9, 7], 2, [3, 5, 8, 4, 1]


def test_step5_cbow_gradient_matches_finite_differences():
    w_in, w_out, ctx, tgt, neg = _cbow_example()
    g_in, g_out, _ = ex.cbow_ns_grad(w_in, w_out, ctx, tgt, neg)
    fd = ex.finite_difference_check(w_in.copy(), w_out.copy(), ctx, tgt, neg, g_in, g_out)
    assert fd["relative_error"] < ex.FD_TOLERANCE
    # Only context, target and negative rows have a gradient.
    assert np.flatnonzero(np.abs(g_in).sum(1)).tolist() == [6, 7, 9]
    assert np.flatnonzero(np.abs(g_out).sum(1)).tolist() == [1, 2, 3, 4, 5, 8]


@pytest.mark.parametrize("wrong", [{"context_scale": 1.0}, {"negative_sign": -1.0},
                                   {"context_scale": 0.5 / 4}])
def test_step5_wrong_gradient_fails_finite_differences(wrong):
    w_in, w_out, ctx, tgt, neg = _cbow_example()
    g_in, g_out, _ = ex.cbow_ns_grad(w_in, w_out, ctx, tgt, neg, **wrong)
    fd = ex.finite_difference_check(w_in.copy(), w_out.copy(), ctx, tgt, neg, g_in, g_out)
    assert fd["relative_error"] > ex.FD_TOLERANCE


def test_step5_gensim_update_replayed_in_numpy():
    gc = ex.gensim_checks()
    assert gc["replay"]["max_abs_error"] < 1e-6
    # The textbook 1/C would not reproduce gensim: it applies dL/dh to every context word.
    assert gc["replay"]["max_abs_error_with_1_over_C"] > 1e-4
    assert gc["subsampling_ok"] and gc["lr_ok"]
    assert gc["syn1neg_shape"] == gc["vectors_shape"] and not gc["kv_has_output_matrix"]
    step = ex.step5_word2vec(with_gensim=False)
    assert step.passed and step.numbers["loss_after"] < step.numbers["loss_before"]


def test_step6_absent_words_never_move_frozen_never_moves():
    step = ex.step6_combining(steps=6)
    assert step.passed, [c for c in step.checks if not c.passed]
    n = step.numbers
    assert n["never_seen_ids"] == [8]
    assert not any(n["frozen"]["drift"])
    for name in ("finetune_sgd", "finetune_adam"):
        assert n[name]["drift"][8] == 0.0 and n[name]["drift"][0] == 0.0
        assert all(n[name]["drift"][i] > 0 for i in n["seen_ids"])
    assert n["finetune_adamw"]["drift"][8] > 0


def test_cli_explain_json_is_complete_and_deterministic():
    from typer.testing import CliRunner

    from embedlab.cli import app

    result = CliRunner().invoke(app, ["explain", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passed"] is True
    assert [s["number"] for s in data["steps"]] == [1, 2, 3, 4, 5, 6]
    assert sum(len(s["checks"]) for s in data["steps"]) >= 30
    # Deterministic: the same numbers again, step by step.
    again = ex._clean(ex.step2_gradient().numbers)
    assert data["steps"][1]["numbers"] == json.loads(json.dumps(again))
    again6 = ex._clean(ex.step6_combining().numbers)
    assert data["steps"][5]["numbers"] == json.loads(json.dumps(again6))
    # The same numbers fill the documentation template completely.
    from docgen.blocks import embedding_math as docs_math

    template = (Path(__file__).resolve().parents[2] / docs_math.TEMPLATE).read_text(encoding="utf-8")
    values = docs_math.explain_values(data)
    values["grid"] = docs_math.grid_markdown(None)
    values["surprises"] = docs_math.surprises_markdown(data, None)
    page = docs_math.render_template(template, values)
    assert "{{" not in page and "2,691,713" in page and "✘" not in page


def test_cli_explain_prints_the_walkthrough():
    """`embedlab explain` as the README shows it: the six steps and every check passed."""
    from typer.testing import CliRunner

    from embedlab.cli import app

    result = CliRunner().invoke(app, ["explain"])
    assert result.exit_code == 0, result.output
    for number in range(1, 7):
        assert f"{number}. " in result.output
    passed, total = map(int, re.search(r"(\d+)/(\d+) checks passed", result.output).groups())
    assert passed == total >= 30
