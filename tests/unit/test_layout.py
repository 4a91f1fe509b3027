"""The archive layout is defined once and both sides read what the other wrote."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack import layout
from jobpack.layout import FileRecord, SizeExceeded, WheelRecord, hash_stream
from jobpack.packager.api import runner_members
from jobpack.runner.verify import file_records, read_manifest
from tests.conftest import FIXTURES


def test_records_round_trip_and_refuse_wrong_types() -> None:
    record = FileRecord("src/a.py", "0" * 64, 3)
    assert FileRecord.from_dict(record.to_dict()) == record
    wheel = WheelRecord("attrs", "wheels/attrs-23.1.0-py3-none-any.whl", "1" * 64)
    assert WheelRecord.from_dict(wheel.to_dict()) == wheel
    assert wheel.filename == "attrs-23.1.0-py3-none-any.whl"
    with pytest.raises(ValueError, match="size"):
        FileRecord.from_dict({"path": "a", "sha256": "0", "size": True})
    with pytest.raises(ValueError, match="object"):
        WheelRecord.from_dict(["attrs"])


def test_hash_stream_copies_while_hashing_and_stops_at_the_limit() -> None:
    sink = io.BytesIO()
    digest, size = hash_stream(io.BytesIO(b"abc"), sink)
    assert (digest[:8], size, sink.getvalue()) == ("ba7816bf", 3, b"abc")
    with pytest.raises(SizeExceeded):
        hash_stream(io.BytesIO(b"abcd"), limit=3)


def test_the_variable_pattern_is_the_config_readers() -> None:
    from jobpack import config

    assert vars(config)["VARIABLE"] is layout.VARIABLE
    assert layout.VARIABLE.findall("a ${X} ${_y1} $Z ${1bad}") == ["X", "_y1"]


def test_a_built_archive_is_read_back_with_the_shared_records(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "a.zip").path
    with zipfile.ZipFile(archive) as opened:
        manifest = read_manifest(opened)
        names = set(opened.namelist())
    records = file_records(manifest)
    assert set(records) == names - {layout.MANIFEST_NAME}
    assert set(runner_members()) <= names
    assert f"{layout.RUNNER_PREFIX}layout.py" in names
    assert any(name.startswith(layout.SOURCE_PREFIX) for name in records)
