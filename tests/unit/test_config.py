from pathlib import Path

import pytest

from embedlab.config import (load_embeddings, load_evaluate, load_params, load_prepare,
                             load_train)
from embedlab.errors import ConfigError
from embedlab.train.grid import load_train as load_train_stage

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "params.yaml"
    p.write_text(text)
    return p


def test_project_params_file_is_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.evaluate.model_name == "review-sentiment"
    assert params.evaluate.alias == "champion"


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path):
    p = write(tmp_path, "data:\n  split: {train: 0.8, val: 0.1, test: 0.1, seeed: 3}\n")
    with pytest.raises(ConfigError) as exc:
        load_prepare(p)
    msg = str(exc.value)
    assert str(p) in msg and "data.split.seeed: unknown key" in msg
    assert "seed" in msg.split("allowed here:")[1]


def test_wrong_type_names_key_and_value(tmp_path):
    p = write(tmp_path, "train:\n  epochs: lots\n")
    with pytest.raises(ConfigError) as exc:
        load_train(p)
    assert "train.epochs" in str(exc.value) and "'lots'" in str(exc.value)


def test_split_fractions_must_sum_to_one(tmp_path):
    p = write(tmp_path, "data:\n  split: {train: 0.8, val: 0.2, test: 0.2}\n")
    with pytest.raises(ConfigError, match="sum to 1"):
        load_prepare(p)


def test_max_len_below_one_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="data.max_len"):
        load_prepare(write(tmp_path, "data:\n  max_len: 0\n"))


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="trian: unknown section"):
        load_train(write(tmp_path, "trian:\n  epochs: 3\n"))


def test_unknown_strategy_lists_choices(tmp_path):
    with pytest.raises(ConfigError, match="unknown strategy 'w2v_frozn'.*learned"):
        load_train_stage(write(tmp_path, "grid:\n  strategies: [w2v_frozn]\n"))


def test_variant_on_a_non_word2vec_strategy_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="takes no vectors variant"):
        load_train_stage(write(tmp_path, "grid:\n  strategies: [learned@cbow]\n"))


def test_negative_vector_size_is_refused(tmp_path):
    p = write(tmp_path, "embeddings:\n  variants:\n    cbow: {vector_size: 0}\n")
    with pytest.raises(ConfigError, match="embeddings.variants.cbow.vector_size"):
        load_embeddings(p)


def test_invalid_yaml_reports_line(tmp_path):
    p = write(tmp_path, "evaluate:\n  margin: [0.1\n")
    with pytest.raises(ConfigError, match=r"line \d+"):
        load_evaluate(p)


def test_each_stage_reads_only_its_sections(tmp_path):
    # A broken train section must not stop the prepare stage.
    p = write(tmp_path, "train:\n  epochs: -1\ndata:\n  sample: 100\n")
    assert load_prepare(p).data.sample == 100
    with pytest.raises(ConfigError):
        load_train(p)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_params(tmp_path / "nope.yaml")


def test_params_file_reads_the_same_for_dvc_and_the_stages():
    """DVC parses params.yaml with ruamel.yaml, the stages with PyYAML: a value such as
    `{source: embedded:x}` (a colon inside a flow mapping) is fine for one and an error
    for the other. Both must read the same document."""
    import yaml
    from dvc.utils.serialize import parse_yaml  # what `dvc repro` / `dvc params diff` use

    text = (ROOT / "params.yaml").read_text()
    assert parse_yaml(text, "params.yaml") == yaml.safe_load(text)
