"""The pipeline against a real `mlflow server` on 127.0.0.1 (sqlite backend,
artifacts served by the server): runs are logged over HTTP, and the champion is
pulled over HTTP with the documented one-liner."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.integration._realservers import TINY, BIN, free_port, http_ok, process, wait_until
from tests.conftest import make_project, stage_env


@pytest.mark.slow
def test_pipeline_logs_over_http_and_champion_is_pulled_over_http(tmp_path, monkeypatch):
    project = make_project(tmp_path / "proj", TINY)
    srv = tmp_path / "mlflow-server"
    (srv / "artifacts").mkdir(parents=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    log = tmp_path / "mlflow-server.log"
    t_start = time.monotonic()
    server_env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    server_env.pop("MLFLOW_TRACKING_URI", None)
    with process([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                  "--backend-store-uri", f"sqlite:///{srv / 'mlflow.db'}",
                  "--serve-artifacts", "--artifacts-destination", str(srv / "artifacts"),
                  "--workers", "1"], log, env=server_env, cwd=srv) as server:
        wait_until(lambda: http_ok(f"{uri}/health"), 240, "mlflow server", server, log)
        t_ready = time.monotonic()
        env = {**stage_env(project), "MLFLOW_TRACKING_URI": uri,
               "PREFECT_HOME": str(tmp_path / "prefect-home"),
               "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        out = subprocess.run([str(BIN / "dvc"), "repro"], cwd=project, env=env,
                             capture_output=True, text=True, timeout=1500)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
        t_repro = time.monotonic()

        import mlflow
        import pandas as pd
        from mlflow import MlflowClient

        client = MlflowClient(uri, uri)
        exp = client.get_experiment_by_name("embedlab")
        # tracking.setup() leaves the artifact location to the server for http URIs.
        assert exp.artifact_location.startswith("mlflow-artifacts:"), exp.artifact_location
        runs = client.search_runs([exp.experiment_id], max_results=100)
        cells = [r for r in runs if r.data.tags.get("embedlab.cell")]
        assert sorted(r.data.tags["embedlab.cell"] for r in cells) == \
            ["learned/lstm/seed1", "w2v_frozen/lstm/seed1"]
        assert all(r.info.status == "FINISHED" and "test_accuracy" in r.data.metrics for r in cells)
        # Nothing went to a local store: the project's mlruns/ holds no database.
        assert not (project / "mlruns" / "mlflow.db").exists()
        assert any((srv / "artifacts").rglob("MLmodel")), "model artifacts not on the server"

        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        assert str(client.get_model_version_by_alias("review-sentiment", "champion").version) == "1"
        model = mlflow.pyfunc.load_model("models:/review-sentiment@champion")
        pred = model.predict(pd.DataFrame({"text": ["Delicious, will buy again.",
                                                    "Stale and awful."]}))
        assert list(pred.columns[:2]) == ["probability", "label"] or \
            {"probability", "label"} <= set(pred.columns)
        assert len(pred) == 2 and pred["probability"].between(0, 1).all()
        assert set(pred["label"]) <= {"positive", "negative"}
    assert server.returncode is not None  # stopped by PID
    print(f"\nmlflow server ready in {t_ready - t_start:.1f} s; dvc repro over HTTP "
          f"{t_repro - t_ready:.1f} s; test total {time.monotonic() - t_start:.1f} s")
