"""docs/results.md's blocks: the committed default run's report, and the original
question's two models re-created beside the same choices in this pipeline."""

from __future__ import annotations

import pandas as pd

from docgen.registry import block
from docgen.text import para, pct, report_section

DOCUMENT = "docs/results.md"


@block("results", "reports/report.md")
def results(report: str) -> str:
    data = next(line for line in report.splitlines() if line.startswith("Data: "))
    comparisons = report_section(report, "Is the difference real?").split("\n\nMethod:")[0]
    pivot = report_section(report, "Strategy × architecture (test accuracy, mean over seeds)").split("\n\n![")[0]
    return "\n".join([
        data, "",
        "Mean ± std over architectures and seeds:", "",
        report_section(report, "Test accuracy by embedding strategy"), "",
        report_section(report, "Conclusions"), "",
        "Is a difference real? Paired on the same test reviews (bootstrap over reviews and "
        "architecture/seed pairs, McNemar as a second opinion):", "",
        comparisons.strip(), "",
        "Test accuracy by strategy × architecture (mean over seeds):", "",
        pivot.strip(),
    ])


def _lstm_mean(grid: pd.DataFrame, strategy: str) -> float:
    cells = grid[(grid["strategy"] == strategy) & (grid["architecture"] == "lstm")]
    if cells.empty:
        raise KeyError(f"reports/grid.csv has no {strategy}/lstm cell")
    return float(cells["test_accuracy"].mean())


@block("original-question", "benchmarks/results/original_question.json", "reports/grid.csv")
def original_question(oq: dict, grid: pd.DataFrame) -> str:
    f = oq["figures"]
    a, b = f["learned"], f["w2v_frozen"]
    seeds = len(f["seeds"])
    longest = b["word2vec_longest_key_length"]
    chars = "that are single characters" if longest == 1 else f"of at most {longest} characters"
    return para(f"**The original question's two models**, re-created faithfully (`{oq['command']}`: the "
            f"practitioner's {f['train_reviews']:,} / {f['test_reviews']:,} split, the Keras tokenizer of the time, "
            f"LSTM(128) with `recurrent_dropout`, {f['epochs']} epochs, mean of {seeds} seeds), score "
            f"{pct(a['test_accuracy_mean'])} (learned `Embedding`) and {pct(b['test_accuracy_mean'])} (Word2Vec "
            f"frozen) test accuracy; always answering the majority class scores "
            f"{pct(f['test_majority_class_share'])}. Word2Vec, given raw strings, learned "
            f"{b['word2vec_vocabulary_size']} \"words\" {chars}, and its 200-wide vectors do not fit the 100-wide matrix: "
            f"{b['matrix_rows_filled_from_word2vec']} of its {b['matrix_rows']:,} rows came from Word2Vec, the rest "
            f"stayed uniform noise. The same two choices in this pipeline (`learned/lstm` and `w2v_frozen/lstm`, "
            f"mean over seeds, on its deduplicated split) score {_lstm_mean(grid, 'learned'):.3f} and "
            f"{_lstm_mean(grid, 'w2v_frozen'):.3f}.")
