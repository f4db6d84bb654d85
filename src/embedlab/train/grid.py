"""The grid: cells, their structured keys and their fingerprints.

A cell is one (strategy, vectors variant, architecture, seed, labeled train
size). Its fingerprint covers everything that changes its numbers: the cell, the
``train`` params, the data and matrix digests, and the code that builds and fits
it — the strategy's tables and schedule, the architecture's builder, the model
assembly (with the n-gram hash of ``embedlab_serving.ngrams`` and the optimizer of
``embedlab_serving.optimizers``), the labeled subset and its holdout split or folds, the
fitting loop (with the linear head's fixed features, ``linear``), the
hyperparameter search (``tuning``) and the metrics. Editing a log line, a plot or
a docstring elsewhere does not retrain anything; editing ``cnn`` retrains only the
cnn cells.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from embedlab import config, splits, strategies
from embedlab.config import ALL_TRAIN as ALL
from embedlab.config import (GridParams, ProbeParams, TrainParams, TrainStageParams, key_error,
                             size_order)
from embedlab.errors import EmbedlabError
from embedlab.fileio import file_digest
from embedlab.layout import SPLITS, Layout
from embedlab.train import architectures, models


@dataclass(frozen=True)
class Cell:
    strategy: str            # base strategy name, e.g. "w2v_finetuned"
    variant: str | None      # the vectors variant of a strategy that needs vectors
    architecture: str
    seed: int
    label: str               # strategy as shown in tables: "w2v_finetuned" or "w2v_finetuned@sg"
    train_size: int | str = ALL  # labeled reviews it is fitted on: a count, or "all"

    @property
    def name(self) -> str:
        """The MLflow run name and the cell's name in every message; the size shows
        only when it is not the whole split (``learned/cnn/seed1/n300``)."""
        return f"{self.label}/{self.architecture}/seed{self.seed}{size_suffix(self.train_size)}"

    @property
    def slug(self) -> str:
        """The cell's folder name under ``models/``."""
        return self.name.replace("/", "__").replace("@", "-")

    def key(self) -> dict:
        """The structured key written to reports/train.json (never parsed back from a name)."""
        return {"name": self.name, "slug": self.slug, "strategy": self.label,
                "base_strategy": self.strategy, "variant": self.variant,
                "architecture": self.architecture, "seed": self.seed, "train_size": self.train_size}


def size_suffix(train_size: int | str) -> str:
    """How a train size shows in run names: nothing for the whole split, ``/n300`` otherwise."""
    return "" if train_size == ALL else f"/n{train_size}"


def load_train(path: Path | str = config.DEFAULT_PARAMS) -> TrainStageParams:
    """The stage's params (``config.load_train``) with the names the schema leaves to
    it checked against the registries: every strategy (and its ``@variant``) and
    every architecture."""
    stage = config.load_train(path)
    for entry in stage.grid.strategies:
        name, _, variant = entry.partition("@")
        if name not in strategies.STRATEGIES:
            raise key_error(path, "grid.strategies", f"unknown strategy {entry!r}; choose from "
                            f"{', '.join(strategies.STRATEGIES)}", stage.grid.strategies)
        if variant and not strategies.STRATEGIES[name].needs_vectors:
            raise key_error(path, "grid.strategies", f"strategy {name!r} takes no vectors variant "
                            f"({entry!r})", stage.grid.strategies)
    unknown = [a for a in stage.grid.architectures if a not in architectures.ARCHITECTURES]
    if unknown:
        raise key_error(path, "grid.architectures", f"unknown architecture(s) {unknown}; choose from "
                        f"{', '.join(architectures.ARCHITECTURES)}", stage.grid.architectures)
    for key in ("max_train_size", "min_train_size"):
        bounds = getattr(stage.grid, key)
        stray = [a for a in bounds if a not in stage.grid.architectures]
        if stray:
            raise key_error(path, f"grid.{key}", f"bounds architecture(s) {stray} the grid does not run; "
                            f"use names from grid.architectures ({', '.join(stage.grid.architectures)})", bounds)
    # An architecture may sit out every size listed (a curve adds its sizes one by one),
    # but not every architecture.
    if not any(architecture_sizes(stage.grid, a) for a in stage.grid.architectures):
        key = "min_train_size" if stage.grid.min_train_size else "max_train_size"
        raise key_error(path, f"grid.{key}", f"leaves no architecture a size of grid.train_sizes "
                        f"{stage.grid.train_sizes} to run at; {'lower' if key.startswith('min') else 'raise'} it",
                        getattr(stage.grid, key))
    _check_holdout(path, stage)
    return stage


def _check_holdout(path: Path | str, stage: TrainStageParams) -> None:
    """Each size that selects on a holdout (below the whole split, at or above
    ``train.cv_below``) must leave both classes room on both sides of its holdout
    split (sklearn's stratified split takes ceil(holdout × N) to select); each size
    below ``cv_below`` must give every fold at least two reviews to hold out."""
    train = stage.train
    few = [n for n in stage.grid.train_sizes if n != ALL and n < min(train.cv_below, 2 * train.cv_folds)]
    if few:
        raise key_error(path, "train.cv_folds", f"at grid.train_sizes {few} a fold would hold out fewer "
                        f"than two reviews; use at most {min(few) // 2} folds, or larger sizes",
                        train.cv_folds)
    holdout = train.holdout
    tight = [n for n in stage.grid.train_sizes if n != ALL and n >= train.cv_below
             and not 2 <= math.ceil(holdout * n) <= n - 2]
    if tight:
        raise key_error(path, "train.holdout", f"at grid.train_sizes {tight} it leaves fewer than two "
                        "reviews to fit or to select on; use a holdout between "
                        f"{2 / min(tight):.2g} and {1 - 2 / min(tight):.2g}, or larger sizes", holdout)


def architecture_sizes(grid: GridParams, architecture: str) -> list:
    """The train sizes ``architecture`` runs at, smallest first: ``grid.train_sizes``
    within its ``grid.min_train_size`` and ``grid.max_train_size``."""
    low = size_order(grid.min_train_size.get(architecture, 0))
    high = size_order(grid.max_train_size.get(architecture, ALL))
    return [s for s in sorted(grid.train_sizes, key=size_order) if low <= size_order(s) <= high]


def expand_grid(grid: GridParams) -> list[Cell]:
    cells = []
    for entry in grid.strategies:
        base, _, variant = entry.partition("@")
        uses_vectors = strategies.get(base).needs_vectors
        var = (variant or grid.variant) if uses_vectors else None
        label = base if (not uses_vectors or var == grid.variant) else f"{base}@{var}"
        for arch in grid.architectures:
            for seed in grid.seeds:
                cells += [Cell(base, var, arch, seed, label, size) for size in architecture_sizes(grid, arch)]
    names = [c.name for c in cells]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise EmbedlabError(f"params.yaml: grid lists the same cell twice: {sorted(dup)}")
    return cells


@dataclass(frozen=True)
class TrainInputs:
    """Paths and digests handed to each cell task (cheap to serialise)."""

    train: str
    val: str
    test: str
    vocab: str
    matrices: dict[str, str]       # variant -> .npy path
    data_digest: str
    matrix_digests: dict[str, str]


def train_inputs(cells: list[Cell], layout: Layout = Layout()) -> TrainInputs:
    """The prepared data and the matrices the cells need; a clear error if missing."""
    for path in (layout.split("train"), layout.vocab):
        if not path.exists():
            raise EmbedlabError(f"{path}: not found. Run the earlier stages first: dvc repro")
    matrices = {v: str(layout.matrix(v)) for v in sorted({c.variant for c in cells if c.variant})}
    for v, p in matrices.items():
        if not Path(p).exists():
            raise EmbedlabError(f"params.yaml: grid: vectors variant {v!r} has no matrix at {p}; "
                                "list it under embeddings.variants and run dvc repro")
    _check_sizes(cells, layout.split("train"))
    splits = [layout.split(s) for s in SPLITS]
    return TrainInputs(
        *(str(p) for p in splits), vocab=str(layout.vocab), matrices=matrices,
        data_digest=file_digest(*splits, layout.vocab)[:16],
        matrix_digests={v: file_digest(p)[:16] for v, p in matrices.items()})


def _check_sizes(cells: list[Cell], train_split: Path) -> None:
    """A train size must be below the split's size: at or above it, it is `all` by another name."""
    import pyarrow.parquet as pq

    n = pq.ParquetFile(train_split).metadata.num_rows
    too_big = sorted({c.train_size for c in cells if c.train_size != ALL and c.train_size >= n})
    if too_big:
        raise EmbedlabError(f"params.yaml: grid.train_sizes: {', '.join(map(str, too_big))} "
                            f"{'is' if len(too_big) == 1 else 'are'} not below the {n:,} reviews of the "
                            "train split; use sizes below it, and `all` for the whole split")


def code_digest(cell: Cell) -> str:
    """Digest of the code that changes this cell's numbers (see the module doc)."""
    strategy, arch = strategies.get(cell.strategy), architectures.get(cell.architecture)
    parts = [repr(strategy.tables), inspect.getsource(strategy.schedule),
             inspect.getsource(arch.build), inspect.getsource(models.build_model),
             inspect.getsource(models.compile_model), inspect.getsource(splits.labeled_subset),
             inspect.getsource(splits.holdout_split), inspect.getsource(splits.cv_split)]
    here = Path(__file__).parent
    parts += [(here / name).read_text(encoding="utf-8") for name in ("fit.py", "linear.py", "metrics.py", "tuning.py")]
    # The n-gram hash and layer (train.ngrams): their buckets are the model's inputs; the
    # optimizer of train.table_lr_scale.
    parts += [(here.parents[1] / "embedlab_serving" / name).read_text(encoding="utf-8")
              for name in ("ngrams.py", "optimizers.py")]
    return digest(parts)[:16]


def fingerprint(cell: Cell, params: TrainParams, inputs: TrainInputs, probes: ProbeParams) -> str:
    payload = {
        "cell": asdict(cell), "train": params.model_dump(), "data": inputs.data_digest,
        "matrix": inputs.matrix_digests.get(cell.variant) if cell.variant else None,
        "code": code_digest(cell),
        # The drift probes are numbers of the cells whose vectors move.
        "probes": probes.model_dump(mode="json") if strategies.get(cell.strategy).needs_vectors else None,
    }
    return digest(payload)[:24]


def grid_fingerprint(params_dump: dict, inputs: TrainInputs, cells: list[Cell]) -> str:
    """One parent run per grid: same params, data, matrices and cells -> same parent."""
    return digest({"params": params_dump, "data": inputs.data_digest,
                    "matrices": inputs.matrix_digests,
                    "code": sorted({code_digest(c) for c in cells})})[:24]


def digest(payload) -> str:
    """sha256 of a text, or of a JSON payload with sorted keys."""
    text = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
