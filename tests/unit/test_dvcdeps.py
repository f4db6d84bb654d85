"""Files params.yaml names become deps of their stage in dvc.yaml, and a stage
refuses to run while one is missing (DVC would not re-run it when it changes)."""

from __future__ import annotations

import pytest
import yaml

from embedlab import dvcdeps
from embedlab.config import load_params
from embedlab.errors import DataError

DVC_YAML = """\
stages:
  prepare:
    cmd: python -m flows.prepare   # a comment that must survive
    deps:
    - flows/prepare.py
  embeddings:
    cmd: python -m flows.embeddings
    deps:
    - data/prepared
"""
PARAMS = """\
data: {source: raw/*.jsonl, text_columns: [text], label_column: stars,
       label: {positive_min: 4, negative_max: 2}}
embeddings:
  extra_corpus: [{path: unlabeled/more.txt}]
  variants: {mine: {path: vectors/mine.txt}}
"""


@pytest.fixture()
def project(tmp_path):
    for name in ("raw/a.jsonl", "raw/b.jsonl", "unlabeled/more.txt", "vectors/mine.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x\n")
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    (tmp_path / "params.yaml").write_text(PARAMS)
    return tmp_path


def test_missing_input_files_are_refused_then_synced(project):
    params = load_params(project / "params.yaml")
    inputs = dvcdeps.user_files("prepare", params, project)
    assert inputs == ["raw/a.jsonl", "raw/b.jsonl"]
    with pytest.raises(DataError, match=r"dvc.yaml: stage prepare reads raw/a.jsonl, raw/b.jsonl.*embedlab deps"):
        dvcdeps.check("prepare", inputs, project)

    added = dvcdeps.sync(project, project / "params.yaml")
    assert added == {"prepare": ["raw/a.jsonl", "raw/b.jsonl"],
                     "embeddings": ["unlabeled/more.txt", "vectors/mine.txt"]}
    text = (project / "dvc.yaml").read_text()
    assert "# a comment that must survive" in text
    stages = yaml.safe_load(text)["stages"]
    assert stages["prepare"]["deps"] == ["flows/prepare.py", "raw/a.jsonl", "raw/b.jsonl"]
    assert stages["embeddings"]["deps"] == ["data/prepared", "unlabeled/more.txt", "vectors/mine.txt"]
    dvcdeps.check("prepare", inputs, project)
    dvcdeps.check("embeddings", dvcdeps.user_files("embeddings", params.embeddings, project), project)
    assert dvcdeps.sync(project, project / "params.yaml") == {}   # idempotent


def test_outside_a_dvc_project_there_is_nothing_to_check(tmp_path):
    dvcdeps.check("prepare", ["raw/a.jsonl"], tmp_path)


def test_the_embedded_source_has_no_files(project):
    params = load_params(project / "params.yaml").model_copy(deep=True)
    params = params.model_copy(update={"data": params.data.model_copy(update={"source": "embedded:amazon-fine-foods"})})
    assert dvcdeps.user_files("prepare", params, project) == []
