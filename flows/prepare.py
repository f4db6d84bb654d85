"""DVC stage `prepare`: python -m flows.prepare"""

from __future__ import annotations

from prefect import flow, task

from embedlab.config import PrepareParams
from embedlab.layout import Layout
from embedlab.prepare.stage import load_prepare, preflight, prepare
from embedlab.runtime import run_entry
from flows._entry import stage_main


@task(name="prepare-data", cache_policy=None)
def prepare_task(params: PrepareParams) -> dict:
    return prepare(params, Layout())


@flow(name="prepare", log_prints=True)
def prepare_flow(params_path: str = "params.yaml") -> dict:
    params = load_prepare(params_path)
    report = prepare_task(params)
    print(f"prepared {report['train']['reviews']} train / {report['val']['reviews']} val / "
          f"{report['test']['reviews']} test reviews; vocabulary {report['vocab_size']}; "
          f"max_len {report['max_len']}; duplicates dropped {report['dropped_duplicates']}")
    for note in report.get("notes", []):
        print(f"note: {note}")
    return report


def main() -> None:
    stage_main(__doc__, lambda path: preflight(load_prepare(path)), prepare_flow)


if __name__ == "__main__":
    run_entry(main)
