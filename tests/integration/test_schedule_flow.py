"""The `retrain` flow (flows/schedule.py) on a tiny real git + DVC project whose
two stages are small Python scripts: real DVC decides what is stale, real
Prefect (a temporary local server) runs the tasks and stores the artifact."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

STEP = textwrap.dedent('''
    """Tiny stand-ins for the real stages; behaviour steered by $STEP_CONTROL."""
    import glob, os, sys
    from pathlib import Path
    from embedlab.errors import DataError
    from embedlab.runtime import run_entry

    control = Path(os.environ["STEP_CONTROL"])

    def main(stage):
        with open(control / f"attempts-{stage}", "a") as fh:
            fh.write("x")
        attempts = len((control / f"attempts-{stage}").read_text())
        mode = (control / f"mode-{stage}").read_text().strip() if (control / f"mode-{stage}").exists() else ""
        if mode == "real":
            raise DataError("raw/a.csv line 3: label 'maybe' matches no rule; fix the file")
        if mode.startswith("transient") and attempts <= int(mode.split(":")[1]):
            raise ConnectionRefusedError(111, "tracking server at 127.0.0.1 is restarting")
        Path("out").mkdir(exist_ok=True)
        if stage == "prepare":
            text = "".join(Path(p).read_text() for p in sorted(glob.glob("raw/*.csv")))
            Path("out/prepared.txt").write_text(text)
        else:
            Path("out/model.txt").write_text(str(len(Path("out/prepared.txt").read_text())))

    run_entry(main, sys.argv[1])
''')

DVC_YAML = textwrap.dedent('''
    stages:
      prepare:
        cmd: python step.py prepare
        deps: [step.py]
        params: [data.source]
        outs: [out/prepared.txt]
      train:
        cmd: python step.py train
        deps: [step.py, out/prepared.txt]
        outs: [out/model.txt]
''')


def tiny_project(root: Path) -> Path:
    root.mkdir()
    (root / "raw").mkdir()
    (root / "raw" / "a.csv").write_text("text,label\ngood,1\n")
    (root / "step.py").write_text(STEP)
    (root / "dvc.yaml").write_text(DVC_YAML)
    (root / "params.yaml").write_text("data:\n  source: raw/*.csv\n  text_columns: [text]\n"
                                      "  label_column: label\n"
                                      "  label: {positive_values: ['1'], negative_values: ['0']}\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for cmd in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"],
                ["git", "add", "-A"], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True)
    return root


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def project(tmp_path, monkeypatch, harness):
    control = tmp_path / "control"
    control.mkdir()
    monkeypatch.setenv("STEP_CONTROL", str(control))
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site"))
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root / "src"), str(root),
                                                      os.environ.get("PYTHONPATH", "")]))
    return tiny_project(tmp_path / "proj"), control


def outcomes(result: dict) -> dict[str, str]:
    return {o["stage"]: o["outcome"] for o in result["stages"]}


def artifact_markdown() -> str:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from embedlab.schedule import ARTIFACT_KEY

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])),
                                     sort=ArtifactSort.CREATED_DESC, limit=1)
    assert arts, "no results artifact was published"
    return arts[0].data


def test_ran_then_noop_then_new_data_retrains(project):
    from flows.schedule import retrain

    root, control = project
    first = retrain(str(root))
    assert outcomes(first) == {"prepare": "ran", "train": "ran"}
    assert (root / "out" / "model.txt").read_text() == str(len("text,label\ngood,1\n"))
    md = artifact_markdown()
    assert "| prepare | ran |" in md and "| train | ran |" in md

    # Nothing changed: every stage skipped, no stage command ran (how long it took is
    # a benchmark's business, not a test's).
    second = retrain(str(root))
    assert outcomes(second) == {"prepare": "skipped", "train": "skipped"}
    md = artifact_markdown()
    assert "Nothing changed" in md and "| prepare | skipped |" in md and "| train | skipped |" in md
    assert len((control / "attempts-prepare").read_text()) == 1
    assert len((control / "attempts-train").read_text()) == 1

    # New data arrives in the configured source (no DVC dep on it): next run retrains.
    with open(root / "raw" / "a.csv", "a") as fh:
        fh.write("bad,0\n")
    third = retrain(str(root))
    assert outcomes(third) == {"prepare": "ran", "train": "ran"}
    assert (root / "out" / "model.txt").read_text() == str(len("text,label\ngood,1\nbad,0\n"))
    assert "data source changed" in artifact_markdown()


def test_real_failure_fails_the_run_with_the_stage_message_and_no_retry(project):
    from flows.schedule import retrain

    root, control = project
    (control / "mode-train").write_text("real")
    state = retrain(str(root), retry_delay_seconds=0.2, return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="raw/a.csv line 3: label 'maybe' matches no rule"):
        state.result()
    assert len((control / "attempts-train").read_text()) == 1
    md = artifact_markdown()
    assert "| train | failed |" in md and "| prepare | ran |" in md


def test_transient_failure_is_retried_with_backoff(project):
    from flows.schedule import retrain

    root, control = project
    (control / "mode-train").write_text("transient:1")
    result = retrain(str(root), retry_delay_seconds=0.2)
    assert outcomes(result) == {"prepare": "ran", "train": "ran"}
    assert len((control / "attempts-train").read_text()) == 2

    # Still unreachable after every retry: the run fails, naming the cause.
    (control / "mode-train").write_text("transient:99")
    (root / "step.py").write_text((root / "step.py").read_text() + "\n# changed\n")
    state = retrain(str(root), retry_delay_seconds=0.2, return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="restarting"):
        state.result()
    assert len((control / "attempts-train").read_text()) == 2 + 3  # 1 try + 2 retries
