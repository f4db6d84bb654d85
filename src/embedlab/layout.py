"""Every path a stage writes or reads, named once.

``dvc.yaml`` repeats the stage outputs because DVC needs them there;
``tests/code/test_house.py`` holds the two together, and checks that no other
module spells one of these file names. Paths are relative to the project root
(``Layout(root)`` moves them all, as the tests do). A stage writing into a scratch
folder takes the names from here too (``tmp / layout.vocab.name``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Layout:
    root: Path = Path(".")

    # ------------------------------------------------------------ prepare
    @property
    def prepared(self) -> Path:
        return self.root / "data" / "prepared"

    def split(self, name: str) -> Path:
        return self.prepared / f"{name}.parquet"

    @property
    def vocab(self) -> Path:
        return self.prepared / "vocab.json"

    @property
    def corpus(self) -> Path:
        """The train split's tokens, one review a line: the Word2Vec corpus."""
        return self.prepared / "train_tokens.txt"

    @property
    def manifest(self) -> Path:
        return self.prepared / "manifest.json"

    @property
    def data_report(self) -> Path:
        return self.reports / "data.json"

    @property
    def lengths_plot(self) -> Path:
        return self.plots / "lengths.png"

    # --------------------------------------------------------- embeddings
    @property
    def embeddings(self) -> Path:
        return self.root / "embeddings"

    def vectors(self, variant: str) -> Path:
        return self.embeddings / f"{variant}.kv"

    def matrix(self, variant: str) -> Path:
        return self.embeddings / f"{variant}.npy"

    @property
    def embeddings_report(self) -> Path:
        """DVC metrics: coverage, speed and corpus figures per variant."""
        return self.reports / "embeddings.json"

    @property
    def probes_report(self) -> Path:
        """Nearest neighbours and antonym cosines per variant."""
        return self.reports / "embeddings_probes.json"

    # -------------------------------------------------------------- train
    @property
    def models(self) -> Path:
        return self.root / "models"

    def cell_dir(self, slug: str, models: Path | None = None) -> Path:
        """A cell's folder (its files: :data:`CELL`): under ``models/``, or under the
        stage's scratch folder."""
        return (models or self.models) / slug

    @property
    def train_report(self) -> Path:
        """What the cells computed: tracked by git and DVC, the same on every rerun."""
        return self.reports / "train.json"

    @property
    def train_runs(self) -> Path:
        """What the last train stage did (MLflow run ids, trained or reused, seconds):
        store- and machine-specific, so neither git nor DVC tracks it."""
        return self.reports / "train_runs.json"

    # ----------------------------------------------------------- evaluate
    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def plots(self) -> Path:
        return self.reports / "plots"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics.json"

    @property
    def grid_csv(self) -> Path:
        return self.reports / "grid.csv"

    @property
    def report_md(self) -> Path:
        return self.reports / "report.md"

    @property
    def curve_report(self) -> Path:
        """Accuracy vs labeled train size: points, crossovers, TF-IDF comparisons."""
        return self.reports / "curve.json"

    # ------------------------------------------------------------- answer
    @property
    def answer_json(self) -> Path:
        """The decision page's numbers: every figure of answer.md comes from here."""
        return self.reports / "answer.json"

    @property
    def answer_md(self) -> Path:
        return self.reports / "answer.md"

    @property
    def answer_plot(self) -> Path:
        return self.plots / "answer.png"

    # ------------------------------------------------- tracking, scheduler
    @property
    def mlruns(self) -> Path:
        return self.root / "mlruns"

    @property
    def mlflow_db(self) -> Path:
        return self.mlruns / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.mlruns / "artifacts"

    def store_record(self, stage: str) -> Path:
        """What ``stage`` left in the MLflow store (its runs, the registered champion):
        an output of the stage in dvc.yaml, inside the store's folder, which git does
        not track (``tracking.record_in_store``)."""
        return self.mlruns / "stages" / f"{stage}.json"

    @property
    def schedule_state(self) -> Path:
        return self.root / ".dvc" / "tmp" / "embedlab-schedule.json"

    @property
    def stage_error(self) -> Path:
        """Where a stage run by the scheduler records its failure."""
        return self.root / ".dvc" / "tmp" / "embedlab-stage-error.json"


@dataclass(frozen=True)
class CellFiles:
    """The files in a cell's folder (``Layout.cell_dir``); its MLflow artifacts keep these names."""

    model: str = "model.keras"
    predictions: str = "predictions.npz"     # val/test probabilities and labels, drift rows
    history: str = "history.json"
    learning_curves: str = "learning_curves.png"
    confusion: str = "confusion_matrix.png"
    drift: str = "drift.json"                # cells whose vectors move


CELL = CellFiles()


# The figures of the evaluate stage: key -> (file name, title). dvc.yaml lists them.
EVALUATE_PLOTS = {
    "accuracy": ("accuracy.png", "test accuracy by strategy (mean ± std over seeds and architectures)"),
    "heatmap": ("heatmap.png", "strategy × architecture"),
    "seed_bars": ("seed_bars.png", "spread across seeds"),
    "learning_curves": ("learning_curves.png", "learning curves"),
    "drift": ("drift.png", "embedding drift"),
    "size_curve": ("size_curve.png", "accuracy vs labeled train size"),
}
