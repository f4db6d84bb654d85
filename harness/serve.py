"""Start and stop ``mlflow models serve`` on loopback (tests and benchmarks).

The server is started in its own process group and stopped by that group's id
(the PID of the process this module started) with SIGTERM, then SIGKILL: the
uvicorn worker it spawns goes with it and nothing is left listening.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from embedlab.errors import EmbedlabError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, wait until every member (the uvicorn
    worker too, not only the leader) is gone, SIGKILL what is left after 15 s."""
    pgid = proc.pid  # start_new_session: the group id is the PID we started
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        if not _group_alive(pgid):
            break
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader so it does not linger as a zombie
            if not _group_alive(pgid):
                break
            time.sleep(0.1)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


@contextlib.contextmanager
def model_server(model_uri: str, *, port: int | None = None, env: dict[str, str] | None = None,
                 log_path: Path | None = None, timeout: float = 240.0) -> Iterator[str]:
    """Serve ``model_uri`` on 127.0.0.1; yield the base URL once ``/ping`` answers."""
    port = port or free_port()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    cmd = [str(mlflow_cli) if mlflow_cli.exists() else "mlflow", "models", "serve", "-m", model_uri,
           "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    full_env = {**os.environ, **(env or {})}
    # mlflow execs `uvicorn` by name: the venv's bin must be on PATH even when
    # the venv is not activated.
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    proc = subprocess.Popen(cmd, env=full_env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = Path(log_path).read_text(errors="replace")[-3000:] if log_path else ""
                raise EmbedlabError(f"mlflow models serve exited with {proc.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise EmbedlabError(f"mlflow models serve did not answer {base}/ping in {timeout:.0f} s")
            time.sleep(0.5)
        yield base
    finally:
        _stop(proc)
        if log_path:
            log.close()


def _not_json(constant: str):
    raise ValueError(f"the server answered {constant}, which is not JSON")


def invoke(base: str, payload: dict, timeout: float = 60.0) -> dict:
    """POST ``payload`` as JSON to ``/invocations``; return the decoded answer.

    Strict JSON: an answer holding NaN or Infinity (Python's json module would
    accept them, most clients would not) raises ValueError."""
    req = urllib.request.Request(f"{base}/invocations", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read(), parse_constant=_not_json)
