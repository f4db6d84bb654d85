"""Rich rendering of ``embedlab.teach.explain`` results (kept out of cli.py: that file is shared)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from embedlab.teach.explain import VOCAB, Explanation, Step, _diff_text


def _fmt(x: float, integer: bool = False) -> str:
    return f"{x:.0f}" if integer else f"{x:+.4f}"


def _matrix(title: str, m, row_labels=None, col_label: str = "", integer: bool = False) -> Table:
    m = np.asarray(m, dtype=float)
    if m.ndim == 1:
        m = m[None, :]
    t = Table(title=escape(title), title_justify="left", show_edge=False, pad_edge=False)
    t.add_column(col_label)
    for j in range(m.shape[1]):
        t.add_column(str(j), justify="right")
    for i, row in enumerate(m):
        label = row_labels[i] if row_labels is not None else str(i)
        t.add_row(escape(label), *[_fmt(v, integer) for v in row])
    return t


class _Plain:
    """A console whose print() takes text literally (reviews and ids contain [brackets])."""

    def __init__(self, console: Console):
        self.console = console

    def print(self, obj="", **kw) -> None:
        if isinstance(obj, str):
            kw.setdefault("markup", False)
            kw.setdefault("highlight", False)
        self.console.print(obj, **kw)

    def rule(self, *a, **kw) -> None:
        self.console.rule(*a, **kw)


def _vocab_labels() -> list[str]:
    return [f"{i} {w}" for i, w in enumerate(VOCAB)]


def _checks(console, step: Step) -> None:
    for c in step.checks:
        mark = "[green]PASS[/green]" if c.passed else "[bold red]FAIL[/bold red]"
        console.print(f"  {mark} {escape(c.name)} [dim]({escape(c.detail)})[/dim]", markup=True)


def _step1(console: _Plain, n: dict[str, Any]) -> None:
    console.print(_matrix("W (the table, 10 x 3)", n["table"], _vocab_labels(), "id word"))
    console.print(f"sequence 0 ids: {np.asarray(n['ids'])[0].tolist()}")
    console.print(_matrix("onehot(sequence 0) (4 x 10)", n["onehot_seq0"], integer=True))
    console.print(_matrix("Embedding(sequence 0) (4 x 3)", n["lookup_seq0"]))
    console.print(_matrix("onehot @ W (numpy)", n["onehot_at_W_seq0"]))


def _step2(console: _Plain, n: dict[str, Any]) -> None:
    console.print(f"loss (tape) {n['loss_tf']:.6f}  loss (numpy) {n['loss_hand']:.6f}  "
                  f"p = {np.round(np.asarray(n['p']), 4).tolist()}")
    console.print(f"gradient type: {n['gradient_type']}; slice indices: {n['slice_indices']}")
    console.print(_matrix("the 3 slices for 'good'", n["slices_of_good"]))
    console.print(_matrix("dense dL/dW from the tape", n["dense_grad_tf"], _vocab_labels(), "id word"))
    console.print(_matrix("onehot^T @ G by hand", n["dense_grad_hand"], _vocab_labels(), "id word"))


def _step3(console: _Plain, n: dict[str, Any]) -> None:
    console.print(_matrix(f"SGD step 1 update (lr {n['lr_sgd']})", n["sgd_step1_update"],
                          _vocab_labels(), "id word"))
    t = Table("optimizer", "step", "batch", "rows changed", "changed but not in batch",
              title=escape(f"batch A ids {n['batch_A_ids']}, batch B ids {n['batch_B_ids']}"),
              title_justify="left")
    for name, rows in n["trace"].items():
        for r in rows:
            t.add_row(name, str(r["step"]), r["batch"], escape(str(r["changed"])),
                      escape(f"{len(r['changed_not_in_batch'])} {r['changed_not_in_batch']}"))
    console.print(t)


def _step4(console: _Plain, n: dict[str, Any]) -> None:
    q = n["question_models"]
    console.print(f"toy model with frozen table, trainable weights: {n['trainable_weights_frozen_toy']}")
    t = Table("model", "trainable", "non-trainable", "total",
              title=(f"the original question: Embedding({q['vocab_size']:,}, {q['dim']}) + "
                     f"LSTM({q['units']}) + Dense(1)"), title_justify="left")
    for name, c in n["keras_counts"].items():
        t.add_row(name, f"{c['params_trainable']:,}", f"{c['params_non_trainable']:,}",
                  f"{c['params_total']:,}")
    console.print(t)
    console.print(f"Embedding V*d = {n['embedding_params']:,}; LSTM 4(u(d+u)+u) = {n['lstm_params']:,}; "
                  f"Dense u+1 = {n['dense_params']:,}")


def _step5(console: _Plain, n: dict[str, Any]) -> None:
    console.print(f"context {n['context']} -> target '{n['target']}', negatives {n['negatives']}")
    console.print(f"h = {np.round(np.asarray(n['h']), 4).tolist()}, u_o.h = {n['score_target']:.4f}")
    console.print(_matrix("dL/dv (input vectors; 'coffee' twice in the context: 2/C)",
                          list(n["grad_input_rows"].values()), list(n["grad_input_rows"])))
    console.print(_matrix("dL/du (output vectors)", list(n["grad_output_rows"].values()),
                          list(n["grad_output_rows"])))
    fd = n["finite_differences"]
    console.print(f"finite differences: max error {fd['max_abs_error']:.2e} (relative "
                  f"{fd['relative_error']:.1e}); without 1/C: relative "
                  f"{n['fd_wrong_no_1_over_C']['relative_error']:.2f}; sign flipped: "
                  f"{n['fd_wrong_negative_sign']['relative_error']:.2f}")
    console.print(f"one SGD update at lr {n['lr']}: loss {n['loss_before']:.4f} -> {n['loss_after']:.4f}")
    g = n.get("gensim")
    if g:
        console.print(f"gensim replay of '{' '.join(g['replay']['sentence'])}': "
                      f"{_diff_text(g['replay']['max_abs_error'])}; with the textbook 1/C: "
                      f"{_diff_text(g['replay']['max_abs_error_with_1_over_C'])}")
        sub = g["subsampling"]
        t = Table("word", "count", "keep (gensim)", "keep (formula)", "keep (paper sqrt(t/f))",
                  title=f"subsampling, sample={sub['sample']}, {sub['corpus_words']} corpus words",
                  title_justify="left")
        for w, c in sub["counts"].items():
            t.add_row(escape(w), str(c), f"{sub['keep_gensim'][w]:.4f}", f"{sub['keep_formula'][w]:.4f}",
                      f"{sub['paper_keep'][w]:.4f}")
        console.print(t)
        console.print(f"learning rate: {g['lr']['alpha']} decays linearly to {g['lr']['min_alpha']}; "
                      f"syn1neg {g['syn1neg_shape']} is dropped, KeyedVectors keep {g['vectors_shape']}")


def _step6(console: _Plain, n: dict[str, Any]) -> None:
    t = Table("word", "start", *[k for k in ("frozen", "finetune_sgd", "finetune_adam", "finetune_adamw")],
              title=f"per-row drift ||W_end - W_start|| after {n['steps']} steps", title_justify="left")
    for i, w in enumerate(VOCAB):
        seen = "" if i in n["seen_ids"] else (" (padding)" if i == 0 else " (never in a batch)")
        t.add_row(escape(f"{i} {w}{seen}"), f"{float(np.linalg.norm(n['start'][i])):.3f}",
                  *[f"{n[k]['drift'][i]:.4f}" for k in ("frozen", "finetune_sgd", "finetune_adam",
                                                         "finetune_adamw")])
    console.print(t)
    console.print(f"cos(good, bad): start {n['cos_good_bad_start']:.4f}, fine-tuned (Adam) "
                  f"{n['finetune_adam']['cos_good_bad']:.4f} -- Word2Vec puts antonyms together "
                  "(same contexts); only the labels pull them apart")


RENDERERS = {1: _step1, 2: _step2, 3: _step3, 4: _step4, 5: _step5, 6: _step6}


def render(result: Explanation, console: Console | None = None) -> None:
    console = _Plain(console or Console())
    s = result.setup
    console.rule("[bold]embedlab explain: backprop into an Embedding, and Word2Vec")
    console.print(f"vocabulary: {', '.join(f'{i} {w}' for i, w in enumerate(s['vocabulary']))}")
    for name in ("batch_A", "batch_B"):
        b = s[name]
        texts = ["[" + " ".join(w) + f"] y={int(y)}" for w, y in zip(b["words"], b["labels"])]
        console.print(f"{name}: " + "; ".join(texts))
    console.print(f"model: {s['model']}")
    for step in result.steps:
        console.rule(f"[bold]{step.number}. {step.title}")
        console.print(step.claim)
        RENDERERS[step.number](console, step.numbers)
        _checks(console, step)
    total = sum(len(st.checks) for st in result.steps)
    passed = sum(c.passed for st in result.steps for c in st.checks)
    colour = "green" if result.passed else "red"
    console.rule(f"[bold {colour}]{passed}/{total} checks passed")
