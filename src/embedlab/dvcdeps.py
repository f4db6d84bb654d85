"""The user's files as DVC dependencies.

DVC decides whether a stage is stale from the ``deps`` in ``dvc.yaml``, and it
cannot take a list of files from ``params.yaml``. So the files a stage reads
because params name them — ``data.source`` for ``prepare``, every
``embeddings.extra_corpus`` entry and external vectors file for ``embeddings`` —
are written into
``dvc.yaml`` by ``embedlab deps``, and each stage refuses to start while one of
them is missing there (DVC would not re-run it when that file changes).
"""

from __future__ import annotations

from pathlib import Path

from embedlab import sources
from embedlab.config import load_params
from embedlab.errors import DataError
from embedlab.fileio import atomic_path
from embedlab.input_files import resolve_sources

DVC_YAML = "dvc.yaml"


def user_files(stage: str, params, root: Path) -> list[str]:
    """The files ``stage`` reads because params name them, relative to ``root``."""
    if stage == "prepare":
        source = params.data.source
        found = [] if sources.is_embedded(source) else resolve_sources(source, root)
    elif stage == "embeddings":
        found = [p for i, e in enumerate(params.extra_corpus)
                 for p in resolve_sources(e.path, root, f"embeddings.extra_corpus[{i}].path")]
        found += [root / v.path for v in params.variants.values() if v.kind == "file"]
    else:
        found = []
    return sorted({_relative(p, root) for p in found})


def _relative(path: Path, root: Path) -> str:
    path = Path(path).resolve()
    return path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else str(path)


def _deps(root: Path, stage: str) -> list[str] | None:
    import yaml

    dvc_yaml = root / DVC_YAML
    if not dvc_yaml.exists():
        return None
    stages = (yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}).get("stages", {})
    return [str(d) for d in (stages.get(stage) or {}).get("deps", [])]


def check(stage: str, files: list[str], root: Path = Path(".")) -> None:
    """A clear error when ``dvc.yaml`` does not list the stage's input files."""
    deps = _deps(root, stage)
    if deps is None:
        return  # not run inside a DVC project: nothing to keep in step
    missing = [f for f in files if f not in deps]
    if missing:
        raise DataError(f"{DVC_YAML}: stage {stage} reads {', '.join(missing)}, which is not among "
                        f"its deps, so `dvc repro` would not re-run the stage when it changes. Run "
                        f"`embedlab deps` to add it (or list it under stages.{stage}.deps).")


def sync(root: Path, params_path: Path) -> dict[str, list[str]]:
    """Add every missing input file to its stage's deps in ``dvc.yaml`` (formatting kept)."""
    from ruamel.yaml import YAML

    params = load_params(params_path)
    yaml = YAML()
    yaml.preserve_quotes = True
    doc = yaml.load((root / DVC_YAML).read_text(encoding="utf-8"))
    added = {}
    for stage, section in (("prepare", params), ("embeddings", params.embeddings)):
        deps = doc["stages"][stage].setdefault("deps", [])
        new = [f for f in user_files(stage, section, root) if f not in deps]
        deps.extend(new)
        if new:
            added[stage] = new
    if added:
        with atomic_path(root / DVC_YAML) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            yaml.dump(doc, fh)
    return added
