"""MLflow tracking: the one module (with ``registry``) that talks to MLflow.

Default store: ``sqlite:///mlruns/mlflow.db`` with artifacts in ``mlruns/artifacts``
(MLflow 3 refuses the old ``./mlruns`` file store, and the sqlite backend keeps
the model registry working). ``MLFLOW_TRACKING_URI`` points everything at a
shared server instead. Nothing here runs at import time.

Runs are found by fingerprint (the tag ``embedlab.fingerprint``):
:func:`reuse_or_run` reuses a FINISHED run with the cell's fingerprint,
retires (deletes) RUNNING/FAILED/KILLED ones, and otherwise records a new run,
so a cell never has two runs however often a grid is killed and resumed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from embedlab import fileio
from embedlab.errors import EmbedlabError
from embedlab.fileio import alive
from embedlab.layout import Layout

EXPERIMENT = "embedlab"
FINGERPRINT_TAG = "embedlab.fingerprint"
CELL_TAG = "embedlab.cell"
KIND_TAG = "embedlab.kind"
WORKER_TAG = "embedlab.worker"   # host:pid of the process that created (or resumed) the run
DASK_WORKER_TAG = "embedlab.dask_worker"  # the Dask worker's name, when a cluster ran the run
UNFINISHED = ("RUNNING", "FAILED", "KILLED", "SCHEDULED")
_BATCH = 900  # MLflow's log_batch takes at most 1000 metrics

T = TypeVar("T")

# How MLflow 3's UI shows the experiment. The kind says it holds model training
# (not GenAI traces); the saved runs-table view (the UI's "Views" menu, opened by
# `embedlab ui`) lists the cells flat, best test accuracy first, with the metrics
# the report compares as columns. MLflow's defaults show no metric at all.
EXPERIMENT_KIND_TAG, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"
RUNS_VIEW_ID, RUNS_VIEW_NAME = "embedlab", "embedlab: compare cells"
COMPARED_METRICS = ("test_accuracy", "test_f1_macro", "test_roc_auc", "best_val_accuracy",
                    "train_seconds")


# ---------------------------------------------------------------- store
def default_uri(root: Path | None = None) -> str:
    return f"sqlite:///{Layout((root or Path.cwd()).resolve()).mlflow_db}"


def tracking_uri(root: Path | None = None) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_uri(root)


def client(uri: str | None = None):
    from mlflow import MlflowClient

    uri = uri or tracking_uri()
    return MlflowClient(uri, uri)


def setup(root: Path | None = None, experiment: str | None = None) -> tuple[str, str]:
    """Point mlflow at the project store; return (tracking uri, experiment id)."""
    import mlflow

    layout = Layout((root or Path.cwd()).resolve())
    uri = tracking_uri(layout.root)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    name = experiment or os.environ.get("EMBEDLAB_EXPERIMENT", EXPERIMENT)
    c = client(uri)
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        if uri == default_uri(layout.root):
            check_not_moved(exp.artifact_location, layout)
        for key, value in ui_tags(exp.tags).items():
            c.set_experiment_tag(exp.experiment_id, key, value)
        return uri, exp.experiment_id
    # An explicit artifact location: MLflow would otherwise pin artifacts to the
    # working directory of whichever process created the database.
    location = layout.mlflow_artifacts.as_uri() if uri.startswith("sqlite:") else None
    try:
        return uri, c.create_experiment(name, artifact_location=location, tags=ui_tags({}))
    except Exception:
        # Another process created it between our lookup and create.
        exp = c.get_experiment_by_name(name)
        if exp is None:
            raise
        return uri, exp.experiment_id


def check_not_moved(artifact_location: str, layout: Layout) -> None:
    """Refuse a project store that another folder created. MLflow records artifact
    locations as absolute paths (it resolves a relative one when it creates the
    experiment), so a moved or copied project would keep logging artifacts into the
    old folder, or point at files that are gone."""
    here = layout.mlflow_artifacts.as_uri()
    if not artifact_location.startswith("file:") or artifact_location == here:
        return
    raise EmbedlabError(
        f"{layout.mlflow_db}: this MLflow store was made in another folder: its artifacts live in "
        f"{artifact_location.removeprefix('file://')}, not in {layout.mlflow_artifacts}. MLflow keeps "
        "absolute paths, so a moved or copied project cannot reuse its store. Move the project "
        f"back, or start a fresh store here: move {layout.mlruns} away (e.g. to mlruns.old) and "
        "run `dvc repro`, which trains, evaluates and registers again into the new store.")


def record_in_store(stage: str, record: dict[str, Any], layout: Layout = Layout()) -> None:
    """Mark what ``stage`` left in the MLflow store. The file is an output of the stage
    (dvc.yaml) and lives in the store's folder, which git does not track: in a fresh
    clone, or after the store was deleted, it is missing and DVC runs the stage again,
    so the store gets its runs and the registry its champion back. Its content is the
    same on every run (no run ids or times), so dvc.lock does not change."""
    fileio.write_json(layout.store_record(stage), {"stage": stage, **record})


def page_run(name: str, fingerprint: str, files: list[Path], text: str, full: str,
             metrics: dict[str, float]) -> str:
    """A stage's page as a run of its own (kind ``name``): its files as artifacts, its
    text as the run's description, its headline numbers as metrics. Reused while the
    page is the same (``fingerprint``), so a rerun adds no twin."""
    uri, experiment_id = setup()

    def work(run: Run) -> str:
        run.log_files(files)
        run.log_metrics(metrics)
        run.set_tags({"mlflow.note.content": note(text, full)})
        return run.id

    return reuse_or_run(uri, experiment_id, fingerprint, name, {KIND_TAG: name},
                        lambda run: run.id, work)


def _view_tag() -> str:
    """A saved view as MLflow 3.17's UI stores it: an envelope around the JSON of
    the runs page's state (search facets + table state, column ids as the UI
    writes them). Deterministic, so that an unchanged view is never rewritten."""
    state = {"orderByKey": "metrics.`test_accuracy`", "orderByAsc": False,
             "selectedColumns": [f"metrics.`{m}`" for m in COMPARED_METRICS]}
    return json.dumps({"name": RUNS_VIEW_NAME, "createdAt": 0, "updatedAt": 0,
                       "state": json.dumps(state)})


def ui_tags(existing: dict[str, str]) -> dict[str, str]:
    """Experiment tags to set: the kind where none is set (a kind chosen in the UI
    stays), embedlab's runs view where it is missing or differs."""
    tags = {}
    if not existing.get(EXPERIMENT_KIND_TAG):
        tags[EXPERIMENT_KIND_TAG] = EXPERIMENT_KIND
    view_key = f"mlflow.sharedViewState.{RUNS_VIEW_ID}"
    if existing.get(view_key) != _view_tag():
        tags[view_key] = _view_tag()
    return tags


def runs_page(base_url: str, experiment_id: str) -> str:
    """The UI page of the experiment's runs in embedlab's view. workflowType: MLflow
    3.17's UI picks the experiment's landing page from it (default GenAI), not
    from the kind tag."""
    return (f"{base_url}/#/experiments/{experiment_id}/runs"
            f"?workflowType=machine_learning&viewStateShareKey={RUNS_VIEW_ID}")


def worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retire_orphans(uri: str, experiment_id: str) -> list[str]:
    """Runs left RUNNING by a process of this machine that no longer exists (a
    SIGKILL gives no chance to close them) end as KILLED, with a tag saying why.
    Runs of live processes, or of other machines, are left alone."""
    c, host, retired = client(uri), socket.gethostname(), []
    for run in c.search_runs([experiment_id], "attributes.status = 'RUNNING'", max_results=1000):
        where, _, pid = run.data.tags.get(WORKER_TAG, "").rpartition(":")
        if where == host and pid.isdigit() and not alive(int(pid)):
            c.set_tag(run.info.run_id, "embedlab.orphaned",
                      f"process {pid} ended without closing the run (killed?)")
            c.set_terminated(run.info.run_id, "KILLED")
            retired.append(run.info.run_id)
    return retired


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except Exception:
        return "unknown"


# ----------------------------------------------------------------- runs
class Run:
    """One MLflow run, by id: everything the pipeline logs goes through here."""

    def __init__(self, run_id: str, uri: str | None = None):
        self.id, self.uri, self.client = run_id, uri, client(uri)

    @property
    def metrics(self) -> dict[str, float]:
        """The run's metrics (each one's latest value), sorted by name: the same dict
        whichever store or server holds them."""
        return dict(sorted(self.client.get_run(self.id).data.metrics.items()))

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.client.get_run(self.id).data.tags)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.client.get_run(self.id).data.params)

    def log_child(self, name: str, params: dict[str, Any], metrics: dict[str, Any],
                  tags: dict[str, str]) -> str:
        """A finished one-shot run under this one (a tuning trial): same experiment,
        ``mlflow.parentRunId`` = this run. Returns its id."""
        experiment_id = self.client.get_run(self.id).info.experiment_id
        created = self.client.create_run(experiment_id, run_name=name, tags={
            "mlflow.parentRunId": self.id, WORKER_TAG: worker(), **tags})
        child = Run(created.info.run_id, self.uri)
        try:
            child.log_params(params)
            child.log_metrics(metrics)
        except BaseException as exc:
            child.fail(exc)
            raise
        child.finish()
        return child.id

    def log_params(self, values: dict[str, Any]) -> None:
        from mlflow.entities import Param

        params = [Param(k, str(v)[:500]) for k, v in values.items()]
        for i in range(0, len(params), 100):
            self.client.log_batch(self.id, params=params[i:i + 100])

    def log_metrics(self, values: dict[str, Any], step: int = 0) -> None:
        """Finite numbers only, in batches (one request per 900 metrics)."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        ms = [Metric(k, float(v), now, step) for k, v in values.items()
              if isinstance(v, (int, float, np.number)) and np.isfinite(v)]
        for i in range(0, len(ms), _BATCH):
            self.client.log_batch(self.id, metrics=ms[i:i + _BATCH])

    def set_tags(self, tags: dict[str, str]) -> None:
        for k, v in tags.items():
            self.client.set_tag(self.id, k, v)

    def log_files(self, paths: list[Path], folder: str | None = None) -> None:
        for p in paths:
            if Path(p).is_dir():
                self.client.log_artifacts(self.id, str(p), folder)
            else:
                self.client.log_artifact(self.id, str(p), folder)

    def log_dict(self, data: dict, name: str) -> None:
        self.client.log_dict(self.id, data, name)

    def log_table(self, frame, name: str) -> None:
        self.client.log_table(self.id, frame, name)

    def download(self, names: list[str], dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            self.client.download_artifacts(self.id, name, str(dest))

    def log_datasets(self, splits: dict[str, tuple[np.ndarray, np.ndarray, str]], digest: str) -> None:
        """The splits as MLflow dataset inputs (source path + the data digest)."""
        import mlflow.data
        from mlflow.entities import DatasetInput, InputTag

        entities = []
        for split, (x, y, path) in splits.items():
            with warnings.catch_warnings():
                # MLflow registers the local-file source type twice and says so.
                warnings.filterwarnings("ignore", message="The specified dataset source can be")
                ds = mlflow.data.from_numpy(x, targets=y, source=str(Path(path).resolve()),
                                            name=f"prepared-{split}", digest=digest)
            entities.append(DatasetInput(ds._to_mlflow_entity(),
                                         tags=[InputTag("mlflow.data.context", split)]))
        self.client.log_inputs(self.id, datasets=entities)

    def finish(self, status: str = "FINISHED") -> None:
        self.client.set_terminated(self.id, status)

    def fail(self, exc: BaseException) -> None:
        """Record why the run failed (tag + traceback artifact) and end it."""
        self.client.set_tag(self.id, "error", f"{type(exc).__name__}: {exc}"[:4000])
        self.client.log_text(self.id, traceback.format_exc(), "error.txt")
        self.finish("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")


def note(text: str, full: str) -> str:
    """``text`` as a run's description (the tag ``mlflow.note.content``): whole when it
    fits MLflow's tag limit, else cut at a line, ending with where the whole text is
    (``full``, an artifact path). MLflow would cut it mid-line and only warn."""
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    if len(text) <= MAX_TAG_VAL_LENGTH:
        return text
    tail = f"\n\n… cut to fit MLflow's tag limit: the whole text is the artifact `{full}`."
    head = text[:MAX_TAG_VAL_LENGTH - len(tail)]
    return head[:head.rfind("\n") + 1 or len(head)].rstrip() + tail


def find_runs(experiment_id: str, fingerprint: str, statuses: tuple[str, ...],
              uri: str | None = None) -> list:
    runs = client(uri).search_runs(
        [experiment_id], f"tags.`{FINGERPRINT_TAG}` = '{fingerprint}'",
        max_results=50, order_by=["attributes.start_time DESC"])
    return [r for r in runs if r.info.status in statuses]


def reuse_or_run(uri: str, experiment_id: str, fingerprint: str, run_name: str, tags: dict[str, str],
                 reuse: Callable[[Run], T], work: Callable[[Run], T]) -> T:
    """The routine of a fingerprinted run: ``reuse`` a FINISHED run with this
    fingerprint; otherwise retire unfinished ones and ``work`` in a new run,
    which ends FINISHED, or FAILED (KILLED on Ctrl-C) with its error recorded."""
    done = find_runs(experiment_id, fingerprint, ("FINISHED",), uri)
    if done:
        return reuse(Run(done[0].info.run_id, uri))
    # An earlier attempt that crashed or failed is replaced, not kept beside the new one.
    retire(experiment_id, fingerprint, uri)
    created = client(uri).create_run(experiment_id, run_name=run_name, tags={
        FINGERPRINT_TAG: fingerprint, WORKER_TAG: worker(), **dask_worker(), **tags})
    run = Run(created.info.run_id, uri)
    try:
        result = work(run)
    except BaseException as exc:
        run.fail(exc)
        raise
    run.finish()
    # Once more after finishing: MLflow's client retries a request whose answer a
    # restarting server never sent, so a create_run can have left an unfinished twin.
    retire(experiment_id, fingerprint, uri, keep=run.id)
    return result


def retire(experiment_id: str, fingerprint: str, uri: str | None = None, keep: str | None = None) -> None:
    """Delete the unfinished runs of a fingerprint (crashed, failed or lost attempts), but
    ``keep``, with their child runs (a cell's tuning trials)."""
    c = client(uri)
    for stale in find_runs(experiment_id, fingerprint, UNFINISHED, uri):
        if stale.info.run_id != keep:
            for child in c.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{stale.info.run_id}'",
                                       max_results=1000):
                c.delete_run(child.info.run_id)
            c.delete_run(stale.info.run_id)


def dask_worker() -> dict[str, str]:
    """``{DASK_WORKER_TAG: name}`` inside a Dask worker (its ``--name``), else nothing:
    a team reads from it which worker trained a cell, or was lost mid-cell."""
    try:
        from distributed import get_worker

        return {DASK_WORKER_TAG: str(get_worker().name)}
    except (ImportError, ValueError):  # not inside a Dask worker
        return {}


def grid_run(uri: str, experiment_id: str, fingerprint: str, params: dict[str, Any],
             tags: dict[str, str]) -> Run:
    """One parent run per grid; a resumed grid continues its unfinished parent."""
    c = client(uri)
    runs = c.search_runs([experiment_id], f"tags.`{FINGERPRINT_TAG}` = '{fingerprint}'",
                         max_results=5, order_by=["attributes.start_time DESC"])
    if runs:
        c.update_run(runs[0].info.run_id, status="RUNNING")
        c.set_tag(runs[0].info.run_id, WORKER_TAG, worker())
        return Run(runs[0].info.run_id, uri)
    created = c.create_run(experiment_id, run_name="grid", tags={
        FINGERPRINT_TAG: fingerprint, KIND_TAG: "grid", WORKER_TAG: worker(),
        "git_commit": git_commit(), **tags})
    run = Run(created.info.run_id, uri)
    run.log_params(params)
    return run


def log_run(name: str, kind: str, params: dict[str, Any], metrics: dict[str, float],
            dicts: dict[str, dict] | None = None, tables: dict[str, Any] | None = None) -> str:
    """A plain one-shot run (the embeddings stage): params, metrics, JSON and table artifacts."""
    uri, experiment_id = setup()
    created = client(uri).create_run(experiment_id, run_name=name, tags={KIND_TAG: kind, WORKER_TAG: worker()})
    run = Run(created.info.run_id, uri)
    try:
        run.log_params(params)
        run.log_metrics(metrics)
        for path, data in (dicts or {}).items():
            run.log_dict(data, path)
        for path, frame in (tables or {}).items():
            run.log_table(frame, path)
    except BaseException as exc:
        run.fail(exc)
        raise
    run.finish()
    return run.id


def flatten_metrics(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Nested numeric leaves as MLflow metric names (``strategies/learned/test_accuracy_mean``)."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        key = f"{prefix}{str(k).replace('@', '-')}"
        if isinstance(v, dict):
            out.update(flatten_metrics(v, key + "/"))
        elif isinstance(v, (bool, int, float)) and v == v:
            out[key] = float(v)
    return out
