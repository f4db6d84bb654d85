"""Labeled train sizes: nested stratified subsets, the grid axis, cell names."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.config import GridParams
from embedlab.splits import labeled_subset
from embedlab.train.baseline import Reference, references
from embedlab.train.grid import Cell, expand_grid

# 1,000 reviews, 30 % positive, in a shuffled order.
LABELS = np.random.default_rng(0).permutation(np.r_[np.ones(300, int), np.zeros(700, int)])
SIZES = [10, 30, 100, 300, 999]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_subsets_are_nested_for_each_seed(seed):
    chosen = [set(labeled_subset(LABELS, n, seed)) for n in SIZES]
    for small, large in zip(chosen, chosen[1:]):
        assert small < large
    assert set(labeled_subset(LABELS, "all", seed)) == set(range(len(LABELS)))


def test_subsets_have_the_size_asked_and_the_class_balance_of_the_split():
    for n in SIZES:
        idx = labeled_subset(LABELS, n, 1)
        assert len(idx) == n == len(set(idx.tolist()))
        # the positive share rounds to the split's 30 %
        assert LABELS[idx].sum() == int(np.floor(0.3 * n + 0.5))
    assert LABELS[labeled_subset(LABELS, 10, 1)].sum() == 3


def test_both_classes_are_kept_even_when_rounding_would_drop_one():
    labels = np.r_[np.ones(5, int), np.zeros(995, int)]   # 0.5 % positive
    idx = labeled_subset(labels, 10, 4)
    assert labels[idx].sum() == 1 and len(idx) == 10


def test_subsets_are_deterministic_and_differ_between_seeds():
    a, b = labeled_subset(LABELS, 100, 1), labeled_subset(LABELS, 100, 1)
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, labeled_subset(LABELS, 100, 2))


def test_a_subset_smaller_than_the_classes_is_refused():
    with pytest.raises(ValueError, match="cannot hold 2 classes"):
        labeled_subset(LABELS, 1, 1)


def test_train_size_is_a_grid_axis_and_the_default_names_do_not_change():
    grid = GridParams(strategies=["learned", "w2v_finetuned@sg"], architectures=["cnn"], seeds=[1, 2],
                      train_sizes=["all", 300, 100])
    cells = expand_grid(grid)
    assert len(cells) == 2 * 2 * 3
    names = [c.name for c in cells]
    assert names[:3] == ["learned/cnn/seed1/n100", "learned/cnn/seed1/n300", "learned/cnn/seed1"]
    assert "w2v_finetuned@sg/cnn/seed2/n300" in names
    assert Cell("learned", None, "cnn", 1, "learned").name == "learned/cnn/seed1"
    key = cells[1].key()
    assert key["train_size"] == 300 and key["slug"] == "learned__cnn__seed1__n300"
    assert [c.name for c in expand_grid(GridParams(strategies=["learned"], architectures=["cnn"],
                                                   seeds=[1]))] == ["learned/cnn/seed1"]


def test_an_architecture_capped_in_size_has_no_cell_above_its_cap(tmp_path):
    import yaml

    from embedlab.errors import ConfigError
    from embedlab.train.grid import load_train

    grid = GridParams(strategies=["learned"], architectures=["meanpool", "cnn"], seeds=[1],
                      train_sizes=[100, 3000, 10000, "all"], max_train_size={"cnn": 3000})
    names = [c.name for c in expand_grid(grid)]
    assert names == ["learned/meanpool/seed1/n100", "learned/meanpool/seed1/n3000",
                     "learned/meanpool/seed1/n10000", "learned/meanpool/seed1",
                     "learned/cnn/seed1/n100", "learned/cnn/seed1/n3000"]
    assert len(expand_grid(grid.model_copy(update={"max_train_size": {"cnn": "all"}}))) == 8
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"grid": {"architectures": ["meanpool"], "max_train_size": {"lstm": 300}}}))
    with pytest.raises(ConfigError, match=r"params.yaml: grid.max_train_size: bounds architecture\(s\) \['lstm'\]"):
        load_train(path)


def test_an_architecture_with_a_smallest_size_has_no_cell_below_it(tmp_path):
    import yaml

    from embedlab.errors import ConfigError
    from embedlab.train.grid import load_train

    grid = GridParams(strategies=["learned"], architectures=["linear", "meanpool"], seeds=[1],
                      train_sizes=[100, 1000, "all"], min_train_size={"meanpool": 1000})
    assert [c.name for c in expand_grid(grid)] == [
        "learned/linear/seed1/n100", "learned/linear/seed1/n1000", "learned/linear/seed1",
        "learned/meanpool/seed1/n1000", "learned/meanpool/seed1"]
    # A curve adds its sizes one by one: at 100 alone meanpool sits out, linear runs.
    assert [c.name for c in expand_grid(grid.model_copy(update={"train_sizes": [100]}))] == [
        "learned/linear/seed1/n100"]
    path = tmp_path / "params.yaml"
    bounds = {"architectures": ["linear"], "train_sizes": [100, 300], "min_train_size": {"linear": 1000}}
    path.write_text(yaml.safe_dump({"grid": bounds}))
    with pytest.raises(ConfigError, match=r"params.yaml: grid.min_train_size: leaves no architecture a size"):
        load_train(path)
    path.write_text(yaml.safe_dump({"grid": {**bounds, "min_train_size": {}, "max_train_size": {"linear": 10}}}))
    with pytest.raises(ConfigError, match=r"grid.max_train_size: leaves no architecture a size .* raise it"):
        load_train(path)
    path.write_text(yaml.safe_dump({"grid": {**bounds, "min_train_size": {"cnn": 1000}}}))
    with pytest.raises(ConfigError, match=r"params.yaml: grid.min_train_size: bounds architecture\(s\) \['cnn'\]"):
        load_train(path)


def test_tfidf_reference_once_on_the_whole_split_and_per_seed_below_it():
    refs = references(GridParams(seeds=[1, 2], train_sizes=[100, "all"]))
    assert [r.name for r in refs] == ["baseline/tfidf_logreg/seed1/n100", "baseline/tfidf_logreg/seed2/n100",
                                      "baseline/tfidf_logreg"]
    assert Reference().predictions == "tfidf_logreg.npz"
    assert refs[0].predictions == "tfidf_logreg__seed1__n100.npz"


@pytest.mark.parametrize("sizes, message", [
    ([100, 100], "train sizes repeat"),
    ([5], "greater than or equal to 10"),
    (["everything"], "'all'"),
    ([], "at least 1 item"),
])
def test_bad_train_sizes_are_refused(sizes, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        GridParams(train_sizes=sizes)


def test_a_small_train_size_cycles_through_its_reviews_to_fill_an_epoch():
    from embedlab.train.fit import epoch_rows

    rows = labeled_subset(LABELS, 100, 1)
    epoch = epoch_rows(rows, batch_size=64, min_steps=20)
    assert len(epoch) == 13 * 100 >= 20 * 64          # whole passes: each review 13 times
    assert np.array_equal(np.unique(epoch, return_counts=True)[1], np.full(100, 13))
    assert np.array_equal(epoch_rows(rows, 64, 1), rows)
    assert np.array_equal(epoch_rows(np.arange(2000), 64, 20), np.arange(2000))   # 32 batches already
