"""The house holds together: dvc.yaml names every module a stage runs and every
path the layout says a stage writes; params.yaml and config.py agree on every
default; MLflow is imported only where tracking and the registry live."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from embedlab.config import Params, load_params
from embedlab.layout import EVALUATE_PLOTS, Layout

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"embedlab": ROOT / "src" / "embedlab", "embedlab_serving": ROOT / "src" / "embedlab_serving",
            "flows": ROOT / "flows"}


def _module_file(name: str) -> Path | None:
    top, *rest = name.split(".")
    if top not in PACKAGES:
        return None
    base = PACKAGES[top].joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every project module ``path`` imports, at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import module`
    return {n for n in out if _module_file(n) is not None}


def import_closure(module: str) -> set[Path]:
    todo, seen = [module], set()
    while todo:
        path = _module_file(todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        todo += _imports(path)
        if path.name != "__init__.py" and (path.parent / "__init__.py").exists():
            seen.add(path.parent / "__init__.py")
    return seen


def _stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _dep_covers(deps: list[str], path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps)


def test_every_module_a_stage_imports_is_a_dependency_of_that_stage():
    missing = {}
    for name, stage in _stages().items():
        module = stage["cmd"].split("-m ", 1)[1].split()[0]
        deps = [d for d in stage["deps"]]
        lacking = sorted(p.relative_to(ROOT).as_posix() for p in import_closure(module)
                         if p.name != "__init__.py" and not _dep_covers(deps, p))
        if lacking:
            missing[name] = lacking
    assert not missing, f"dvc.yaml: add these to the stages' deps: {missing}"


def test_no_stage_depends_on_a_module_it_does_not_run():
    extra = {}
    for name, stage in _stages().items():
        module = stage["cmd"].split("-m ", 1)[1].split()[0]
        used = {p.relative_to(ROOT).as_posix() for p in import_closure(module)}
        code = [d for d in stage["deps"] if d.endswith(".py")]
        if unused := sorted(set(code) - used):
            extra[name] = unused
    assert not extra, f"dvc.yaml: these deps are code the stage never imports: {extra}"


def _outputs(stage: dict) -> set[str]:
    out = set()
    for key in ("outs", "metrics", "plots"):
        for entry in stage.get(key, []):
            out.add(next(iter(entry)) if isinstance(entry, dict) else entry)
    return out


def test_dvc_outputs_are_the_layout_paths():
    lay = Layout(Path("."))
    expected = {
        "prepare": {lay.prepared, lay.data_report, lay.lengths_plot},
        "embeddings": {lay.embeddings, lay.embeddings_report, lay.probes_report},
        "train": {lay.models, lay.train_report},
        "evaluate": {lay.metrics, lay.grid_csv, lay.report_md, lay.curve_report,
                     *(lay.plots / f for f, _ in EVALUATE_PLOTS.values())},
    }
    stages = _stages()
    for name, paths in expected.items():
        assert _outputs(stages[name]) == {p.as_posix() for p in paths}, name


def test_params_yaml_holds_exactly_the_code_defaults():
    """One source of defaults: config.py; params.yaml must say the same."""
    assert load_params(ROOT / "params.yaml").model_dump() == Params().model_dump()


def test_mlflow_is_imported_only_by_tracking_and_registry():
    allowed = {"src/embedlab/tracking.py", "src/embedlab/registry.py", "src/embedlab_serving/model.py"}
    users = set()
    for top in PACKAGES.values():
        for path in top.rglob("*.py"):
            mods = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    mods |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    mods.add(node.module)
            if any(m == "mlflow" or m.startswith("mlflow.") for m in mods):
                users.add(path.relative_to(ROOT).as_posix())
    assert users <= allowed, f"MLflow imported outside tracking/registry: {sorted(users - allowed)}"
