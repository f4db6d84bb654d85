"""`embedlab ui` end to end: start it on a real project store, open the pages a
user browses in headless Chromium (Debian's `chromium`, installed by the test
set-up, never downloaded by a test tool) and read the rendered page: the first
page (the link `embedlab ui` prints: the experiment's runs, not MLflow's GenAI
overview, with the compared metrics as columns, best test accuracy first), the
grid's runs, the report on the grid run, and the champion alias in the registry."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from harness.serve import free_port

pytestmark = pytest.mark.slow

CELLS = ["learned/meanpool/seed1", "w2v_frozen/meanpool/seed1", "w2v_finetuned/meanpool/seed1"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str, profile, budget_ms: int = 30000) -> str:
    """The page's DOM after its JavaScript ran (virtual time lets it finish fetching)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--no-first-run",
           f"--user-data-dir={profile}", "--window-size=1600,3000",
           f"--virtual-time-budget={budget_ms}", "--dump-dom", url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture()
def project_store(tmp_path, mlflow_store, tiny_models):
    """A project folder whose store holds a grid (parent + cells, like the train
    stage writes) and a champion promoted by the real gate."""
    import mlflow
    from mlflow import MlflowClient

    from embedlab import tracking
    from embedlab.evaluate.registry import log_pyfunc, register_and_gate
    from tests.tiny_models import TEST_LABELS, TEST_TEXTS

    _, exp = tracking.setup(tmp_path)
    client = MlflowClient()
    parent = client.create_run(exp, run_name="grid", tags={"embedlab.kind": "grid"}).info.run_id
    for i, cell in enumerate(CELLS):
        run = client.create_run(exp, run_name=cell, tags={"mlflow.parentRunId": parent,
                                                          "embedlab.kind": "cell"})
        for k, metric in enumerate(tracking.COMPARED_METRICS):
            client.log_metric(run.info.run_id, metric, round(0.8 + i / 100 + k / 1000, 3))
        client.set_terminated(run.info.run_id)
    with mlflow.start_run(experiment_id=exp, run_name="evaluate",
                          tags={"mlflow.parentRunId": parent, "embedlab.kind": "evaluate"}):
        info = log_pyfunc(*tiny_models["good"])
        decision = register_and_gate(info.model_uri, "review-sentiment", "champion", 0.0,
                                     TEST_TEXTS, TEST_LABELS, tags={"cell": CELLS[-1]})
    assert decision.promoted
    client.set_tag(parent, "mlflow.note.content",
                   f"# embedlab report\n\nBest cell on validation: **{CELLS[-1]}**")
    client.set_terminated(parent)
    return tmp_path, exp, parent


def _check_first_page(log, base: str, exp: str, profile) -> None:
    """The page `embedlab ui` points the user to: the runs, metrics side by side."""
    from embedlab import tracking

    line = next(ln for ln in log.read_text().splitlines() if "The grid's runs" in ln)
    url = line.split(": ", 1)[1].strip()
    assert url.startswith(f"{base}/#/experiments/{exp}/runs?"), url
    page = render(url, profile)
    assert ">Runs</h2>" in page and "Token Usage" not in page, "not the experiment's runs"
    assert tracking.RUNS_VIEW_NAME in page and "Sort: test_accuracy" in page
    for metric in tracking.COMPARED_METRICS:
        assert f'data-testid="sort-header-{metric}"' in page, f"no column {metric}"
    # Listed flat, best test accuracy first, the values in the rows.
    where = [page.index(f">{cell}<") for cell in reversed(CELLS)]
    assert where == sorted(where), where
    assert ">0.82<" in page and ">0.8<" in page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium: apt-get install -y chromium")
def test_ui_shows_the_grid_runs_and_the_champion(project_store, mlflow_store, tmp_path):
    root, exp, parent = project_store
    port = free_port()
    log = open(tmp_path / "ui.log", "wb")
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_store}
    ui = subprocess.Popen([sys.executable, "-m", "embedlab.cli", "ui", "--port", str(port)],
                          cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "embedlab ui did not come up in 180 s"
            time.sleep(1)

        profile = tmp_path / "chromium-profile"
        _check_first_page(tmp_path / "ui.log", base, exp, profile)
        # The experiment's runs, sorted by name (which lists child runs flat, as a
        # user does to find a cell).
        query = urllib.parse.urlencode({"orderByKey": "attributes.run_name", "orderByAsc": "true"})
        runs_page = render(f"{base}/#/experiments/{exp}/runs?{query}", profile)
        assert "embedlab" in runs_page
        for name in ["grid", *CELLS]:
            assert f">{name}<" in runs_page, f"run {name!r} not visible on the experiment page"

        # The grid run's page shows the report as its description.
        grid_page = render(f"{base}/#/experiments/{exp}/runs/{parent}", profile)
        assert "embedlab report" in grid_page and CELLS[-1] in grid_page

        # The registry page shows the champion alias on version 1.
        model_page = render(f"{base}/#/models/review-sentiment", profile)
        assert "review-sentiment" in model_page and "champion" in model_page
        assert model_page.index("Version 1") < model_page.index("champion")
    finally:
        ui.send_signal(signal.SIGTERM)  # `embedlab ui` stops its server's whole process group
        try:
            ui.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
        log.close()
    # Stopped: nothing answers on the port any more.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/health", timeout=2)
