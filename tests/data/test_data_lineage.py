"""The prepared data as an MLflow dataset: a training run records which data it saw."""

from __future__ import annotations

import json

from tests.data.datafiles import MCAULEY, mcauley_rows, write_jsonl

from embedlab.lineage import dataset_for_mlflow


def test_dataset_digest_follows_the_prepared_bytes(run_prepare, mlflow_store):
    import mlflow

    write_jsonl(run_prepare.root / "r.jsonl.gz", mcauley_rows(60))
    run_prepare(source="r.jsonl.gz", **MCAULEY)
    manifest = json.loads(run_prepare.layout.manifest.read_text())
    ds = dataset_for_mlflow(run_prepare.layout.root)
    assert ds.digest == manifest["digest"][:16]
    assert "r.jsonl.gz" in ds.name
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training")
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.digest, i.tags[0].value) for i in inputs] == [(ds.digest, "training")]
    assert str(run_prepare.layout.root.resolve()) in inputs[0].dataset.source

    # other data, other digest
    run_prepare(source="r.jsonl.gz", split={"train": 0.7, "val": 0.15, "test": 0.15, "seed": 1},
                **MCAULEY)
    assert dataset_for_mlflow(run_prepare.layout.root).digest != ds.digest
