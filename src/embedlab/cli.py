"""The ``embedlab`` command line (Typer)."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from embedlab import fileio, tracking
from embedlab.config import DEFAULT_PARAMS, AnswerParams
from embedlab.dvcdeps import DVC_YAML, sync
from embedlab.errors import EmbedlabError
from embedlab.layout import Layout
from embedlab.runtime import configure_env
from embedlab.teach.explain import explain as run_explain
from embedlab.teach.view import render

# Modules that load pandas (registry, formats) are imported by the command that
# needs them: `embedlab --help` stays quick.

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="embedlab: which embedding strategy should a Keras review classifier use?")

DEFAULT_MODEL = "models:/review-sentiment@champion"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _user_errors(command):
    """A user error raised anywhere in a command: its message and exit code 2, no traceback."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EmbedlabError as exc:
            _fail(str(exc))
    return run


@app.command()
@_user_errors
def predict(
    texts: Annotated[Optional[list[str]], typer.Argument(help="review texts to score")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="CSV/TSV/Parquet/JSONL file of reviews")] = None,
    column: Annotated[str, typer.Option(help="text column in --file")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="write results here (CSV) instead of printing")] = None,
    model_uri: Annotated[str, typer.Option(help="MLflow model URI")] = DEFAULT_MODEL,
) -> None:
    """Score reviews with the registered champion (raw text in, probability and label out)."""
    configure_env()
    import pandas as pd

    from embedlab.evaluate import registry
    from embedlab.formats import read_column

    if not texts and file is None:
        _fail("give review texts as arguments or --file FILE")
    batch = pd.DataFrame({"text": read_column(file, column) if file is not None else list(texts or [])})
    out = pd.concat([batch, registry.load_model(model_uri).predict(batch)], axis=1)
    if output:
        fileio.write_text(output, out.to_csv(index=False))
        typer.echo(f"wrote {len(out)} predictions to {output}")
        return
    from rich.console import Console
    from rich.table import Table

    # The column names of --output's CSV and of the model's predict, one name each.
    table = Table(*out.columns)
    for row in out.itertuples(index=False):
        text = "" if pd.isna(row.text) else str(row.text)
        text = text if len(text) <= 70 else text[:67] + "..."
        table.add_row(text, f"{row.probability:.3f}", row.label, str(row.known_tokens))
    Console().print(table)


@app.command()
@_user_errors
def ui(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 5000,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="open a browser tab")] = False,
) -> None:
    """Open the MLflow UI on the project store, bound to 127.0.0.1."""
    configure_env()
    # Also gives an experiment made before embedlab set its kind and runs view both.
    uri, experiment_id = tracking.setup()
    artifacts = Layout(Path.cwd()).mlflow_artifacts.as_uri()
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", uri, "--default-artifact-root", artifacts, "--workers", "1"]
    runs = tracking.runs_page(f"http://127.0.0.1:{port}", experiment_id)
    typer.echo(f"MLflow UI on http://127.0.0.1:{port} (store {uri}); Ctrl-C stops it\n"
               f"The grid's runs, metrics side by side: {runs}")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(8.0, webbrowser.open, args=(runs,)).start()
    raise typer.Exit(_run_server(cmd))


def _run_server(cmd: list[str]) -> int:
    """Run the server in its own process group and take the whole group down when
    this process is stopped (Ctrl-C or SIGTERM): `mlflow server` starts uvicorn
    and job-runner children that would otherwise outlive it."""
    proc = subprocess.Popen(cmd, env=os.environ.copy(), start_new_session=True)

    def stop(*_):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    previous = signal.signal(signal.SIGTERM, lambda *a: stop())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop()
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
@_user_errors
def explain(
    as_json: Annotated[bool, typer.Option("--json", help="print the numbers as JSON (for tools)")] = False,
) -> None:
    """Walk through what backprop does to an Embedding and what Word2Vec adds, every claim checked."""
    configure_env()
    result = run_explain()
    if as_json:
        import json

        typer.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        render(result)
    if not result.passed:
        raise typer.Exit(1)


@app.command()
@_user_errors
def schedule(
    params: Annotated[Path, typer.Option(help="params file; its schedule.cron is the cron")] = Path("params.yaml"),
    name: Annotated[str, typer.Option(help="deployment name: retrain/<name>")] = "embedlab",
    once: Annotated[bool, typer.Option("--once", help="run the retrain flow once now instead of serving")] = False,
) -> None:
    """Serve the scheduled retraining deployment (cron from params.yaml) until Ctrl-C."""
    # The flow lives in flows/ (Prefect stays out of embedlab), a sibling package
    # importable from the project root: run it as a module there.
    cmd = [sys.executable, "-m", "flows.schedule", "--params", str(params), "--name", name]
    code = subprocess.run(cmd + (["--once"] if once else [])).returncode
    if code:
        raise typer.Exit(code)


@app.command()
@_user_errors
def deps(
    params: Annotated[Path, typer.Option(help="params file naming the input files")] = Path("params.yaml"),
) -> None:
    """Add the files params.yaml names (data.source, extra corpus, vectors files) to dvc.yaml's deps."""
    added = sync(params.resolve().parent, params)
    for stage, files in added.items():
        typer.echo(f"{stage}: added {', '.join(files)}")
    typer.echo("dvc.yaml lists every input file already" if not added else
               "dvc.yaml updated: DVC now re-runs these stages when the files change")


def parse_sizes(text: str) -> list:
    """``100,300,all`` -> [100, 300, "all"]: each a positive count or ``all``, none repeated."""
    from embedlab.config import ALL_TRAIN

    sizes: list = []
    for part in (p.strip() for p in text.split(",")):
        if part == ALL_TRAIN:
            sizes.append(part)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise EmbedlabError(f"--sizes: {part!r} is neither a count of labeled reviews nor "
                                f"{ALL_TRAIN!r} (e.g. --sizes 100,300,{ALL_TRAIN})")
    if len(set(sizes)) != len(sizes):
        raise EmbedlabError(f"--sizes: {text!r} lists a size twice")
    return sizes


def experiment_overrides(sizes: list | None, source: str | None, tune: int | None,
                         preset: AnswerParams | None = None) -> list[str]:
    """The `dvc exp run -S` arguments for the answer's options (values in DVC's override
    syntax); with ``preset`` (params.yaml: answer) its grid too."""
    out = []
    if source is not None:
        out.append("data.source=" + json.dumps(source))   # quoted: a path may hold spaces or colons
    if sizes is not None:
        out.append("grid.train_sizes=[" + ",".join(map(str, sizes)) + "]")
    if preset is not None:
        out += [f"grid.strategies=[{','.join(preset.strategies)}]",
                f"grid.architectures=[{','.join(preset.architectures)}]",
                f"grid.seeds=[{','.join(map(str, preset.seeds))}]"]
        tune = preset.tune_trials if tune is None else tune
    if tune is not None:
        out.append(f"train.tune_trials={tune}")
    return [a for o in out for a in ("-S", o)]


def _source_deps(source: str, params: Path) -> None:
    """A file source is a DVC dep of prepare (`embedlab deps`): add it before the
    experiment runs, checked as the prepare stage would check it."""
    import tempfile

    import yaml

    from embedlab.config import read_yaml

    raw = read_yaml(params)
    raw.setdefault("data", {})["source"] = source
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / params.name
        trial.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        sync(params.resolve().parent, trial)


def _dvc(*args: str) -> None:
    code = subprocess.run([sys.executable, "-m", "dvc", *args]).returncode
    if code:
        raise EmbedlabError(f"`dvc {' '.join(args)}` failed (exit {code}); its messages are above.")


@app.command()
@_user_errors
def answer(
    sizes: Annotated[Optional[str], typer.Option(help="labeled sizes, e.g. 100,300,all (grid.train_sizes)")] = None,
    source: Annotated[Optional[str], typer.Option(help="your reviews: a file, glob or embedded:<name> (data.source)")] = None,
    tune: Annotated[Optional[int], typer.Option(min=0, help="tuning trials per cell (train.tune_trials)")] = None,
) -> None:
    """The decision page: which strategy and architecture to use at each labeled size.

    No option: `dvc repro answer` on params.yaml as it is. With options: a DVC
    experiment at those values and the grid of params.yaml's `answer` section
    (strategies, architectures, seeds, tuning trials; `dvc exp run -S ...`, `dvc exp
    show` lists it), whose params and page stay in the workspace."""
    from embedlab.answer import page

    chosen = parse_sizes(sizes) if sizes is not None else None
    layout = Layout(Path.cwd())
    if not (layout.root / DVC_YAML).exists():
        raise EmbedlabError(f"{DVC_YAML} not found here: run `embedlab answer` from the project root.")
    if source is not None:
        _source_deps(source, layout.root / DEFAULT_PARAMS)
    from embedlab.config import load_answer

    preset = load_answer(layout.root / DEFAULT_PARAMS)
    asked = (chosen, source, tune) != (None, None, None)
    overrides = experiment_overrides(chosen, source, tune, preset) if asked else []
    if overrides:
        _dvc("exp", "run", *overrides, "answer")
    else:
        _dvc("repro", "answer")
    # The tracked page states each cell's work; here, the seconds this machine measured.
    from embedlab.answer import stage

    timed = stage.analyse(preset, layout, timings=True)
    typer.echo("\n".join(page.decision_table(timed)))
    typer.echo(f"\nThe whole page: {layout.answer_md.relative_to(layout.root)}")


def main() -> None:
    try:
        app()
    except EmbedlabError as exc:
        # Outside the Typer app a typer.Exit would surface as a traceback.
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
