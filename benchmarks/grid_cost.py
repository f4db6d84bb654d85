"""What the default grid costs, cell by cell: every strategy of the old and the
new default (GloVe cells included) on every default architecture, one seed, in
one run of the train stage on the default data, so the two grids are compared
on the same machine at the same time.

    python -m benchmarks.grid_cost

A scratch copy of the project runs `dvc repro train` (prepare and embeddings
first, the default params otherwise). The cost of a grid is the sum of its
cells' fit seconds (`train_seconds` in reports/train.json), times its seeds;
the figures are the two sums, their ratio and the per-cell seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import ROOT, save, train_results

# The 30-cell default before the GloVe cells came in (5 strategies x 3 x 2 seeds).
OLD_DEFAULT = {"strategies": ["learned", "random_frozen", "w2v_frozen", "w2v_finetuned",
                              "w2v_multichannel"],
               "architectures": ["lstm", "cnn", "meanpool"], "seeds": [1, 2]}


def _cost(grid: dict, seconds: dict[tuple[str, str], float]) -> float:
    one_seed = sum(seconds[(s, a)] for s in grid["strategies"] for a in grid["architectures"])
    return one_seed * len(grid["seeds"])


def main() -> None:
    from harness.scaffold import new_project, stage_env

    new = yaml.safe_load((ROOT / "params.yaml").read_text())["grid"]
    strategies = list(dict.fromkeys(OLD_DEFAULT["strategies"] + new["strategies"]))
    architectures = list(dict.fromkeys(OLD_DEFAULT["architectures"] + new["architectures"]))
    tmp = Path(tempfile.mkdtemp(prefix="embedlab-gridcost-"))
    project = new_project(tmp / "proj", {"grid": {"strategies": strategies, "architectures": architectures,
                                                  "seeds": [1], "baseline": False}})
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dvc", "repro", "train"], cwd=project,
                          env=stage_env(project), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    (tmp / "repro.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"train stage failed; log in {tmp / 'repro.log'}")
    cells = train_results(project)["cells"]
    emb = json.loads((project / "reports" / "embeddings.json").read_text())["variants"]
    seconds, rows = {}, []
    for c in cells:
        strategy, arch = c["strategy"], c["architecture"]
        seconds[(strategy, arch)] = c["train_seconds"]
        rows.append({"cell": c["name"], "train_seconds": round(c["train_seconds"], 1),
                     "epochs_run": c["epochs_run"], "test_accuracy": round(c["test_accuracy"], 4)})
    old, cur = _cost(OLD_DEFAULT, seconds), _cost(new, seconds)
    save("grid_cost", {
        "old_default": {**OLD_DEFAULT, "cells": len(OLD_DEFAULT["strategies"]) * 3 * 2,
                        "fit_seconds": round(old, 1)},
        "new_default": {"strategies": new["strategies"], "architectures": new["architectures"],
                        "seeds": new["seeds"], "cells": len(new["strategies"]) * len(new["architectures"])
                        * len(new["seeds"]), "fit_seconds": round(cur, 1)},
        "ratio_new_to_old": round(cur / old, 3),
        "added_minutes": round((cur - old) / 60, 2),
        "glove_variant": {k: emb["glove6b"][k] for k in ("type_coverage", "token_coverage",
                                                         "vectors_vocab", "text_seen")}
        if "glove6b" in emb else None,
        "measured_cells": rows, "repro_train_wall_seconds": round(wall, 1),
    }, "python -m benchmarks.grid_cost")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
