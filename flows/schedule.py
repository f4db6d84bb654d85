"""Scheduled retraining: ``python -m flows.schedule`` (or ``embedlab schedule``)
serves the deployment ``retrain/embedlab`` (cron from ``params.yaml: schedule``);
each run is ``dvc repro`` stage by stage (see ``embedlab.schedule``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.schedules import CronSchedule
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL

from embedlab import schedule
from embedlab.config import load_schedule
from embedlab.errors import ConfigError
from embedlab.runtime import configure_env, run_entry


def retry_if_transient(task, task_run, state) -> bool:
    """Prefect's retry condition for a stage task: retry transient failures only."""
    try:
        state.result()
    except schedule.TransientStageFailure:
        return True
    except BaseException:
        return False
    return False


def schedule_from(params_path: Path):
    """The Prefect Cron schedule from params.yaml, validated with a clear error."""
    params = load_schedule(params_path)
    try:
        cron = Cron(params.cron, timezone=params.timezone)
        CronSchedule(cron=params.cron, timezone=params.timezone)  # validates both
    except Exception as exc:
        raise ConfigError(f"{params_path}: schedule.cron / schedule.timezone: "
                          f"{params.cron!r} in {params.timezone!r} is not a valid schedule "
                          f"({exc}). Use five cron fields, e.g. \"0 2 * * *\", and an IANA "
                          "timezone such as UTC or Europe/Berlin.") from None
    return params, cron


def warn_without_server() -> None:
    if not os.environ.get("PREFECT_API_URL") and not PREFECT_API_URL.value():
        print("warning: PREFECT_API_URL is not set, so Prefect uses a temporary server "
              "that lives only as long as this process. For a schedule that survives, "
              "run `prefect server start --host 127.0.0.1` and "
              "`export PREFECT_API_URL=http://127.0.0.1:4200/api` first.", file=sys.stderr)


@task(name="dvc-stage", task_run_name="stage-{name}", cache_policy=None, retries=2,
      retry_delay_seconds=[15, 60], retry_condition_fn=retry_if_transient)
def stage_task(name: str, root: str, force: bool = False) -> dict:
    return schedule.run_stage(name, Path(root), force)


@flow(name="retrain", log_prints=True)
def retrain(project: str = ".", retry_delay_seconds: float = 15.0) -> dict:
    """dvc repro, stage by stage, with the results published as a Prefect artifact."""
    root = schedule.project_root(project)
    changed, fingerprint = schedule.source_changed(root)
    if changed:
        print(f"the data source changed since the last successful run: "
              f"the {schedule.SOURCE_STAGE} stage will run")
    runner = stage_task.with_options(retry_delay_seconds=[retry_delay_seconds, retry_delay_seconds * 4])
    names, outcomes, error = schedule.pipeline_stages(root), [], None
    for i, name in enumerate(names):
        state = runner(name, str(root), force=changed and name == schedule.SOURCE_STAGE, return_state=True)
        if state.is_completed():
            outcomes.append(state.result())
            continue
        try:
            state.result()
        except BaseException as exc:  # noqa: BLE001 - reported, then re-raised below
            error = str(exc)
        outcomes += schedule.failed_outcomes(names, i, error)
        break
    create_markdown_artifact(key=schedule.ARTIFACT_KEY, markdown=schedule.results_markdown(root, outcomes, error),
                             description="embedlab: stage outcomes, grid and registry decision")
    if error:
        raise schedule.StageFailed(error)
    return schedule.finish(root, outcomes, fingerprint)


def serve(params_path: Path | str = "params.yaml", name: str = schedule.DEPLOYMENT,
          project: Path | str | None = None) -> None:
    """Register the cron deployment ``retrain/<name>`` and run its scheduled runs here."""
    configure_env()
    params, cron = schedule_from(Path(params_path))
    root = Path(project or Path(params_path).resolve().parent).resolve()
    warn_without_server()
    print(f"serving deployment retrain/{name}: cron {params.cron!r} ({params.timezone}) on project {root}")
    retrain.serve(name=name, schedules=[cron], parameters={"project": str(root)}, tags=["embedlab"],
                  description="dvc repro on a schedule: DVC decides what is stale; results as "
                  "the artifact " + schedule.ARTIFACT_KEY)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the scheduled retraining deployment.")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--name", default=schedule.DEPLOYMENT, help="deployment name (default: embedlab)")
    parser.add_argument("--project", type=Path, default=None,
                        help="project root (default: the folder of --params)")
    parser.add_argument("--once", action="store_true",
                        help="run the retrain flow once now instead of serving the schedule")
    args = parser.parse_args()
    configure_env()
    if args.once:
        schedule_from(args.params)
        retrain(str(args.project or args.params.resolve().parent))
        return
    serve(args.params, args.name, args.project)


if __name__ == "__main__":
    run_entry(main)
