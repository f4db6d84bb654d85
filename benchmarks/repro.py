"""`dvc repro` when nothing changed, and which stages a training param change reruns.

Run in a project where `dvc repro` has completed:  python -m benchmarks.repro
"""

from __future__ import annotations

import re
import shutil
import statistics
import time

from benchmarks.common import ROOT, dvc, save


def noop_seconds(repeats: int = 5) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = dvc("repro")
        times.append(time.perf_counter() - t0)
        if "Running stage" in out.stdout:
            raise SystemExit("the pipeline is not up to date: run `dvc repro` first, then benchmark")
    return times


def stages_rerun_after(key: str, value: str) -> list[str]:
    """Change one param in a copy of params.yaml, ask DVC what would run, restore."""
    params = ROOT / "params.yaml"
    backup = ROOT / ".params.yaml.bench-backup"
    shutil.copy2(params, backup)
    try:
        import yaml

        data = yaml.safe_load(params.read_text())
        section, name = key.split(".")
        data[section][name] = yaml.safe_load(value)
        params.write_text(yaml.safe_dump(data, sort_keys=False))
        out = dvc("repro", "--dry")
        return re.findall(r"Running stage '([^']+)'", out.stdout)
    finally:
        shutil.move(backup, params)


def main() -> None:
    times = noop_seconds()
    import yaml

    epochs = yaml.safe_load((ROOT / "params.yaml").read_text())["train"]["epochs"]
    rerun = stages_rerun_after("train.epochs", str(epochs + 1))
    save("repro", {
        "noop_seconds_median": round(statistics.median(times), 3),
        "noop_seconds_all": [round(t, 3) for t in times],
        "stages_rerun_after_train_param_change": rerun,
    }, "python -m benchmarks.repro")


if __name__ == "__main__":
    main()
