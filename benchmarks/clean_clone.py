"""The README's two commands in a fresh clone of this repository, timed, and
whether they reproduced the committed results.

    python -m benchmarks.clean_clone             # reuse this .venv, time `dvc repro` only
    python -m benchmarks.clean_clone --bootstrap # `python3.11 dev.py repro` (venv included),
                                                 # then `python3.11 dev.py test`

The clone gets its own MLflow store (mlruns/ inside it) and is deleted afterwards.
Each run is appended to the results file's ``runs`` (the last ``KEEP``), so the
README gives the first command's time as the range measured so far, with the CPU
each figure came from. ``changed_tracked_files`` is what `git status` shows in the
clone after the commands: empty when the run reproduced every committed output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

from benchmarks.common import RESULTS, ROOT, machine, save, train_results

KEEP = 10


def _timed(cmd: list[str], cwd: Path, env: dict, log: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    with open(log, "w") as out:
        rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    return time.perf_counter() - t0, rc


def fit_seconds(clone: Path) -> dict:
    """Per architecture: the mean, min and max seconds inside `fit` of the cells trained."""
    cells = [c for c in train_results(clone)["cells"] if c.get("status") == "trained"]
    out = {}
    for arch in sorted({c["architecture"] for c in cells}):
        s = [c["train_seconds"] for c in cells if c["architecture"] == arch]
        out[arch] = {"cells": len(s), "mean": round(mean(s), 1), "min": round(min(s), 1), "max": round(max(s), 1)}
    return out


def changed_files(clone: Path) -> list[str]:
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    return sorted(line[3:] for line in status.splitlines())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", action="store_true",
                    help="the README's commands: dev.py repro (venv included), then dev.py test")
    ap.add_argument("--keep", action="store_true", help="keep the clone")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-clone-"))
    clone = tmp / "embedlab"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "PYTHONPATH", "VIRTUAL_ENV"}}
    env["DVC_SITE_CACHE_DIR"] = str(clone / ".dvc" / "tmp" / "site_cache")
    if args.bootstrap:
        cmd = ["python3.11", "dev.py", "repro"]
    else:
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        cmd = [sys.executable, "-m", "dvc", "repro"]
    load_before = os.getloadavg()[0]
    seconds, rc = _timed(cmd, clone, env, tmp / "repro.log")
    if rc != 0:
        raise SystemExit(f"repro failed (rc {rc}); log: {tmp / 'repro.log'}")
    run = {"date": time.strftime("%Y-%m-%d"), "cpu": machine()["cpu"], "cores": machine()["cores"],
           "load_average_1min_before": round(load_before, 2), "first_command_minutes": round(seconds / 60, 2),
           "fit_seconds": fit_seconds(clone), "changed_tracked_files": changed_files(clone)}
    if args.bootstrap:
        test_seconds, test_rc = _timed(["python3.11", "dev.py", "test"], clone, env, tmp / "test.log")
        run.update(second_command_minutes=round(test_seconds / 60, 2), second_command_passed=test_rc == 0,
                   changed_tracked_files=changed_files(clone))
    name = "clean_clone" + ("_bootstrap" if args.bootstrap else "")
    path = RESULTS / f"{name}.json"
    earlier = json.loads(path.read_text())["figures"].get("runs", []) if path.exists() else []
    save(name, {"bootstrap_venv": args.bootstrap, "latest": run, "runs": (earlier + [run])[-KEEP:]},
         "python -m benchmarks.clean_clone" + (" --bootstrap" if args.bootstrap else ""))
    if run["changed_tracked_files"] or not run.get("second_command_passed", True):
        raise SystemExit(f"not reproduced: changed {run['changed_tracked_files']}, tests passed: "
                         f"{run.get('second_command_passed')}; the clone and its logs are kept in {tmp}")
    if args.keep:
        print(f"clone kept at {clone}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
