"""Start, wait for and stop real server processes on 127.0.0.1.

Every process is started in its own session so that stopping it by PID
(a signal to its process group, then SIGKILL) also ends the workers it spawned.
Shared by the slow integration tests and the benchmarks.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, grace: float = 20.0, sig: int = signal.SIGTERM) -> None:
    """``sig`` to the process group of ``proc``; SIGKILL what is left after ``grace`` s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        kill(proc)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group at once: a crash, not a shutdown."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def start(cmd: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """A subprocess in its own session whose output is appended to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **kwargs)


@contextmanager
def process(cmd: list[str], log: Path, **kwargs):
    """A subprocess whose output goes to ``log``; stopped by PID on exit, also on failure."""
    proc = start(cmd, log, **kwargs)
    try:
        yield proc
    finally:
        stop(proc)


def tail(log: Path, n: int = 4000) -> str:
    try:
        return Path(log).read_text(errors="replace")[-n:]
    except OSError:
        return ""


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None, every: float = 0.5):
    """Poll ``check()`` until it returns something truthy; fail with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}\n{tail(log) if log else ''}")
        try:
            value = check()
            if value:
                return value
        except Exception:
            pass
        time.sleep(every)
    raise AssertionError(f"{what}: not ready after {timeout:.0f} s\n{tail(log) if log else ''}")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status == 200
