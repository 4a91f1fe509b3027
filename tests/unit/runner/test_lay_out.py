"""`--unpack DIR`: the archive's zip and its dependency layers laid out as files."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.layout import MANIFEST_NAME
from jobpack.runner.errors import RunnerError, UnsafeMember
from jobpack.runner.lay_out import lay_out
from tests.unit.runner.test_layers import DATA, _archive, _layer


def test_a_layer_sent_apart_is_laid_out_beside_the_zips_members(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    _archive(archive, record, b"")
    apart = tmp_path / "apart"
    apart.mkdir()
    (apart / record.file_name).write_bytes(data)
    assert lay_out(archive, tmp_path / "out", [apart]) == 2
    assert (tmp_path / "out" / "wheels" / "w.whl").read_bytes() == DATA
    assert (tmp_path / "out" / MANIFEST_NAME).is_file()


def test_a_damaged_layer_or_a_used_folder_is_refused(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    _archive(archive, record, data.replace(b"really", b"REALLY"))
    with pytest.raises(UnsafeMember, match="sha256 differs"):
        lay_out(archive, tmp_path / "out", [])
    assert not (tmp_path / "out" / "wheels").exists()
    with pytest.raises(RunnerError, match="not an empty folder"):
        lay_out(archive, tmp_path / "out", [])
