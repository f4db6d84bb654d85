"""Helpers the benchmarks share (benchmarks/common.py): the time estimate of a
benchmark's remaining jobs, and a scratch project staged by the real DVC stages;
and the order of benchmarks.capacity's plan, which the estimate and the budget follow."""

from __future__ import annotations

import json

import pytest

from benchmarks.capacity import Phase, Setting, jobs
from benchmarks.common import estimate_seconds, staged_project


def test_estimate_takes_seen_kinds_at_their_mean_and_scales_unseen_ones_by_relative_cost():
    done = {"meanpool": [10.0, 30.0]}                     # mean 20 s
    assert estimate_seconds(done, ["meanpool", "meanpool"], {"cnn": 5.0}) == 40.0
    # cnn not seen yet: 5 times meanpool's seconds per unit of cost
    assert estimate_seconds(done, ["cnn"], {"meanpool": 1.0, "cnn": 5.0}) == 100.0
    # once seen, its own mean wins over the prior
    assert estimate_seconds({**done, "cnn": [60.0]}, ["cnn"], {"meanpool": 1.0, "cnn": 5.0}) == 60.0
    # the unit averages over every kind seen, each divided by its own cost
    both = {"meanpool": [20.0], "cnn": [200.0]}           # 20/1 and 200/5 -> 30 s per unit
    assert estimate_seconds(both, ["lstm"], {"meanpool": 1.0, "cnn": 5.0, "lstm": 2.0}) == 60.0


def test_estimate_is_zero_before_anything_finished():
    assert estimate_seconds({}, ["meanpool", "cnn"], {"cnn": 5.0}) == 0.0
    assert estimate_seconds({"meanpool": []}, ["meanpool"], {}) == 0.0


def test_capacity_plan_lists_each_cell_once_in_plan_order():
    a, b = Setting(), Setting(vocab_max_size=50_000)
    plan = [Phase([a, b], ["meanpool"], [1]), Phase([a], ["meanpool", "cnn"], [1])]
    keys = [j.key for j in jobs(plan)]
    assert len(keys) == len(set(keys)) == 6                # 2 settings x 2 strategies, then a's cnn
    assert keys[0] == "v20000-p90/learned/meanpool/seed1"
    assert keys[-2:] == ["v20000-p90/learned/cnn/seed1", "v20000-p90/w2v_finetuned@glove6b/cnn/seed1"]
    assert Setting(max_len=400).name == "v20000-len400"


@pytest.mark.slow
def test_staged_project_runs_the_real_prepare_on_its_params_and_reuses_it(tmp_path):
    project = staged_project(tmp_path / "proj", {"data": {"sample": 300, "max_len": 50},
                                                 "vocab": {"max_size": 100}})
    report = json.loads((project / "reports" / "data.json").read_text())
    assert (report["vocab_size"], report["max_len"]) == (100, 50)
    lock = (project / "dvc.lock").read_text()
    assert "prepare:" in lock
    split = project / "data" / "prepared" / "train.parquet"
    before = split.stat().st_mtime_ns
    staged_project(project, {})                            # up to date: DVC runs nothing
    assert split.stat().st_mtime_ns == before


def test_no_import_cycle_among_the_benchmarks():
    """What two benchmarks share lives in benchmarks/common.py: curves.py and peers.py
    once imported each other (inside functions; a cycle to the reader all the same)."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    graph = {}
    for path in folder.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("benchmarks"):
                names |= {node.module.split(".")[1]} if "." in node.module else {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("benchmarks.")}
        graph[path.stem] = {n for n in names if (folder / f"{n}.py").exists()} - {path.stem}

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    assert graph["curves"] and "common" in graph["peers"]   # the walk sees the imports
    cycles = sorted(m for m in graph if reaches(m, m, set()))
    assert not cycles, f"benchmarks modules on an import cycle: {cycles}"
