"""Pure parts of the scheduled retraining: failure classification, the schedule
from params.yaml, and the data-source fingerprint."""

from __future__ import annotations

import json

import pytest

from embedlab.errors import ConfigError, DataError
from embedlab.runtime import ERROR_FILE_ENV, is_transient, record_failure


def _chained(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception:
            raise outer  # implicit __context__, like MLflow's rest client
    except Exception as exc:
        return exc


def test_transient_failures_are_server_unreachable_ones():
    import requests
    from mlflow.exceptions import MlflowException

    assert is_transient(ConnectionRefusedError(111, "Connection refused"))
    assert is_transient(TimeoutError("timed out"))
    assert is_transient(requests.exceptions.ConnectionError("Max retries exceeded"))
    wrapped = _chained(MlflowException("API request to http://127.0.0.1:5000/api/2.0/mlflow/runs/create "
                                       "failed with exception boom"), requests.exceptions.RetryError("503"))
    assert is_transient(wrapped)
    assert not is_transient(DataError("raw.csv line 3: bad label"))
    assert not is_transient(ValueError("shapes (3,) and (4,) not aligned"))
    assert not is_transient(MlflowException("RESOURCE_DOES_NOT_EXIST: run abc"))
    # A user error caused while handling a connection problem is still a user error.
    assert not is_transient(_chained(ConfigError("params.yaml: bad"), ConnectionError("x")))


def test_record_failure_writes_the_stage_message(tmp_path, monkeypatch):
    target = tmp_path / "err.json"
    monkeypatch.setenv(ERROR_FILE_ENV, str(target))
    record_failure(DataError("reviews.csv line 7: empty text"))
    assert json.loads(target.read_text()) == {"type": "DataError", "transient": False,
                                              "message": "reviews.csv line 7: empty text"}
    record_failure(ConnectionRefusedError(111, "refused"))
    info = json.loads(target.read_text())
    assert info["transient"] is True and info["message"].startswith("ConnectionRefusedError")
    monkeypatch.delenv(ERROR_FILE_ENV)
    target.unlink()
    record_failure(DataError("x"))
    assert not target.exists()


def test_schedule_comes_from_params_and_bad_cron_is_a_clear_error(tmp_path):
    from flows.schedule import schedule_from

    good = tmp_path / "params.yaml"
    good.write_text('schedule: {cron: "30 4 * * 1", timezone: Europe/Berlin}\n')
    params, sched = schedule_from(good)
    assert (params.cron, params.timezone) == ("30 4 * * 1", "Europe/Berlin")
    assert (sched.cron, sched.timezone) == ("30 4 * * 1", "Europe/Berlin")

    bad = tmp_path / "bad.yaml"
    bad.write_text('schedule: {cron: "every night", timezone: UTC}\n')
    with pytest.raises(ConfigError, match=r"bad.yaml: schedule.cron.*'every night'"):
        schedule_from(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text('schedule: {crn: "0 2 * * *"}\n')
    with pytest.raises(ConfigError, match=r"schedule.crn: unknown key"):
        schedule_from(typo)


def test_source_fingerprint_changes_with_the_data_only(tmp_path):
    from embedlab.schedule import source_fingerprint

    assert source_fingerprint(tmp_path, "embedded:amazon-fine-foods") is None
    (tmp_path / "raw").mkdir()
    a = tmp_path / "raw" / "a.jsonl"
    a.write_text('{"text": "good", "score": 5}\n')
    first = source_fingerprint(tmp_path, "raw/*.jsonl")
    assert first == source_fingerprint(tmp_path, "raw/*.jsonl")
    (tmp_path / "raw" / "notes.txt").write_text("not matched by the glob")
    assert source_fingerprint(tmp_path, "raw/*.jsonl") == first
    (tmp_path / "raw" / "b.jsonl").write_text('{"text": "bad", "score": 1}\n')  # new file arrives
    second = source_fingerprint(tmp_path, "raw/*.jsonl")
    assert second != first
    with open(a, "a") as fh:
        fh.write('{"text": "more", "score": 4}\n')  # appended rows
    assert source_fingerprint(tmp_path, "raw/*.jsonl") != second
    # The scheduler reads data.source as the prepare stage does: a folder or a
    # pattern that matches nothing is the same clear error.
    from embedlab.errors import DataError

    with pytest.raises(DataError, match=r"data.source: 'raw' is a folder"):
        source_fingerprint(tmp_path, "raw")
    with pytest.raises(DataError, match=r"data.source: the pattern 'missing/\*.csv' matches no files"):
        source_fingerprint(tmp_path, "missing/*.csv")


def test_schedule_command_refuses_a_bad_cron_before_serving(tmp_path):
    import subprocess
    import sys

    (tmp_path / "params.yaml").write_text('schedule: {cron: "61 2 * * *", timezone: UTC}\n')
    out = subprocess.run([sys.executable, "-m", "embedlab.cli", "schedule", "--params", "params.yaml"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "params.yaml: schedule.cron" in out.stderr and "'61 2 * * *'" in out.stderr
