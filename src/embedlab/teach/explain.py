"""``embedlab explain``: what backprop does to an Embedding, and what Word2Vec adds.

Six small, fully deterministic computations on a 10-word vocabulary. Every claim
is computed twice -- once by TensorFlow/Keras/gensim, once by hand in numpy --
and the two are compared. The functions return plain dataclasses of numbers and
check booleans; printing lives in the CLI, the Markdown in ``docgen/blocks/embedding_math.py``.

The toy problem (shared by the steps):

    vocabulary  0 <pad>  1 <oov>  2 good  3 bad  4 great  5 awful
                6 not    7 coffee 8 tea   9 taste
    batch A     "good coffee good taste" (+), "not good coffee" (-), "awful coffee" (-)
    batch B     "great great <oov>" (+), "bad <oov>" (-)

"tea" is in the vocabulary but in no training batch: the word a classifier never
sees. Model: Embedding(10, 3, mask_zero=True) -> masked mean -> Dense(1) logit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from embedlab.train.models import parameter_counts

VOCAB = ("<pad>", "<oov>", "good", "bad", "great", "awful", "not", "coffee", "tea", "taste")
BATCH_A = np.array([[2, 7, 2, 9], [6, 2, 7, 0], [5, 7, 0, 0]], dtype=np.int32)
LABELS_A = np.array([1.0, 0.0, 0.0], dtype=np.float32)
BATCH_B = np.array([[4, 4, 1, 0], [3, 1, 0, 0]], dtype=np.int32)
LABELS_B = np.array([1.0, 0.0], dtype=np.float32)
DIM = 3
SEED = 7

# The original question's two models: Embedding(MAX_NB_WORDS, 128) + LSTM(128) + Dense(1),
# and the same with a frozen Word2Vec table. MAX_NB_WORDS = 20000 as in the Keras
# "pretrained word embeddings" example (and this project's vocab.max_size).
QUESTION_VOCAB = 20000
QUESTION_DIM = 128
QUESTION_UNITS = 128
QUESTION_MAX_LEN = 100


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Step:
    number: int
    title: str
    claim: str
    numbers: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, bool(passed), detail))

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class Explanation:
    setup: dict[str, Any]
    steps: list[Step]

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return _clean({"setup": self.setup, "steps": [asdict(s) | {"passed": s.passed} for s in self.steps],
                       "passed": self.passed})


def _clean(obj: Any, digits: int = 6) -> Any:
    """JSON-ready copy: numpy -> Python, floats to ``digits`` significant digits (stable output)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist(), digits)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(f"{float(obj):.{digits}g}")       # significant digits: 1.9e-09 stays 1.9e-09
        return 0.0 if v == 0 else v  # no "-0.0"
    return obj


def _quant(x: float, floor: float = 1e-7) -> float:
    """Float round-off differences, reported stably: below ``floor`` they print as 0."""
    return 0.0 if x < floor else float(f"{x:.1e}")


def _diff_text(x: float) -> str:
    return "max |difference| < 1e-07" if x < 1e-7 else f"max |difference| = {x:.1e}"


def _rows(mask_or_diff: np.ndarray) -> list[int]:
    """Indices of rows with any non-zero entry."""
    return [int(i) for i in np.flatnonzero(np.any(mask_or_diff != 0, axis=1))]


def _words(ids) -> list[str]:
    return [VOCAB[i] for i in ids]


def toy_weights(seed: int = SEED) -> dict[str, np.ndarray]:
    """Initial table and output layer, made in numpy so they do not depend on Keras' RNG."""
    rng = np.random.default_rng(seed)
    table = np.round(rng.uniform(-0.5, 0.5, (len(VOCAB), DIM)), 2).astype(np.float32)
    kernel = np.round(rng.uniform(-1, 1, (DIM, 1)), 2).astype(np.float32)
    bias = np.zeros(1, np.float32)
    return {"table": table, "kernel": kernel, "bias": bias}


def build_toy_model(table: np.ndarray, kernel: np.ndarray, bias: np.ndarray, trainable: bool = True):
    """Embedding(mask_zero) -> masked mean -> Dense(1) logit, weights set explicitly."""
    import keras
    from keras import layers

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    emb = layers.Embedding(table.shape[0], table.shape[1], mask_zero=True, trainable=trainable,
                           name="embedding")
    x = layers.GlobalAveragePooling1D(name="mean")(emb(ids))
    out = layers.Dense(1, name="logit")(x)
    model = keras.Model(ids, out)
    emb.set_weights([table])
    model.get_layer("logit").set_weights([kernel, bias])
    return model


def _loss_fn():
    import keras

    return keras.losses.BinaryCrossentropy(from_logits=True)


def hand_forward_backward(table, kernel, bias, ids, y) -> dict[str, np.ndarray]:
    """The same model, forward and backward, in float64 numpy, no autodiff."""
    t, w, b = (np.asarray(a, np.float64) for a in (table, kernel, bias))
    B, T = ids.shape
    onehot = np.eye(len(t))[ids.reshape(-1)]                      # (B*T, V)
    e = (onehot @ t).reshape(B, T, -1)                            # lookup == one-hot @ table
    mask = (ids != 0).astype(np.float64)                          # padding masked out
    n = mask.sum(1, keepdims=True)
    h = (e * mask[..., None]).sum(1) / n                          # masked mean (B, d)
    z = h @ w[:, 0] + b[0]
    p = 1 / (1 + np.exp(-z))
    loss = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    dz = (p - y) / B                                              # d mean-BCE / d logit
    dh = dz[:, None] * w[:, 0][None, :]                           # (B, d)
    upstream = dh[:, None, :] * (mask / n)[..., None]             # dL/d(lookup output) (B, T, d)
    dense = onehot.T @ upstream.reshape(B * T, -1)                # (V, d)
    return {"onehot": onehot, "lookup": e, "h": h, "z": z, "p": p, "loss": loss,
            "upstream": upstream, "dense_grad": dense}


def _tape_grad(model, ids, y):
    import tensorflow as tf

    table = model.get_layer("embedding").embeddings
    with tf.GradientTape() as tape:
        loss = _loss_fn()(y[:, None], model(ids, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    by_var = {id(v): g for v, g in zip(model.trainable_weights, grads)}
    return float(loss), by_var.get(id(table)), grads


# ---------------------------------------------------------------------------- steps
def step1_lookup() -> Step:
    s = Step(1, "Embedding lookup = one-hot x table",
             "Looking up ids in an Embedding is the matrix product onehot(ids) @ W: each one-hot "
             "row selects one row of W. The layer does a gather, never the product.")
    w = toy_weights()
    model = build_toy_model(**w)
    emb = model.get_layer("embedding")
    keras_out = np.array(emb(BATCH_A))
    hand = hand_forward_backward(**w, ids=BATCH_A, y=LABELS_A)
    onehot = hand["onehot"].reshape(*BATCH_A.shape, -1)
    s.numbers = {"table": w["table"], "ids": BATCH_A, "onehot_seq0": onehot[0],
                 "lookup_seq0": keras_out[0], "onehot_at_W_seq0": hand["lookup"][0]}
    err = float(np.abs(keras_out - hand["lookup"]).max())
    s.numbers.update(max_abs_difference=_quant(err), compared=int(keras_out.size))
    s.check("keras lookup == onehot @ W", np.allclose(keras_out, hand["lookup"], atol=1e-7),
            f"{_diff_text(err)} over {keras_out.size} numbers")
    s.check("rows are copies of table rows", np.array_equal(keras_out[0, 0], w["table"][2]),
            "position (0,0) holds id 2 ('good'): its vector is row 2 of W, bit for bit")
    return s


def step2_gradient() -> Step:
    import tensorflow as tf

    s = Step(2, "The gradient wrt the table is sparse",
             "dL/dW = onehot(ids)^T @ G, where G = dL/d(lookup output). tf.GradientTape returns it "
             "as tf.IndexedSlices: one slice per looked-up position, so only ids in the batch appear, "
             "and a repeated id's slices add up when densified.")
    w = toy_weights()
    model = build_toy_model(**w)
    loss, g, _ = _tape_grad(model, BATCH_A, LABELS_A)
    hand = hand_forward_backward(**w, ids=BATCH_A, y=LABELS_A)
    indices = np.array(g.indices).tolist() if isinstance(g, tf.IndexedSlices) else []
    values = np.array(g.values) if isinstance(g, tf.IndexedSlices) else np.zeros((0, DIM))
    dense_tf = np.array(tf.convert_to_tensor(g))
    dense_hand = hand["dense_grad"]
    batch_ids = sorted(set(BATCH_A.reshape(-1).tolist()))
    nonzero = _rows(dense_tf)
    good = VOCAB.index("good")
    slices_good = values[[i for i, k in enumerate(indices) if k == good]]
    s.numbers = {"loss_tf": loss, "loss_hand": hand["loss"], "p": hand["p"],
                 "gradient_type": type(g).__name__, "slice_indices": indices,
                 "slices_of_good": slices_good, "dense_grad_tf": dense_tf, "dense_grad_hand": dense_hand,
                 "rows_nonzero": nonzero, "rows_in_batch": batch_ids,
                 "occurrences_of_good": int((BATCH_A == good).sum())}
    s.check("gradient is tf.IndexedSlices", isinstance(g, tf.IndexedSlices), f"type = {type(g).__name__}")
    s.check("slice indices are exactly the batch ids (one per position)",
            indices == BATCH_A.reshape(-1).tolist(),
            f"{len(indices)} slices for {BATCH_A.size} positions; distinct ids {sorted(set(indices))}")
    s.check("repeated id accumulates",
            np.allclose(slices_good.sum(0), dense_tf[good], atol=1e-7) and len(slices_good) == 3,
            f"'good' occurs {len(slices_good)} times; its dense row is the sum of its 3 slices")
    err = float(np.abs(dense_tf - dense_hand).max())
    s.numbers["max_abs_difference"] = _quant(err)
    s.check("dense gradient == onehot^T @ G (numpy, by hand)",
            np.allclose(dense_tf, dense_hand, atol=1e-6), _diff_text(err))
    absent = [i for i in range(len(VOCAB)) if i not in batch_ids]
    s.check("rows of ids not in the batch are exactly zero",
            not np.any(dense_tf[absent]), f"rows {absent} ({', '.join(_words(absent))}) are 0.0")
    s.check("padding row is present but zero (mask)", 0 in indices and not np.any(dense_tf[0]),
            "id 0 is looked up, the mask zeroes its gradient")
    return s


def _apply(optimizer, model, ids, y) -> tuple[np.ndarray, np.ndarray]:
    """One optimizer step on the table only; returns (before, after)."""
    emb = model.get_layer("embedding")
    before = np.array(emb.get_weights()[0])
    _, g, _ = _tape_grad(model, ids, y)
    optimizer.apply_gradients([(g, emb.embeddings)])
    return before, np.array(emb.get_weights()[0])


def step3_optimizers(lr_sgd: float = 0.5, lr_adam: float = 0.1) -> Step:
    import keras

    s = Step(3, "One step changes exactly the batch's rows -- until momentum",
             "Plain SGD: W <- W - lr * dL/dW, so only rows with a non-zero gradient move. Adam keeps "
             "running averages m, v of every row's gradient: after a row has had a gradient, it keeps "
             "moving in later steps whose batch does not contain it. A row that never had a gradient "
             "has m = v = 0 and stays put.")
    w = toy_weights()
    hand = hand_forward_backward(**w, ids=BATCH_A, y=LABELS_A)
    a_ids = sorted(set(BATCH_A[BATCH_A != 0].tolist()))
    b_ids = sorted(set(BATCH_B[BATCH_B != 0].tolist()))
    schedule = [("A", BATCH_A, LABELS_A), ("B", BATCH_B, LABELS_B), ("B", BATCH_B, LABELS_B)]

    # SGD, one step: hand formula.
    model = build_toy_model(**w)
    before, after = _apply(keras.optimizers.SGD(lr_sgd), model, BATCH_A, LABELS_A)
    sgd_changed = _rows(after - before)
    sgd_update = after - before
    expected = before - lr_sgd * hand["dense_grad"]
    s.check("SGD step changes exactly the batch's (non-padding) rows", sgd_changed == a_ids,
            f"changed rows {sgd_changed} = batch A ids {a_ids}")
    s.check("SGD step == W - lr * (onehot^T @ G)", np.allclose(after, expected, atol=1e-6),
            _diff_text(float(np.abs(after - expected).max())))

    trace: dict[str, list] = {}
    for name, make in (("sgd", lambda: keras.optimizers.SGD(lr_sgd)),
                       ("adam", lambda: keras.optimizers.Adam(lr_adam))):
        model, opt, seen, rows = build_toy_model(**w), make(), set(), []
        start = np.array(w["table"])
        for k, (label, ids, y) in enumerate(schedule, 1):
            before, after = _apply(opt, model, ids, y)
            in_batch = set(ids[ids != 0].tolist())
            seen |= in_batch
            changed = _rows(after - before)
            rows.append({"step": k, "batch": label, "changed": changed,
                         "changed_not_in_batch": [r for r in changed if r not in in_batch],
                         "never_seen_changed": [r for r in _rows(after - start) if r not in seen]})
        trace[name] = rows
    s.numbers = {"lr_sgd": lr_sgd, "lr_adam": lr_adam, "batch_A_ids": a_ids, "batch_B_ids": b_ids,
                 "sgd_step1_update": sgd_update,
                 "trace": trace}
    adam_momentum = [len(r["changed_not_in_batch"]) for r in trace["adam"]]
    sgd_momentum = [len(r["changed_not_in_batch"]) for r in trace["sgd"]]
    s.check("SGD: no row outside the current batch ever moves", sum(sgd_momentum) == 0,
            f"rows moved outside the batch per step: {sgd_momentum}")
    s.check("Adam step 1 changes exactly batch A's rows", trace["adam"][0]["changed"] == a_ids,
            f"changed {trace['adam'][0]['changed']}")
    s.check("Adam: batch A's rows keep moving in steps on batch B (momentum)",
            trace["adam"][1]["changed_not_in_batch"] == a_ids
            and trace["adam"][2]["changed_not_in_batch"] == a_ids,
            f"rows moved outside the batch per step: {adam_momentum} (rows {a_ids})")
    s.check("Adam: rows never in any batch never move",
            all(not r["never_seen_changed"] for r in trace["adam"]),
            f"'tea' (8) and padding (0) unchanged after {len(schedule)} steps")
    return s


def _question_models(vocab_size: int, dim: int, units: int, max_len: int):
    import keras
    from keras import layers

    out = {}
    for name, trainable in (("learned", True), ("w2v_frozen", False)):
        model = keras.Sequential([keras.Input(shape=(max_len,), dtype="int32"),
                                  layers.Embedding(vocab_size, dim, trainable=trainable),
                                  layers.LSTM(units), layers.Dense(1, activation="sigmoid")], name=name)
        out[name] = model
    return out


def step4_frozen(vocab_size: int = QUESTION_VOCAB, dim: int = QUESTION_DIM,
                 units: int = QUESTION_UNITS, max_len: int = QUESTION_MAX_LEN) -> Step:
    import keras

    s = Step(4, "trainable=False: the table is a constant",
             "A frozen Embedding is left out of model.trainable_weights, so the optimizer never "
             "receives a gradient for it: the table is bit-for-bit what was loaded. The gradient "
             "still flows through its output into nothing.")
    w = toy_weights()
    model = build_toy_model(**w, trainable=False)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=_loss_fn())
    table_var = model.get_layer("embedding").embeddings
    in_trainable = any(v is table_var for v in model.trainable_weights)
    in_frozen = any(v is table_var for v in model.non_trainable_weights)
    kernel_before = np.array(model.get_layer("logit").get_weights()[0])
    for _ in range(5):
        model.train_on_batch(BATCH_A, LABELS_A[:, None])
        model.train_on_batch(BATCH_B, LABELS_B[:, None])
    table_after = np.array(model.get_layer("embedding").get_weights()[0])
    kernel_after = np.array(model.get_layer("logit").get_weights()[0])
    s.check("table not among trainable weights", (not in_trainable) and in_frozen,
            f"trainable: {[v.path for v in model.trainable_weights]}")
    s.check("frozen table bit-for-bit unchanged after 10 Adam steps",
            np.array_equal(table_after, w["table"]), "np.array_equal(before, after)")
    s.check("the rest of the model did train", not np.array_equal(kernel_before, kernel_after),
            f"Dense kernel moved by {float(np.abs(kernel_after - kernel_before).max()):.3f}")

    counts, formula = {}, {}
    emb = vocab_size * dim
    lstm = 4 * (units * (dim + units) + units)
    dense = units + 1
    for name, m in _question_models(vocab_size, dim, units, max_len).items():
        counts[name] = parameter_counts(m)
        frozen = name == "w2v_frozen"
        formula[name] = {"params_total": emb + lstm + dense,
                         "params_trainable": lstm + dense + (0 if frozen else emb),
                         "params_non_trainable": emb if frozen else 0}
    s.numbers = {"question_models": {"vocab_size": vocab_size, "dim": dim, "units": units,
                                     "max_len": max_len},
                 "embedding_params": emb, "lstm_params": lstm, "dense_params": dense,
                 "keras_counts": counts, "formula_counts": formula,
                 "trainable_weights_frozen_toy": [v.path for v in model.trainable_weights]}
    s.check("parameter counts == V*d, 4(u(d+u)+u), u+1", counts == formula,
            f"learned: {counts['learned']['params_trainable']:,} trainable; w2v_frozen: "
            f"{counts['w2v_frozen']['params_trainable']:,} trainable + "
            f"{counts['w2v_frozen']['params_non_trainable']:,} frozen")
    return s


# ----------------------------------------------------------------------- Word2Vec
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cbow_ns_loss(w_in, w_out, context, target, negatives) -> float:
    """-log s(u_o.h) - sum_k log s(-u_k.h),  h = mean of the context (input) vectors."""
    h = w_in[context].mean(0)
    return float(-np.log(sigmoid(w_out[target] @ h)) - np.log(sigmoid(-(w_out[negatives] @ h))).sum())


def cbow_ns_grad(w_in, w_out, context, target, negatives, context_scale: float | None = None,
                 negative_sign: float = 1.0):
    """Analytic gradient of ``cbow_ns_loss``. ``context_scale`` and ``negative_sign`` exist so
    that tests can build deliberately wrong gradients (None = the correct 1/C)."""
    C = len(context)
    h = w_in[context].mean(0)
    g_in, g_out = np.zeros_like(w_in), np.zeros_like(w_out)
    e_o = sigmoid(w_out[target] @ h) - 1.0                  # label 1
    g_out[target] += e_o * h
    dh = e_o * w_out[target]
    for k in negatives:                                      # label 0; repeats accumulate
        e_k = negative_sign * sigmoid(w_out[k] @ h)
        g_out[k] += e_k * h
        dh = dh + e_k * w_out[k]
    scale = 1.0 / C if context_scale is None else context_scale
    for c in context:                                        # repeated context words accumulate
        g_in[c] += scale * dh
    return g_in, g_out, dh


def finite_difference_check(w_in, w_out, context, target, negatives, g_in, g_out,
                            eps: float = 1e-6) -> dict[str, float]:
    """Central differences over every entry of both matrices (float64)."""
    fd_in, fd_out = np.zeros_like(w_in), np.zeros_like(w_out)
    for mat, fd in ((w_in, fd_in), (w_out, fd_out)):
        for idx in np.ndindex(mat.shape):
            old = mat[idx]
            mat[idx] = old + eps
            up = cbow_ns_loss(w_in, w_out, context, target, negatives)
            mat[idx] = old - eps
            down = cbow_ns_loss(w_in, w_out, context, target, negatives)
            mat[idx] = old
            fd[idx] = (up - down) / (2 * eps)
    err = max(np.abs(fd_in - g_in).max(), np.abs(fd_out - g_out).max())
    scale = max(np.abs(fd_in).max(), np.abs(fd_out).max())
    return {"max_abs_error": float(err), "max_abs_gradient": float(scale),
            "relative_error": float(err / scale)}


FD_TOLERANCE = 1e-6  # relative; float64 central differences land near 1e-10


def _gensim_exp_table() -> np.ndarray:
    """gensim's (and word2vec.c's) tabulated sigmoid, EXP_TABLE_SIZE=1000, MAX_EXP=6."""
    i = np.arange(1000, dtype=np.float32)
    e = np.exp((i / np.float32(1000) * 2 - 1) * 6).astype(np.float32)
    return (e / (e + 1)).astype(np.float32)


def emulate_gensim_cbow_neg(syn0, syn1neg, sentence_ids, window, negative_id, negative, alpha,
                            divide_by_c: bool = False):
    """gensim 4's w2v_fast_sentence_cbow_neg for one sentence, sequentially, in numpy.

    Assumes a window that never shrinks (window=1) and negatives that are all
    ``negative_id`` (the test pins gensim's cum_table to make that so).
    """
    table = _gensim_exp_table()
    syn0, syn1neg = syn0.astype(np.float32).copy(), syn1neg.astype(np.float32).copy()
    n = len(sentence_ids)
    for i, word in enumerate(sentence_ids):
        ctx = [sentence_ids[m] for m in range(max(0, i - window), min(n, i + window + 1)) if m != i]
        neu1 = np.zeros(syn0.shape[1], np.float32)
        for c in ctx:                                        # saxpy, in order
            neu1 += syn0[c]
        neu1 *= np.float32(1.0) / np.float32(len(ctx))       # cbow_mean=1: times 1/count
        work = np.zeros_like(neu1)
        for d in range(negative + 1):
            row, label = (word, 1.0) if d == 0 else (negative_id, 0.0)
            if d and row == word:
                continue
            f_dot = np.float32(neu1 @ syn1neg[row])
            if f_dot <= -6 or f_dot >= 6:
                continue
            f = table[int((float(f_dot) + 6.0) * 83)]          # (1000 / 6) / 2 in C integer math = 83
            g = np.float32((label - f) * alpha)
            work += g * syn1neg[row]
            syn1neg[row] += g * neu1
        if divide_by_c:                                      # the textbook gradient of the mean
            work = work / np.float32(len(ctx))
        for c in ctx:                                        # gensim: NOT divided by len(ctx)
            syn0[c] += work
    return syn0, syn1neg


def gensim_checks() -> dict[str, Any]:
    """Run gensim itself on a toy corpus and compare with the numpy account of it."""
    from gensim.models import Word2Vec

    corpus = [["the", "coffee", "is", "good"], ["the", "tea", "is", "bad"],
              ["the", "coffee", "is", "great"], ["the", "taste", "is", "awful"],
              ["not", "good", "coffee"], ["the", "good", "tea"]] * 5
    out: dict[str, Any] = {}

    # (a) one epoch on one sentence, reproduced update by update.
    m = Word2Vec(vector_size=4, window=1, min_count=1, sg=0, cbow_mean=1, negative=2, sample=0,
                 workers=1, seed=1, alpha=0.05, min_alpha=0.05)
    m.build_vocab(corpus)
    rng = np.random.default_rng(3)
    m.syn1neg[:] = rng.uniform(-0.5, 0.5, m.syn1neg.shape).astype(np.float32)
    neg_id = 0                                               # 'the' (the most frequent word)
    m.cum_table = np.full_like(m.cum_table, m.cum_table[-1])  # every draw -> index 0
    sentence = ["not", "good", "coffee", "is", "great"]
    ids = [m.wv.key_to_index[t] for t in sentence]
    syn0_0, syn1_0 = m.wv.vectors.copy(), m.syn1neg.copy()
    m.train([sentence], total_examples=1, epochs=1, start_alpha=0.05, end_alpha=0.05)
    emu0, emu1 = emulate_gensim_cbow_neg(syn0_0, syn1_0, ids, 1, neg_id, 2, 0.05)
    err = max(np.abs(emu0 - m.wv.vectors).max(), np.abs(emu1 - m.syn1neg).max())
    moved_in = _rows(m.wv.vectors - syn0_0)
    out["replay"] = {"sentence": sentence, "max_abs_error": _quant(float(err)),
                     "input_rows_moved": [m.wv.index_to_key[r] for r in moved_in],
                     "update_of_good": m.wv.vectors[ids[1]] - syn0_0[ids[1]]}
    out["replay_ok"] = bool(err < 1e-6)
    # (b) the same replay with the textbook 1/C on the context update does NOT match gensim.
    tb0, _ = emulate_gensim_cbow_neg(syn0_0, syn1_0, ids, 1, neg_id, 2, 0.05, divide_by_c=True)
    out["replay"]["max_abs_error_with_1_over_C"] = _quant(float(np.abs(tb0 - m.wv.vectors).max()))
    out["replay_textbook_differs"] = bool(out["replay"]["max_abs_error_with_1_over_C"] > 1e-4)

    # (c) subsampling: gensim's keep probability formula.
    sample = 1e-3
    m2 = Word2Vec(corpus, vector_size=4, window=2, min_count=1, sg=0, negative=5, sample=sample,
                  workers=1, seed=1, epochs=20, alpha=0.025, min_alpha=0.0001)
    counts = {w: m2.wv.get_vecattr(w, "count") for w in m2.wv.index_to_key}
    total = sum(counts.values())
    t = sample * total
    keep = {w: min(1.0, (math.sqrt(c / t) + 1) * t / c) for w, c in counts.items()}
    gensim_keep = {w: m2.wv.get_vecattr(w, "sample_int") / (2**32 - 1) for w in counts}
    out["subsampling"] = {"sample": sample, "corpus_words": total, "counts": counts,
                          "keep_formula": keep, "keep_gensim": gensim_keep,
                          "paper_keep": {w: min(1.0, math.sqrt(sample / (c / total))) for w, c in counts.items()}}
    out["subsampling_ok"] = bool(all(abs(keep[w] - gensim_keep[w]) < 1e-6 for w in counts))

    # (d) learning-rate decay and the thrown-away output matrix.
    out["lr"] = {"alpha": m2.alpha, "min_alpha": m2.min_alpha,
                 "min_alpha_yet_reached": float(m2.min_alpha_yet_reached), "epochs": m2.epochs}
    # One job per epoch on this tiny corpus: the last alpha used is the one at progress (epochs-1)/epochs.
    expected = m2.alpha - (m2.alpha - m2.min_alpha) * (m2.epochs - 1) / m2.epochs
    out["lr"]["expected_last_alpha"] = expected
    out["lr_ok"] = bool(abs(m2.min_alpha_yet_reached - expected) < 1e-9)
    out["syn1neg_shape"] = list(m2.syn1neg.shape)
    out["vectors_shape"] = list(m2.wv.vectors.shape)
    out["kv_has_output_matrix"] = bool(any(hasattr(m2.wv, a) for a in ("syn1neg", "syn1")))
    return out


def _check_gensim(s: Step) -> None:
    """Step 5's claims about gensim itself, checked against a real gensim run."""
    gc = gensim_checks()
    s.numbers["gensim"] = gc
    s.check("gensim's update reproduced in numpy (no 1/C on context vectors, tabulated sigmoid)",
            gc["replay_ok"], f"{_diff_text(gc['replay']['max_abs_error'])} after one sentence "
            f"of {len(gc['replay']['sentence'])} words")
    s.check("the textbook 1/C in that replay does not match gensim", gc["replay_textbook_differs"],
            _diff_text(gc["replay"]["max_abs_error_with_1_over_C"]))
    s.check("gensim's subsampling keep-probability == (sqrt(f/t)+1) t/f",
            gc["subsampling_ok"], "for every word of the toy corpus")
    s.check("gensim decays the learning rate linearly to min_alpha", gc["lr_ok"],
            f"alpha {gc['lr']['alpha']} -> {gc['lr']['min_alpha_yet_reached']:.6f} at the last of "
            f"{gc['lr']['epochs']} epochs = alpha - (alpha - min_alpha)(E-1)/E")
    s.check("the output matrix syn1neg is the size of the vectors and is not in model.wv",
            gc["syn1neg_shape"] == gc["vectors_shape"] and not gc["kv_has_output_matrix"],
            f"syn1neg {gc['syn1neg_shape']}; KeyedVectors keep only the input vectors")


def step5_word2vec(with_gensim: bool = True) -> Step:
    s = Step(5, "Word2Vec CBOW with negative sampling",
             "For a target o with context c_1..c_C and K negatives n_k: h = mean_j v_{c_j}, "
             "L = -log s(u_o.h) - sum_k log s(-u_{n_k}.h). Then dL/du_o = (s(u_o.h)-1) h, "
             "dL/du_{n_k} = s(u_{n_k}.h) h, dL/dh = (s(u_o.h)-1) u_o + sum_k s(u_{n_k}.h) u_{n_k}, "
             "dL/dv_{c_j} = dL/dh / C. Only C + 1 + K rows get a gradient: it is as sparse as the "
             "Embedding's.")
    rng = np.random.default_rng(11)
    V, d = len(VOCAB), 4
    w_in = np.round(rng.uniform(-0.5, 0.5, (V, d)), 3)
    w_out = np.round(rng.uniform(-0.5, 0.5, (V, d)), 3)
    # "coffee not [good] taste coffee": predict 'good' from a window of 2 each side.
    context = [7, 6, 9, 7]
    target = 2
    negatives = [3, 5, 8, 4, 1]                              # negative=5 as in the project's params
    loss0 = cbow_ns_loss(w_in, w_out, context, target, negatives)
    g_in, g_out, dh = cbow_ns_grad(w_in, w_out, context, target, negatives)
    fd = finite_difference_check(w_in.copy(), w_out.copy(), context, target, negatives, g_in, g_out)
    wrong_c = cbow_ns_grad(w_in, w_out, context, target, negatives, context_scale=1.0)
    fd_wrong_c = finite_difference_check(w_in.copy(), w_out.copy(), context, target, negatives,
                                         wrong_c[0], wrong_c[1])
    wrong_sign = cbow_ns_grad(w_in, w_out, context, target, negatives, negative_sign=-1.0)
    fd_wrong_sign = finite_difference_check(w_in.copy(), w_out.copy(), context, target, negatives,
                                            wrong_sign[0], wrong_sign[1])
    lr = 0.25
    w_in1, w_out1 = w_in - lr * g_in, w_out - lr * g_out
    loss1 = cbow_ns_loss(w_in1, w_out1, context, target, negatives)
    s.numbers = {"context": _words(context), "target": VOCAB[target], "negatives": _words(negatives),
                 "h": w_in[context].mean(0), "score_target": float(w_out[target] @ w_in[context].mean(0)),
                 "grad_h": dh, "grad_input_rows": {VOCAB[i]: g_in[i] for i in _rows(g_in)},
                 "grad_output_rows": {VOCAB[i]: g_out[i] for i in _rows(g_out)},
                 "finite_differences": fd, "fd_tolerance": FD_TOLERANCE,
                 "fd_wrong_no_1_over_C": fd_wrong_c, "fd_wrong_negative_sign": fd_wrong_sign,
                 "lr": lr, "loss_before": loss0, "loss_after": loss1,
                 "rows_with_gradient_input": _rows(g_in), "rows_with_gradient_output": _rows(g_out)}
    s.check("analytic gradient == finite differences", fd["relative_error"] < FD_TOLERANCE,
            f"relative error {fd['relative_error']:.1e} < {FD_TOLERANCE:.0e}")
    s.check("a wrong gradient (context not divided by C) fails the same check",
            fd_wrong_c["relative_error"] > 1e3 * FD_TOLERANCE,
            f"relative error {fd_wrong_c['relative_error']:.2f}")
    s.check("a wrong gradient (negative term sign flipped) fails the same check",
            fd_wrong_sign["relative_error"] > 1e3 * FD_TOLERANCE,
            f"relative error {fd_wrong_sign['relative_error']:.2f}")
    s.check("one SGD update lowers the loss", loss1 < loss0, f"{loss0:.4f} -> {loss1:.4f} at lr {lr}")
    s.check("only context, target and negative rows get a gradient",
            _rows(g_in) == sorted(set(context)) and _rows(g_out) == sorted({target, *negatives}),
            f"input rows {_words(_rows(g_in))}; output rows {_words(_rows(g_out))}")
    if with_gensim:
        _check_gensim(s)
    return s


def _cos(a, b) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def pretrained_table() -> np.ndarray:
    """A 'Word2Vec' start for the toy vocabulary: gensim CBOW on a toy corpus (workers=1: deterministic)."""
    from gensim.models import Word2Vec

    corpus = [["good", "coffee", "great", "taste"], ["bad", "coffee", "awful", "taste"],
              ["good", "tea", "great", "taste"], ["bad", "tea", "awful", "taste"],
              ["not", "good", "coffee"], ["not", "bad", "tea"]] * 20
    m = Word2Vec(corpus, vector_size=DIM, window=2, min_count=1, sg=0, negative=5, sample=0,
                 workers=1, seed=1, epochs=30)
    table = np.zeros((len(VOCAB), DIM), np.float32)
    rng = np.random.default_rng(SEED)
    table[1] = rng.uniform(-0.05, 0.05, DIM)                  # <oov>: the documented random init
    for i, word in enumerate(VOCAB[2:], 2):
        table[i] = m.wv[word]
    return table


def step6_combining(steps: int = 20) -> Step:
    import keras

    s = Step(6, "Combining: pre-train, then freeze or fine-tune",
             "Word2Vec gives the table a starting point learned from co-occurrence in unlabeled text. "
             "Frozen keeps it exactly. Fine-tuning continues from it with the classifier's gradient, "
             "which reaches only rows of words that occur in the classifier's training batches; the "
             "others keep their Word2Vec vectors -- unless the optimizer decays every weight (AdamW).")
    start = pretrained_table()
    w = toy_weights()
    seen = sorted(set(np.concatenate([BATCH_A[BATCH_A != 0], BATCH_B[BATCH_B != 0]]).tolist()))
    never = [i for i in range(1, len(VOCAB)) if i not in seen]
    results = {}
    for name, trainable, make in (
            ("frozen", False, lambda: keras.optimizers.Adam(0.05)),
            ("finetune_sgd", True, lambda: keras.optimizers.SGD(0.5)),
            ("finetune_adam", True, lambda: keras.optimizers.Adam(0.05)),
            ("finetune_adamw", True, lambda: keras.optimizers.AdamW(0.05, weight_decay=0.05))):
        model = build_toy_model(start, w["kernel"], w["bias"], trainable=trainable)
        model.compile(optimizer=make(), loss=_loss_fn())
        for k in range(steps):
            ids, y = (BATCH_A, LABELS_A) if k % 2 == 0 else (BATCH_B, LABELS_B)
            model.train_on_batch(ids, y[:, None])
        end = np.array(model.get_layer("embedding").get_weights()[0])
        drift = np.linalg.norm(end - start, axis=1)
        results[name] = {"rows_moved": _rows(end - start), "drift": drift,
                         "cos_good_bad": _cos(end[2], end[3]), "cos_good_great": _cos(end[2], end[4]),
                         "table": end}
    s.numbers = {"start": start, "seen_ids": seen, "never_seen_ids": never, "steps": steps,
                 "cos_good_bad_start": _cos(start[2], start[3]),
                 "cos_good_great_start": _cos(start[2], start[4]),
                 **{k: {kk: vv for kk, vv in v.items() if kk != "table"} for k, v in results.items()}}
    s.check("frozen: table equals the pre-trained start exactly",
            np.array_equal(results["frozen"]["table"], start), "np.array_equal")
    for name in ("finetune_sgd", "finetune_adam"):
        r = results[name]
        s.check(f"{name}: rows of words in the training data moved", r["rows_moved"] == seen,
                f"moved {r['rows_moved']}")
        s.check(f"{name}: rows of words absent from the training data never moved",
                all(np.array_equal(r["table"][i], start[i]) for i in never + [0]),
                f"{', '.join(_words(never))} and <pad>: bit-for-bit the Word2Vec start")
    r = results["finetune_adamw"]
    s.check("finetune_adamw: weight decay moves even the unseen rows (the exception)",
            all(r["drift"][i] > 0 for i in never), f"drift of 'tea': {r['drift'][8]:.4f}")
    return s


def explain(with_gensim: bool = True) -> Explanation:
    """All six steps. Deterministic: fixed weights, float64 hand computations, workers=1 gensim."""
    import keras

    keras.utils.set_random_seed(SEED)
    setup = {"vocabulary": list(VOCAB), "dim": DIM,
             "batch_A": {"ids": BATCH_A, "words": [_words(r) for r in BATCH_A], "labels": LABELS_A},
             "batch_B": {"ids": BATCH_B, "words": [_words(r) for r in BATCH_B], "labels": LABELS_B},
             "model": "Embedding(10, 3, mask_zero=True) -> masked mean -> Dense(1) logit; "
                      "loss = mean binary cross-entropy"}
    steps = [step1_lookup(), step2_gradient(), step3_optimizers(), step4_frozen(),
             step5_word2vec(with_gensim=with_gensim), step6_combining()]
    return Explanation(setup, steps)
