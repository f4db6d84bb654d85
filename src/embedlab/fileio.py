"""Atomic outputs: a crash or Ctrl-C mid-write leaves the previous file or folder
intact and no half-written one behind.

Scratch files and folders sit beside their target and carry the writer's PID
(``.<name>.<pid>.<random>.tmp``). A process killed with SIGKILL cannot clean up,
so the next writer of the same target removes the scratch of writers that are no
longer alive (:func:`sweep`): a kill leaves the previous good state, and the
litter lasts only until the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def alive(pid: int) -> bool:
    """Whether a process with this PID exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def scratch_prefix(name: str) -> str:
    return f".{name}.{os.getpid()}."


def sweep(folder: Path, name: str) -> list[Path]:
    """Remove the scratch of ``name`` (files and folders) left in ``folder`` by
    writers that are no longer alive; returns what was removed."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.(.+\.tmp|old)$")
    removed = []
    for path in Path(folder).glob(f".{name}.*"):
        m = pattern.match(path.name)
        if not m or alive(int(m.group(1))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    Same folder, so ``os.replace`` is a rename on one file system.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=scratch_prefix(target.name), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(target: Path | str, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: Path | str, data: Any) -> None:
    write_text(target, json.dumps(data, indent=2, sort_keys=False, default=jsonable) + "\n")


def jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@contextlib.contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Build a folder in a temporary sibling, then swap it in as a whole.

    The old folder is moved aside first and removed only after the new one is in
    place, so at every instant either the old or the new complete folder exists.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target.parent, target.name)
    tmp = Path(tempfile.mkdtemp(prefix=scratch_prefix(target.name), suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f"{scratch_prefix(target.name)}old")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def scratch_dir(beside: Path | str) -> Iterator[Path]:
    """A temporary working folder next to ``beside`` (same file system), removed
    afterwards, and swept by the next run if this process is killed."""
    beside = Path(beside)
    name = f"{beside.name}-scratch"
    beside.parent.mkdir(parents=True, exist_ok=True)
    sweep(beside.parent, name)
    tmp = Path(tempfile.mkdtemp(prefix=scratch_prefix(name), suffix=".tmp", dir=beside.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Zip archives (.keras models, .npz predictions) carry each entry's write time;
# a fixed one makes the same contents the same bytes, so DVC's hashes and a fresh
# clone's `dvc repro` match the committed dvc.lock.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def pin_zip(path: Path | str, patch: Callable[[str, bytes], bytes] | None = None) -> None:
    """Rewrite a zip archive in place with fixed entry times (and ``patch(name, data)``
    applied to each entry's bytes), keeping entry order and compression."""
    import zipfile

    path = Path(path)
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as out:
        for info, data in entries:
            pinned = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            pinned.compress_type, pinned.external_attr = info.compress_type, 0o644 << 16
            out.writestr(pinned, patch(info.filename, data) if patch else data)


def write_npz(target: Path | str, **arrays) -> None:
    """``numpy.savez_compressed``, atomically and with fixed entry times."""
    import numpy as np

    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        pin_zip(tmp)


def file_digest(*paths: Path | str, chunk: int = 1 << 20) -> str:
    """sha256 over the bytes of the files (folders: every file inside, sorted)."""
    import hashlib

    h = hashlib.sha256()
    for p in paths:
        p = Path(p)
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(f.name.encode())
            with open(f, "rb") as fh:
                while block := fh.read(chunk):
                    h.update(block)
    return h.hexdigest()
