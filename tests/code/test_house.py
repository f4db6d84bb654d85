"""The house holds together: dvc.yaml names every module a stage runs and every
path the layout says a stage writes; params.yaml and config.py agree on every
default; MLflow is imported only where tracking and the registry live."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import yaml

from embedlab.config import Params, load_params
from embedlab.layout import CELL, EVALUATE_PLOTS, SPLITS, Layout

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


def _all_imports(path: Path) -> set[str]:
    """Every module name ``path`` imports (any library), at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import module`
    return out


def _imports(path: Path) -> set[str]:
    """Every project module ``path`` imports."""
    return {n for n in _all_imports(path) if _module_file(n) is not None}


def _project_files() -> list[Path]:
    return sorted(p for top in PACKAGES.values() for p in top.rglob("*.py"))


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


def test_a_strategy_or_architecture_edit_leaves_prepare_and_embeddings_up_to_date():
    """The registries the grid reads are no code of the stages before it (the schema
    holds plain names), so `dvc status` after editing one lists train and evaluate only."""
    registries = {"src/embedlab/strategies.py", "src/embedlab/train/architectures.py"}
    for name in ("prepare", "embeddings"):
        stage = _stages()[name]
        module = stage["cmd"].split("-m ", 1)[1].split()[0]
        ran = {p.relative_to(ROOT).as_posix() for p in import_closure(module)}
        assert not registries & (ran | set(stage["deps"])), f"{name} runs or depends on {registries & ran}"


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
        "train": {lay.models, lay.train_report, lay.store_record("train")},
        "evaluate": {lay.metrics, lay.grid_csv, lay.report_md, lay.curve_report, lay.store_record("evaluate"),
                     *(lay.plots / f for f, _ in EVALUATE_PLOTS.values())},
        "answer": {lay.answer_json, lay.answer_md, lay.answer_plot, lay.store_record("answer")},
    }
    stages = _stages()
    for name, paths in expected.items():
        assert _outputs(stages[name]) == {p.as_posix() for p in paths}, name


def test_params_yaml_holds_exactly_the_code_defaults():
    """One source of defaults: config.py; params.yaml must say the same."""
    assert load_params(ROOT / "params.yaml").model_dump() == Params().model_dump()


def test_mlflow_is_imported_only_by_tracking_and_registry():
    allowed = {"src/embedlab/tracking.py", "src/embedlab/evaluate/registry.py", "src/embedlab_serving/model.py"}
    users = {path.relative_to(ROOT).as_posix() for path in _project_files()
             if any(m == "mlflow" or m.startswith("mlflow.") for m in _all_imports(path))}
    assert users <= allowed, f"MLflow imported outside tracking/registry: {sorted(users - allowed)}"


# ------------------------------------------------------------------ layering
def test_embedlab_does_not_import_prefect():
    """Prefect lives in flows/: the library runs without it (docs/architecture.md)."""
    users = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "src" / "embedlab").rglob("*.py")
                   if any(m == "prefect" or m.startswith("prefect.") for m in _all_imports(p)))
    assert not users, f"prefect imported under src/embedlab: {users}"


def test_no_import_cycle_among_project_modules():
    """Type-hint-only imports count too: a cycle is a cycle to the reader."""
    graph = {p: {f for f in map(_module_file, _imports(p)) if f and f.name != "__init__.py" and f != p}
             for p in _project_files() if p.name != "__init__.py"}
    state: dict[Path, int] = {}  # 1: on the current path, 2: done

    def visit(node: Path, path: list[Path]) -> list[Path] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            raise AssertionError("import cycle: " + " -> ".join(p.relative_to(ROOT).as_posix() for p in cycle))


def test_a_stage_folder_holds_the_code_only_that_stage_runs():
    """src/embedlab/<stage>/ is code of that stage alone; code of two stages or of none
    sits at the top (docs/architecture.md draws the folder as the pipeline)."""
    top = ROOT / "src" / "embedlab"
    runs = {}  # module file -> the stages whose imports reach it
    for name, stage in _stages().items():
        for path in import_closure(stage["cmd"].split("-m ", 1)[1].split()[0]):
            if path.is_relative_to(top) and path.name != "__init__.py":
                runs.setdefault(path.relative_to(top), set()).add(name)
    wrong = {}
    for path in (p.relative_to(top) for p in top.rglob("*.py") if p.name != "__init__.py"):
        folder, stages = path.parts[0] if len(path.parts) > 1 else None, runs.get(path, set())
        if folder in _stages() and stages != {folder}:
            wrong[path.as_posix()] = f"run by {sorted(stages)}, not by {folder} alone"
        elif folder is None and len(stages) == 1:
            wrong[path.as_posix()] = f"run by {next(iter(stages))} alone: move it into that stage's folder"
    assert not wrong, wrong


def test_the_pipeline_never_imports_teach():
    for name, stage in _stages().items():
        module = stage["cmd"].split("-m ", 1)[1].split()[0]
        teach = sorted(p.relative_to(ROOT).as_posix() for p in import_closure(module)
                       if "teach" in p.relative_to(ROOT).parts)
        assert not teach, f"stage {name} imports {teach}"


# ------------------------------------------------------------------ one name, one place
def _schema_gaps(model: type, raw: dict, where: str) -> list[str]:
    """Keys of ``raw`` the model lacks and fields of the model ``raw`` lacks, nested
    models followed (a dict of entries such as embeddings.variants is the user's)."""
    import typing

    from pydantic import BaseModel

    gaps = [f"{where}{k}: not in config.py" for k in raw if k not in model.model_fields]
    gaps += [f"{where}{k}: not in params.yaml" for k in model.model_fields if k not in raw]
    for key, field in model.model_fields.items():
        inner = [a for a in (typing.get_args(field.annotation) or (field.annotation,)) if a is not type(None)]
        sub = inner[0] if len(inner) == 1 else None
        if isinstance(sub, type) and issubclass(sub, BaseModel) and isinstance(raw.get(key), dict):
            gaps += _schema_gaps(sub, raw[key], f"{where}{key}.")
    return gaps


def test_every_params_yaml_key_is_in_the_schema_and_back():
    """params.yaml shows every setting the stages read, and nothing else."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert not (gaps := _schema_gaps(Params, raw, "")), gaps


def _layout_file_names() -> set[str]:
    lay = Layout(Path("."))
    paths = [getattr(lay, name) for name, v in vars(Layout).items() if isinstance(v, property)]
    paths += [lay.split(s) for s in SPLITS] + [lay.vectors("v"), lay.matrix("v")]
    names = {p.name for p in paths if p.suffix}
    names |= {getattr(CELL, f.name) for f in dataclasses.fields(CELL)}
    return names | {f for f, _ in EVALUATE_PLOTS.values()}


def test_each_file_name_is_spelled_only_in_layout():
    names = _layout_file_names()
    assert {"vocab.json", "model.keras", "predictions.npz", "metrics.json"} <= names
    spelled = {}
    for path in _project_files():
        if path.name == "layout.py":
            continue
        consts = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if found := sorted(consts & names):
            spelled[path.relative_to(ROOT).as_posix()] = found
    assert not spelled, f"file names layout.py owns, spelled elsewhere: {spelled}"
