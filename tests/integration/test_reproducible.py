"""Same commit, params and data -> the same bytes: two fresh projects in different
folders run `dvc repro` on a tiny grid, one with two worker processes and one with
cells in sequence, and every output DVC tracks (and its hash in dvc.lock) is
identical: prepared data, Word2Vec vectors (two variants trained side by side),
models, predictions, reports and plots. Only the runs' own record
(reports/train_runs.json: MLflow run ids, seconds) may differ; the answer page
states each cell's work instead of those seconds, so it is the same bytes too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import make_project, stage_env

OVERRIDES = """
data: {sample: 300}
embeddings: {variants: {cbow: {vector_size: 16, epochs: 2}, skipgram: {sg: 1, vector_size: 16, epochs: 2}}}
train: {epochs: 2, units: 8, batch_size: 32}
# cnn: the architecture whose sums depend on TensorFlow's thread count.
grid: {strategies: [learned, w2v_finetuned, w2v_frozen@skipgram], architectures: [cnn, meanpool], seeds: [1]}
evaluate: {min_behaviour_pass_rate: 0.0}
"""
RUNNERS = {"two-workers": {"kind": "processes", "workers": 2}, "in-sequence": {"kind": "sequential", "workers": 1}}
TRACKED = ("data/prepared", "embeddings", "models", "reports")
NOT_TRACKED = {"reports/train_runs.json"}


def _files(project: Path) -> dict[str, bytes]:
    out = {}
    for top in TRACKED:
        for path in sorted((project / top).rglob("*")):
            rel = path.relative_to(project).as_posix()
            if path.is_file() and rel not in NOT_TRACKED:
                out[rel] = path.read_bytes()
    return out


def _out_hashes(project: Path) -> dict[str, str]:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return {o["path"]: o["md5"] for stage in lock["stages"].values() for o in stage.get("outs", [])}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, prefect_home):
    projects = {}
    for name, runner in RUNNERS.items():
        project = make_project(tmp_path_factory.mktemp(name) / "proj",
                               OVERRIDES + f"runner: {{kind: {runner['kind']}, workers: {runner['workers']}}}\n")
        proc = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=project, env=stage_env(project),
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{name}: dvc repro failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        projects[name] = (project, proc.stdout + proc.stderr)
    return projects


def test_two_fresh_runs_write_identical_bytes(two_runs):
    (a, _), (b, _) = two_runs.values()
    files_a, files_b = _files(a), _files(b)
    assert sorted(files_a) == sorted(files_b)
    assert any(p.endswith("model.keras") for p in files_a) and any(p.endswith(".kv") for p in files_a)
    differ = [p for p in files_a if files_a[p] != files_b[p]]
    assert not differ, f"outputs differ between two fresh runs: {differ}"
    assert _out_hashes(a) == _out_hashes(b)


def test_the_tracked_answer_states_work_not_seconds(two_runs):
    """Seconds differ run to run; the page's cost column is each cell's work (epochs ×
    reviews), and the measured seconds are merged in only on request (`timings`)."""
    import json

    from embedlab.answer import stage
    from embedlab.config import AnswerParams
    from embedlab.layout import Layout

    (a, _), _ = two_runs.values()
    answer = json.loads((a / "reports" / "answer.json").read_text())
    # Every network candidate (the TF-IDF reference, one fit, states no epochs).
    assert all(c["seconds"] is None and c["work"]["epochs"] >= 1 for c in answer["configs"])
    networks = [s for s in answer["selection"] if s["architecture"] is not None]
    assert all(s["work"] for s in networks) and ("epochs ×" in (a / "reports" / "answer.md").read_text()) == bool(networks)
    timed = stage.analyse(AnswerParams(), Layout(a), timings=True)
    assert all(c["seconds"] > 0 for c in timed["configs"])


def test_the_runs_record_stays_out_of_the_tracked_reports(two_runs):
    (a, _), _ = two_runs.values()
    import json

    train = json.loads((a / "reports" / "train.json").read_text())
    runs = json.loads((a / "reports" / "train_runs.json").read_text())
    assert not {"run_id", "status", "train_seconds"} & {k for c in train["cells"] for k in c}
    assert {c["status"] for c in runs["cells"]} == {"trained"} and all(c["run_id"] for c in runs["cells"])
    emb = json.loads((a / "reports" / "embeddings.json").read_text())
    assert emb["deterministic"] is True and all("train_seconds" not in v for v in emb["variants"].values())


def test_the_train_stage_shows_progress(two_runs):
    (_, output), _ = two_runs.values()
    import re

    lines = re.findall(r"\[(\d+)/(\d+)\] \S+: trained, test accuracy [\d.]+ \((.*?)\)", output)
    assert [(int(k), int(n)) for k, n, _ in lines] == [(k, 6) for k in range(1, 7)]
    assert all("elapsed" in rest for *_, rest in lines)
    assert all("left" in rest for *_, rest in lines[:-1]) and "left" not in lines[-1][2]
