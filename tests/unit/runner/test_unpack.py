"""Bundled wheels are read in place from the stored archive, after their digest checks."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from jobpack.layout import FileRecord
from jobpack.runner.errors import UnsafeMember
from jobpack.runner.unpack import open_member

DATA = b"PK-not-really-a-wheel" * 100


def _archive(path: Path, compression: int) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("src/a.py", b"x")
        archive.writestr("wheels/w.whl", DATA)
    return path


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_member_is_read_whole_and_seekable(tmp_path: Path, compression: int) -> None:
    archive = _archive(tmp_path / "a.zip", compression)
    record = FileRecord("wheels/w.whl", hashlib.sha256(DATA).hexdigest(), len(DATA))
    with open_member(archive, record, tmp_path / "work") as handle:
        assert handle.read() == DATA
        handle.seek(-5, 2)
        assert handle.read() == DATA[-5:]
    stored = compression == zipfile.ZIP_STORED
    assert (tmp_path / "work" / "wheels" / "w.whl").exists() is not stored  # no copy


def test_a_member_whose_digest_differs_is_refused(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "a.zip", zipfile.ZIP_STORED)
    record = FileRecord("wheels/w.whl", "0" * 64, len(DATA))
    with pytest.raises(UnsafeMember, match="sha256 differs"):
        open_member(archive, record, tmp_path / "work")
