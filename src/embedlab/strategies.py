"""The strategy registry: how a model's ``Embedding`` table(s) start and train.

Each strategy is defined once, here: its tables (initialised from the variant's
vectors or at random; trainable or frozen), and its training schedule. Config
validation, the model builder, the fitting loop, the docs table and the tests
all read :data:`STRATEGIES`. Adding a strategy is one entry below plus its test
in ``tests/model/test_strategies.py``. No TensorFlow at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class Table:
    name: str                          # the Embedding layer's name
    init: Literal["random", "vectors"]  # "vectors": the variant's aligned matrix
    trainable: bool                    # at the start of training


class Trainer(Protocol):
    """What a schedule may ask of the fitting loop (``embedlab.train.fit``)."""

    def fit(self, epochs: int, initial_epoch: int = 0, early_stopping: bool = True) -> None: ...

    def unfreeze(self, tables: list[str], learning_rate: float) -> None: ...


def fit_all(trainer: Trainer, tables: tuple[Table, ...], train) -> None:
    """All epochs at once, early stopping on validation loss."""
    trainer.fit(train.epochs)


def unfreeze_after(trainer: Trainer, tables: tuple[Table, ...], train) -> None:
    """Gradual unfreezing: the frozen vectors let the classifier settle for
    ``unfreeze_after`` epochs (no early stopping: a stop there would never
    unfreeze), then everything fine-tunes at a lower learning rate."""
    k = min(train.unfreeze_after, train.epochs)
    trainer.fit(k, early_stopping=False)
    if train.epochs > k:
        trainer.unfreeze([t.name for t in tables if t.init == "vectors"],
                         train.learning_rate * train.unfreeze_lr_factor)
        trainer.fit(train.epochs, initial_epoch=k)


@dataclass(frozen=True)
class Strategy:
    name: str
    tables: tuple[Table, ...]
    question: str                                   # what the strategy answers (docs table)
    schedule: Callable[[Trainer, tuple[Table, ...], object], None] = fit_all

    @property
    def needs_vectors(self) -> bool:
        return any(t.init == "vectors" for t in self.tables)

    @property
    def vector_tables(self) -> tuple[str, ...]:
        """The tables initialised from vectors (``train.table_lr_scale`` scales their steps)."""
        return tuple(t.name for t in self.tables if t.init == "vectors")

    @property
    def fine_tunes_vectors(self) -> bool:
        """Whether a vectors table trains at some point: trainable from the start, or
        unfrozen by the schedule (which makes every vectors table trainable)."""
        return any(t.init == "vectors" and (t.trainable or self.schedule is unfreeze_after)
                   for t in self.tables)


_STRATEGIES = (
    Strategy("learned", (Table("embedding", "random", True),),
             "the baseline Keras recipe: learn the table by backprop"),
    Strategy("random_frozen", (Table("embedding", "random", False),),
             "control: is the vectors' geometry worth more than a fixed random projection?"),
    Strategy("w2v_frozen", (Table("embedding", "vectors", False),),
             'Kim (2014) "static": the vectors as they are'),
    Strategy("w2v_finetuned", (Table("embedding", "vectors", True),),
             'Kim (2014) "non-static": the vectors as a starting point for backprop'),
    # Kim (2014) multichannel: one static and one non-static copy side by side.
    Strategy("w2v_multichannel", (Table("embedding_static", "vectors", False),
                                  Table("embedding_tuned", "vectors", True)),
             'Kim (2014) "multichannel": both, side by side'),
    Strategy("w2v_unfreeze", (Table("embedding", "vectors", False),),
             "gradual unfreezing: frozen for `train.unfreeze_after` epochs, then fine-tuned "
             "at `learning_rate × unfreeze_lr_factor`", unfreeze_after),
)
STRATEGIES: dict[str, Strategy] = {s.name: s for s in _STRATEGIES}
# The reference every other strategy is compared with (the curve, the answer page):
# the recipe a practitioner would use without vectors.
LEARNED = "learned"


def get(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}") from None
