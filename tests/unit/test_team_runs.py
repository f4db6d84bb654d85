"""What the team set-up relies on in the MLflow run routine, on a real sqlite
store and a real (in-process) Dask cluster: unfinished duplicates of a cell are
retired, and a run made on a Dask worker names it."""

from __future__ import annotations


def test_retire_keeps_the_finished_run_and_deletes_unfinished_twins(mlflow_store):
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    from embedlab import tracking
    from embedlab.tracking import FINGERPRINT_TAG, retire

    uri, exp = tracking.setup()
    client = MlflowClient(uri, uri)
    # What a create_run retried across a server restart leaves: two runs of one cell.
    twin, kept = (client.create_run(exp, tags={FINGERPRINT_TAG: "fp1"}) for _ in range(2))
    other = client.create_run(exp, tags={FINGERPRINT_TAG: "fp2"})
    client.set_terminated(kept.info.run_id, "FINISHED")

    retire(exp, "fp1", uri, keep=kept.info.run_id)

    active = {r.info.run_id for r in client.search_runs([exp])}
    deleted = {r.info.run_id for r in client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)}
    assert active == {kept.info.run_id, other.info.run_id}
    assert deleted == {twin.info.run_id}
    retire(exp, "fp1", uri, keep=kept.info.run_id)  # nothing left to retire: a no-op
    assert {r.info.run_id for r in client.search_runs([exp])} == active


def test_dask_worker_tag_names_the_worker_only_inside_one():
    from distributed import Client, LocalCluster

    from embedlab.tracking import DASK_WORKER_TAG, dask_worker

    assert dask_worker() == {}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, name="w-test",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        (name,) = [w["name"] for w in client.scheduler_info()["workers"].values()]
        remote = client.submit(dask_worker, pure=False).result(timeout=60)
    assert remote == {DASK_WORKER_TAG: str(name)}
