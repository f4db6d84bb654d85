"""Start and stop real servers on 127.0.0.1 for the slow integration tests.

Every process is started in its own session so that stopping it by PID
(SIGTERM to its process group, then SIGKILL) also ends the workers it spawned.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, grace: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


@contextmanager
def process(cmd: list[str], log: Path, **kwargs):
    """A subprocess whose output goes to ``log``; stopped by PID on exit, also on failure."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **kwargs)
        try:
            yield proc
        finally:
            stop(proc)


def tail(log: Path, n: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None, every: float = 0.5):
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


# A tiny pipeline for the real-server tests: minutes, not hours, on 2 cores.
TINY = """
data: {sample: 300}
embeddings: {variants: {cbow: {vector_size: 16, epochs: 2, min_count: 1, seed: 1}}}
train: {epochs: 1, batch_size: 32, units: 8, embedding_dim: 16}
grid: {strategies: [learned, w2v_frozen], architectures: [lstm], seeds: [1], variant: cbow, baseline: true}
evaluate: {min_behaviour_pass_rate: 0.0}  # a 1-epoch model on 300 reviews is near-constant
"""
