"""DVC stage `prepare`: python -m flows.prepare"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task

from embedlab.config import PrepareParams, load_prepare
from embedlab.data import Ingest
from embedlab.prepare import PreparedLayout, prepare
from embedlab.runtime import run_entry


@task(name="prepare-data", cache_policy=None)
def prepare_task(params: PrepareParams) -> dict:
    return prepare(params, PreparedLayout())


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
    from flows._entry import parse_args

    args = parse_args(__doc__)
    # Fail fast on bad params and missing inputs (a file, the set-up data), before Prefect starts.
    Ingest(load_prepare(args.params).data)
    prepare_flow(str(args.params))


if __name__ == "__main__":
    run_entry(main)
