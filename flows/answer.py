"""DVC stage `answer`: python -m flows.answer

The decision page for the grid as configured: which strategy and architecture
to use at each labeled size, with its gains and their intervals
(reports/answer.{json,md}, reports/plots/answer.png).
"""

from __future__ import annotations

from prefect import flow, task

from embedlab.answer import stage as answer
from embedlab.config import AnswerParams, load_answer
from embedlab.runtime import run_entry
from flows._entry import stage_main


@task(name="decide", cache_policy=None)
def decide_task(params: AnswerParams) -> dict:
    return answer.analyse(params)


@task(name="write-page", cache_policy=None)
def write_task(result: dict) -> str:
    return answer.write(result)


@task(name="log-to-mlflow", cache_policy=None)
def log_task() -> str:
    return answer.log_run()


@flow(name="answer", log_prints=True)
def answer_flow(params_path: str = "params.yaml") -> dict:
    params = load_answer(params_path)
    result = decide_task(params)
    text = write_task(result)
    log_task()
    print(text.split("\n## ", 2)[1])   # the decision section
    return result


def main() -> None:
    stage_main(__doc__, load_answer, answer_flow)


if __name__ == "__main__":
    run_entry(main)
