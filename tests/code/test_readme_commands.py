"""Every shell command README.md shows is exercised by a test, or exempt for a
stated reason: the commands are parsed from the README's fenced shell blocks, so a
command added later fails here until a test covers it (COVERED) or EXEMPT says why.

The `dvc exp run -S` examples (README, in its blocks and inline, and params.yaml's
comments) run here for real: DVC rewrites a scratch copy of this project's
params.yaml with its own round-trip dumper, reads it back to run a cheap stage,
and that stage loads the rewritten file with embedlab.config. A flow mapping whose
quoted value holds a colon (`{source: "embedded:glove-6b-50d"}`) once broke every
`-S` this way: DVC's rewrite drops the quotes, then its own loader refuses the file."""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.scaffold import new_project, stage_env

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
SHELL = {"bash", "sh", "shell", "console"}
HERE = "tests/code/test_readme_commands.py"
CI = ".ci/run"

# README command -> (where it runs: a test as path::function, or .ci/run; a string that
# test's source must hold, so the reference cannot silently drift off the command).
COVERED = {
    "python3.11 dev.py repro": (CI, "python3.11 dev.py repro"),
    "python3.11 dev.py test": (CI, "python3.11 dev.py test"),
    "embedlab answer --source reviews.csv --sizes 100,300,all": (
        "tests/integration/test_answer_command.py::test_answer_on_a_csv_from_the_committed_params", "--source"),
    "embedlab ui": ("tests/integration/test_ui.py::test_ui_shows_the_grid_runs_and_the_champion", '"ui"'),
    'embedlab predict "Great coffee, will buy again!" "Stale and bland."': (
        "tests/integration/test_predict_cli.py::test_scores_the_readme_reviews_with_the_champion",
        "Great coffee, will buy again!"),
    "MLFLOW_TRACKING_URI=sqlite:///mlruns/mlflow.db mlflow models serve -m models:/review-sentiment@champion "
    "--env-manager local --host 127.0.0.1 --port 5001": (
        "tests/integration/test_serving.py::test_served_champion_answers_every_text",
        "models:/review-sentiment@champion"),
    "prefect server start --host 127.0.0.1 --port 4200": (
        "tests/integration/test_schedule_server.py::test_served_deployment_runs_pipeline_on_real_prefect_server",
        '"server", "start"'),
    "export PREFECT_API_URL=http://127.0.0.1:4200/api": (
        "tests/integration/test_schedule_server.py::test_served_deployment_runs_pipeline_on_real_prefect_server",
        '"PREFECT_API_URL": api'),
    "embedlab schedule": (
        "tests/unit/test_schedule_unit.py::test_schedule_command_refuses_a_bad_cron_before_serving", '"schedule"'),
    "embedlab explain": ("tests/unit/test_explain.py::test_cli_explain_prints_the_walkthrough", '["explain"]'),
    "embedlab explain --json": (
        "tests/unit/test_explain.py::test_cli_explain_json_is_complete_and_deterministic", '"--json"'),
    "python -m docgen embedding-math": (
        "tests/unit/test_docs_math.py::test_the_command_writes_the_page", '"embedding-math"'),
}
# Every `dvc exp run` command runs in this file (test_every_S_example_survives_dvcs_params_rewrite).
RUN_HERE = "dvc exp run "

# README command -> why no test runs it.
EXEMPT = {
    "git clone <this repo> embedlab && cd embedlab":
        "the clean checkout itself: .ci/run starts in one",
    "source .venv/bin/activate":
        "a shell builtin reading venv's own script; dev.py makes the venv with `python -m venv`",
    "embedlab ui --open":
        "opens a tab in the user's desktop browser, which CI has none of; the server it opens is "
        "`embedlab ui`'s, tested",
}


# ------------------------------------------------------------------ parsing
def _strip_comment(line: str) -> str:
    """``line`` up to a shell comment: a # at a word start outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def readme_commands(markdown: str) -> list[str]:
    """Each command line of the fenced shell blocks: continuations joined, comments
    dropped, runs of spaces as one."""
    out = []
    for lang, body in FENCE.findall(markdown):
        if lang in SHELL:
            for line in re.sub(r"\\\n", " ", body).splitlines():
                if command := " ".join(_strip_comment(line).split()):
                    out.append(command)
    return out


def uncovered(commands: list[str]) -> list[str]:
    return [c for c in commands if c not in COVERED and c not in EXEMPT and not c.startswith(RUN_HERE)]


def override_examples(markdown: str, params_text: str) -> list[tuple[str, ...]]:
    """The `-S key=value` arguments of each example, in the README's blocks and inline
    code and in params.yaml's comments, each set once."""
    texts = [c for c in readme_commands(markdown) if c.startswith(RUN_HERE)]
    texts += re.findall(r"`([^`\n]*-S [^`\n]*)`", FENCE.sub("", markdown))
    texts += re.findall(r"#.*?(dvc exp run .*)$", params_text, re.M)
    examples = []
    for text in texts:
        words = shlex.split(text)
        pairs = tuple(words[i + 1] for i, w in enumerate(words) if w == "-S")
        if pairs and pairs not in examples:
            examples.append(pairs)
    return examples


def _test_source(ref: str) -> str | None:
    path, _, name = ref.partition("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment((ROOT / path).read_text(encoding="utf-8"), node)
    return None


# --------------------------------------------------------------- coverage
def test_every_readme_command_is_tested_or_exempt():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 15, commands   # the parser still finds the README's blocks
    missing = uncovered(commands)
    assert not missing, (f"README.md shows {missing}: exercise each in a test and add it to COVERED "
                         f"in {HERE}, or to EXEMPT with the reason no test can run it")
    stale = sorted((set(COVERED) | set(EXEMPT)) - set(commands))
    assert not stale, f"{HERE} lists {stale}, which README.md no longer shows: drop them"
    assert not set(COVERED) & set(EXEMPT)


@pytest.mark.parametrize("command", sorted(COVERED))
def test_each_covering_test_runs_its_command(command):
    ref, needle = COVERED[command]
    if ref == CI:
        lines = [" ".join(_strip_comment(ln).split()) for ln in (ROOT / CI).read_text().splitlines()]
        assert any(ln.removeprefix("exec ") == command for ln in lines), f"{CI} does not run {command!r}"
        return
    source = _test_source(ref)
    assert source is not None, f"{ref} (covering {command!r}) does not exist"
    assert needle in source, f"{ref} no longer holds {needle!r}: does it still run {command!r}?"


def test_a_new_readme_command_or_a_changed_one_is_caught():
    added = README.read_text(encoding="utf-8") + "\n```bash\nembedlab frobnicate --all   # new\n```\n"
    assert uncovered(readme_commands(added)) == ["embedlab frobnicate --all"]
    assert readme_commands("```sh\nexport A=1 \\\n  b 'c # d'  # note\n```\n") == ["export A=1 b 'c # d'"]
    assert readme_commands("```yaml\na: 1\n```\n```python\nprint(1)\n```\n") == []


# ------------------------------------------------------- `dvc exp run -S`
def _dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, env=stage_env(repo),
                          capture_output=True, text=True, timeout=300)


# A stage that does nothing but load params.yaml with embedlab.config: DVC reads the
# file (the stage's params are every section) before it runs it.
LOAD = ("import json; from embedlab.config import load_params; "
        "open('loaded.json', 'w').write(json.dumps(load_params('params.yaml').model_dump(mode='json')))")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A git + DVC copy of this project's pipeline and params.yaml, plus the loading stage."""
    repo = new_project(tmp_path_factory.mktemp("readme") / "proj", "", ROOT)
    _add_loading_stage(repo)
    return repo


def _add_loading_stage(repo: Path) -> None:
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    sections = list(yaml.safe_load((repo / "params.yaml").read_text()))
    pipeline["stages"]["load_params"] = {"cmd": f'python -c "{LOAD}"', "params": sections,
                                         "outs": [{"loaded.json": {"cache": False}}]}
    (repo / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    subprocess.run(["git", "commit", "-qam", "load_params stage"], cwd=repo, check=True,
                   capture_output=True)


def _nested(tree: dict, dotted: str):
    for key in dotted.split("."):
        tree = tree[key]
    return tree


def run_overrides(repo: Path, pairs: tuple[str, ...]) -> dict:
    """`dvc exp run -S ...` the loading stage; returns what embedlab.config loaded from
    the file DVC rewrote. The workspace goes back to the committed params after."""
    try:
        done = _dvc(repo, "exp", "run", *(a for p in pairs for a in ("-S", p)), "load_params")
        assert done.returncode == 0, (f"dvc exp run -S {' -S '.join(pairs)}: "
                                      f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["load_params"]["params"]
        loaded = json.loads((repo / "loaded.json").read_text())
        for pair in pairs:
            key, _, value = pair.partition("=")
            want = yaml.safe_load(value)
            assert _nested(lock["params.yaml"], key) == want, f"DVC read {key} back as something else"
            assert _nested(loaded, key) == want, f"embedlab.config read {key} back as something else"
        return loaded
    finally:
        subprocess.run(["git", "checkout", "-q", "--", "params.yaml"], cwd=repo, check=True)


def test_the_examples_are_found():
    examples = override_examples(README.read_text(encoding="utf-8"), (ROOT / "params.yaml").read_text())
    assert ("data.source=embedded:imdb-50k",) in examples and ("grid.seeds=[1,2]",) in examples
    assert ("runner.kind=dask", "runner.workers=2") in examples


@pytest.mark.parametrize("pairs", override_examples(README.read_text(encoding="utf-8"),
                                                    (ROOT / "params.yaml").read_text()),
                         ids=lambda pairs: " ".join(pairs))
def test_every_S_example_survives_dvcs_params_rewrite(scratch, pairs):
    run_overrides(scratch, pairs)


def test_a_flow_mapping_with_a_quoted_colon_fails_the_rewrite(tmp_path):
    """The check can fail: DVC's rewrite drops the quotes of a flow mapping's value
    holding a colon, and DVC then cannot read its own output (params.yaml before the fix)."""
    repo = new_project(tmp_path / "proj", "", ROOT)
    (repo / "params.yaml").write_text('data: {source: "embedded:amazon-fine-foods"}\ngrid: {seeds: [1]}\n')
    _add_loading_stage(repo)
    with pytest.raises(AssertionError, match="unable to read: 'params.yaml'"):
        run_overrides(repo, ("grid.seeds=[1,2]",))


# ------------------------------------------------------- the pipeline picture
def test_the_pipeline_picture_lists_each_stage_its_params_and_a_row():
    """README's 'What the pipeline does': the params each stage reads are dvc.yaml's,
    and the stage table has one row per stage."""
    text = README.read_text(encoding="utf-8")
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    picture = text[text.index("params.yaml ──►"):text.index("raw reviews ─►")]
    said = {stage: [p.strip() for p in params.split(",")]
            for stage, params in re.findall(r"(\w+): ([\w., ]+?)(?: ·|\n)", picture)}
    assert said == {name: stage["params"] for name, stage in stages.items()}
    table = text[text.index("| stage | writes | DVC |"):].split("\n\n")[0]
    rows = re.findall(r"^\| (\w+) \| `", table, re.M)
    assert rows == list(stages)
