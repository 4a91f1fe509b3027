"""Dependency layers: found inside the archive (before its zip) or apart, checked by
sha256, their members read in place."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from jobpack.layout import MANIFEST_NAME, SCHEMA, FileRecord, LayerRecord, RunSpec, zip_start
from jobpack.runner.errors import RunnerError, UnsafeMember
from jobpack.runner.layers import Layers

DATA = b"PK-not-really-a-wheel" * 100


def _layer() -> tuple[bytes, LayerRecord]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as layer:
        layer.writestr("wheels/w.whl", DATA)
    data = buffer.getvalue()
    files = (FileRecord("wheels/w.whl", hashlib.sha256(DATA).hexdigest(), len(DATA)),)
    return data, LayerRecord(hashlib.sha256(data).hexdigest(), len(data), files)


def _archive(path: Path, record: LayerRecord, prefix: bytes) -> RunSpec:
    data = {"schema": SCHEMA, "target": {"python": "3.11"}, "files": [],
            "layers": [record.to_dict()]}
    head = io.BytesIO()
    with zipfile.ZipFile(head, "w") as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(data))
    path.write_bytes(prefix + head.getvalue())
    return RunSpec.from_dict(data)


def test_a_layer_inside_the_archive_is_found_checked_and_read_in_place(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    spec = _archive(archive, record, data)
    assert zip_start(archive) == len(data)
    with Layers(archive, spec, []).open("wheels/w.whl") as handle:
        assert handle.read() == DATA
        handle.seek(-5, 2)
        assert handle.read() == DATA[-5:]


def test_a_layer_sent_apart_is_found_in_a_folder_by_its_digest(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    spec = _archive(archive, record, b"")
    folder = tmp_path / "layers"
    folder.mkdir()
    with pytest.raises(RunnerError, match=f"{record.file_name} .* is not in the archive"):
        Layers(archive, spec, [folder]).check()
    (folder / record.file_name).write_bytes(data)
    with Layers(archive, spec, [folder]).open("wheels/w.whl") as handle:
        assert handle.read() == DATA


def test_a_layer_whose_digest_differs_is_refused(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    spec = _archive(archive, record, data.replace(b"really", b"REALLY"))
    with pytest.raises(UnsafeMember, match="sha256 differs"):
        Layers(archive, spec, []).open("wheels/w.whl")


def test_bytes_before_the_zip_that_are_not_its_layers_are_refused(tmp_path: Path) -> None:
    data, record = _layer()
    archive = tmp_path / "a.zip"
    spec = _archive(archive, record, data[:-1])
    with pytest.raises(RunnerError, match="are not its layers"):
        Layers(archive, spec, []).check()
