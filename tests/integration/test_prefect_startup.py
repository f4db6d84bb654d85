"""Stages under one shared Prefect server (flows.shared_server, what dev.py repro uses).

Real Prefect in child processes (each stage is its own process under DVC); the
server's database lives in the session's temporary PREFECT_HOME.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
STARTING = "Starting temporary server"

STAGE = textwrap.dedent('''
    import os, sys
    from prefect import flow

    @flow(name="stand-in")
    def stand_in(n: int) -> int:
        return n * 2

    print("api", os.environ.get("PREFECT_API_URL", "own"), "result", stand_in(int(sys.argv[1])))
''')


def _run(tmp_path: Path, *cmd: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_stages_under_shared_server_start_none_of_their_own(tmp_path, prefect_home):
    (tmp_path / "stage.py").write_text(STAGE)
    two = f"{sys.executable} stage.py 1 && {sys.executable} stage.py 2 && exit 3"
    out = _run(tmp_path, sys.executable, "-m", "flows.shared_server", "sh", "-c", two)
    log = out.stdout + out.stderr
    assert out.returncode == 3, log           # the command's exit status, passed on
    lines = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("api ")]
    assert [ln[3] for ln in lines] == ["2", "4"]
    urls = {ln[1] for ln in lines}
    assert len(urls) == 1 and urls.pop().startswith("http://127.0.0.1:")
    assert STARTING not in log, log        # no stage started a server of its own
    assert "one temporary Prefect server for every stage" in out.stderr
    # The wrapper stopped its server on the way out.
    port = urlparse([ln[1] for ln in lines][0]).port
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0

