"""Which data a training run saw, as an MLflow dataset (``mlflow.data``).

Usage in a training run::

    mlflow.log_input(dataset_for_mlflow("data/prepared"), context="training")

The digest is the sha256 of the prepared splits and vocabulary that ``prepare``
wrote (kept in ``data/prepared/manifest.json``), so two runs share a digest
exactly when they trained on the same bytes. The name carries the raw source
(``embedded:amazon-fine-foods`` or the user's path / glob).
"""

from __future__ import annotations

import json
from pathlib import Path

from embedlab.errors import DataError

SPLITS = ("train", "val", "test")


def dataset_for_mlflow(path: Path | str = "data/prepared", name: str | None = None):
    """An ``mlflow.data`` dataset for the prepared data folder ``path``."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.types import ColSpec, Schema

    from embedlab import io

    path = Path(path)
    manifest_path = path / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        digest, source = manifest["digest"], manifest["source"]
    else:
        files = [path / f"{s}.parquet" for s in SPLITS] + [path / "vocab.json"]
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise DataError(f"{path}: prepared data not found ({', '.join(missing)} missing). "
                            "Run the prepare stage first: dvc repro prepare")
        digest, source = io.file_digest(*files), "unknown"
    schema = Schema([ColSpec("string", "text"), ColSpec("integer", "label"),
                     ColSpec("integer", "n_tokens")])
    return MetaDataset(
        source=LocalArtifactDatasetSource(str(path.resolve())),
        name=name or f"reviews ({source})",
        digest=digest[:16],
        schema=schema,
    )
