"""The whole default `dvc repro` in a fresh clone of this repository.

    python -m benchmarks.clean_clone            # reuse this .venv, time `dvc repro` only
    python -m benchmarks.clean_clone --bootstrap # time `python3.11 dev.py repro` incl. the venv

The clone gets its own MLflow store (mlruns/ inside it) and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, save


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", action="store_true", help="also create a fresh venv (dev.py repro)")
    ap.add_argument("--keep", action="store_true", help="keep the clone")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-clone-"))
    clone = tmp / "embedlab"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "PYTHONPATH"}}
    env["DVC_SITE_CACHE_DIR"] = str(clone / ".dvc" / "tmp" / "site_cache")
    if args.bootstrap:
        cmd = ["python3.11", "dev.py", "repro"]
    else:
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        cmd = [sys.executable, "-m", "dvc", "repro"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    log = tmp / "repro.log"
    log.write_text(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"repro failed (rc {proc.returncode}); log: {log}")
    stages = {}
    for line in proc.stdout.splitlines():
        if line.startswith("Running stage"):
            stages[line.split("'")[1]] = True
    save("clean_clone" + ("_bootstrap" if args.bootstrap else ""), {
        "seconds": round(seconds, 1), "minutes": round(seconds / 60, 2),
        "stages_run": list(stages), "bootstrap_venv": args.bootstrap,
    }, "python -m benchmarks.clean_clone" + (" --bootstrap" if args.bootstrap else ""))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"clone kept at {clone}")


if __name__ == "__main__":
    main()
