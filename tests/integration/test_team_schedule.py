"""The scheduled deployment on a Prefect server whose database is PostgreSQL
(``PREFECT_API_DATABASE_CONNECTION_URL``), as a team runs it: served with
``python -m flows.schedule``, one run triggered and watched to completion; then
served every minute, PostgreSQL restarted under the server, and the next
scheduled run still happens (or, if it fails, says why and the one after runs)."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import yaml

from harness.procs import process, tail, wait_until
from harness.team import prefect_server
from tests.conftest import make_project, stage_env
from tests.integration._realservers import BIN, TINY

# Slow, and given room: the first test also starts the servers and runs the whole pipeline.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DAILY = 'schedule: {cron: "17 3 * * *", timezone: UTC}\n'
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _deployment(api: str):
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        return client.read_deployment_by_name("retrain/embedlab")


def _runs(api: str, deployment_id) -> list:
    """The deployment's flow runs, oldest expected start first."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=200)


def test_schedule_on_prefect_with_postgres_survives_a_database_restart(tmp_path, postgres_server):
    project = make_project(tmp_path / "proj", TINY + DAILY)
    db = postgres_server.create_database("prefect")
    server_log = tmp_path / "prefect-server.log"
    with prefect_server(tmp_path / "prefect-home", server_log, postgres_server.url(db, "asyncpg"),
                        stage_env(project)) as (env, server):
        api = env["PREFECT_API_URL"]
        tables = {r[0] for r in postgres_server.query(
            db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"flow_run", "deployment", "task_run"} <= tables, tables

        # 1. Served with the daily cron; one run triggered by hand and watched.
        log1 = tmp_path / "serve-daily.log"
        with process([str(BIN / "python"), "-m", "flows.schedule"], log1, env=env, cwd=project) as served:
            dep = wait_until(lambda: _deployment(api), 240, "deployment retrain/embedlab", served, log1)
            out = subprocess.run([str(BIN / "prefect"), "deployment", "run", "retrain/embedlab", "--watch",
                                  "--watch-timeout", "1200"], env=env, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=1300)
            assert out.returncode == 0 and "Completed" in out.stdout + out.stderr, \
                (out.stdout[-3000:], out.stderr[-3000:], tail(log1))
        triggered = [r for r in _runs(api, dep.id) if r.state_type.value == "COMPLETED"]
        assert len(triggered) == 1

        # 2. The same deployment served every minute (a copy of params.yaml with
        #    another cron); PostgreSQL restarted once the schedule is live.
        params = yaml.safe_load((project / "params.yaml").read_text())
        params["schedule"]["cron"] = "* * * * *"
        every_minute = tmp_path / "every-minute.yaml"
        every_minute.write_text(yaml.safe_dump(params))
        log2 = tmp_path / "serve-every-minute.log"
        with process([str(BIN / "python"), "-m", "flows.schedule", "--params", str(every_minute),
                      "--project", str(project)], log2, env=env, cwd=project) as served:
            def every_minute_live():
                d = _deployment(api)
                return d if [s.schedule.cron for s in d.schedules] == ["* * * * *"] else None

            dep = wait_until(every_minute_live, 240, "every-minute schedule", served, log2)
            wait_until(lambda: any(r.state_type.value == "SCHEDULED" for r in _runs(api, dep.id)),
                       240, "a scheduled run", served, log2)
            before = dt.datetime.now(dt.timezone.utc)
            postgres_server.restart()
            restarted = dt.datetime.now(dt.timezone.utc)
            (started,) = postgres_server.query(db, "SELECT pg_postmaster_start_time()")[0]
            assert started >= before, (started, before)  # a new postmaster, not the old one

            def after_restart():
                runs = [r for r in _runs(api, dep.id)
                        if r.auto_scheduled and r.expected_start_time > restarted
                        and r.state_type.value in TERMINAL]
                return runs if any(r.state_type.value == "COMPLETED" for r in runs) else None

            runs = wait_until(after_restart, 420, "a scheduled run after the restart", served, log2, every=2)
            assert served.poll() is None, "the served deployment died with the database\n" + tail(log2)
        assert server.poll() is None, "the Prefect server died with the database\n" + tail(server_log)

    states = [(r.expected_start_time.isoformat(timespec="seconds"), r.state_type.value, r.state.message)
              for r in runs]
    print(f"\nscheduled runs after the PostgreSQL restart: {states}")
    # At most one run may fail around the restart, and it must say why.
    assert len(runs) <= 2 and runs[-1].state_type.value == "COMPLETED", states
    for r in runs[:-1]:
        assert r.state.message, states
