"""The scheduled deployment end to end against a real `prefect server`:
serve it (`python -m flows.schedule`), trigger it with `prefect deployment run
--watch`, and find the pipeline's runs in the project's MLflow store."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.integration._realservers import TINY as TINY_PIPELINE
from tests.integration._realservers import BIN, free_port, http_ok, process, tail, wait_until
from tests.conftest import make_project, stage_env

TINY = TINY_PIPELINE + 'schedule: {cron: "17 3 * * *", timezone: UTC}\n'


@pytest.mark.slow
def test_served_deployment_runs_pipeline_on_real_prefect_server(tmp_path):
    project = make_project(tmp_path / "proj", TINY)
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**stage_env(project), "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    with process([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                  "--port", str(port)], server_log, env=env, cwd=tmp_path) as server:
        wait_until(lambda: http_ok(f"{api}/health"), 180, "prefect server", server, server_log)
        with process([str(BIN / "python"), "-m", "flows.schedule", "--params", "params.yaml"],
                     serve_log, env=env, cwd=project) as served:
            from prefect import get_client
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: api}):
                def deployment():
                    with get_client(sync_client=True) as client:
                        return client.read_deployment_by_name("retrain/embedlab")

                dep = wait_until(deployment, 180, "deployment retrain/embedlab", served, serve_log)
                crons = [s.schedule.cron for s in dep.schedules]
                assert crons == ["17 3 * * *"], crons

                def trigger() -> None:
                    out = subprocess.run(
                        [str(BIN / "prefect"), "deployment", "run", "retrain/embedlab",
                         "--watch", "--watch-timeout", "900"],
                        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=960)
                    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:],
                                                 tail(serve_log))
                    assert "Completed" in out.stdout + out.stderr, out.stdout[-3000:]

                trigger()
                trigger()  # nothing changed: every stage skipped (below)

                with get_client(sync_client=True) as client:
                    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
                    from prefect.client.schemas.sorting import ArtifactSort

                    arts = client.read_artifacts(
                        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["embedlab-results"])),
                        sort=ArtifactSort.CREATED_DESC)
    assert server.returncode is not None and served.returncode is not None

    assert len(arts) == 2, [a.key for a in arts]
    latest, first = arts[0].data, arts[1].data
    for stage in ("prepare", "embeddings", "train", "evaluate"):
        assert f"| {stage} | ran |" in first
        assert f"| {stage} | skipped |" in latest
    assert "**Registry:** version 1 promoted to champion." in first
    assert "Nothing changed" in latest
    assert "## Grid" in first and "| learned " in first and "| w2v_frozen " in first

    # The pipeline's MLflow runs are in the temp project's own store.
    from mlflow import MlflowClient

    uri = stage_env(project)["MLFLOW_TRACKING_URI"]
    client = MlflowClient(uri, uri)
    # (all experiments: the evaluate stage may log outside the grid's experiment)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=100)
    kinds = sorted(r.data.tags.get("embedlab.kind", "") for r in runs)
    cells = [r for r in runs if r.data.tags.get("embedlab.cell")]
    assert len(cells) == 2 and all(r.info.status == "FINISHED" for r in cells), kinds
    assert kinds.count("grid") == 1 and kinds.count("evaluate") == 1, kinds   # the no-op run logged nothing
    assert str(client.get_model_version_by_alias("review-sentiment", "champion").version) == "1"
    # The no-op run trained nothing and registered nothing: still one run per cell, one version.
    assert len(client.search_model_versions("name='review-sentiment'")) == 1
