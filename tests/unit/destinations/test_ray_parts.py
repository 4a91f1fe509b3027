"""A dependency layer over the upload limit travels to Ray in parts (each a package named
by its own digest) and the runner joins them back, checked by the layer's sha256."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jobpack.destinations.http import HttpClient
from jobpack.destinations.ray import RayCluster, packages
from jobpack.errors import ArchiveError
from jobpack.layout import MANIFEST_NAME, SCHEMA, FileRecord, LayerRecord, RunSpec
from jobpack.runner.errors import RunnerError, UnsafeMember
from jobpack.runner.layers import Layers

DATA = bytes(20_000) + b"the end of a wheel"  # zeros: several parts hold the same bytes
LIMIT = 4096


def _layered(tmp_path: Path, wheel: bytes = DATA) -> tuple[Path, RunSpec, bytes]:
    """An archive of one layer (a wheel of `wheel`'s bytes, ~20 KB by default) before its
    zip; the spec, and the zip alone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as layer:
        layer.writestr("wheels/w.whl", wheel)
    data = buffer.getvalue()
    files = (FileRecord("wheels/w.whl", hashlib.sha256(wheel).hexdigest(), len(wheel)),)
    record = LayerRecord(hashlib.sha256(data).hexdigest(), len(data), files)
    manifest = {"schema": SCHEMA, "target": {"python": "3.11"}, "files": [],
                "layers": [record.to_dict()]}
    head = io.BytesIO()
    with zipfile.ZipFile(head, "w") as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest))
    path = tmp_path / "job.jobpack.zip"
    path.write_bytes(data + head.getvalue())
    return path, RunSpec.from_dict(manifest), head.getvalue()


def _unpacked_as_ray_does(tmp_path: Path, limit: int) -> tuple[Path, RunSpec, list[Path]]:
    """The archive's zip alone, and one folder per layer package (Ray unpacks each
    py_modules package into a folder of its own)."""
    path, spec, head = _layered(tmp_path)
    _, parts = packages(path, limit)
    folders = []
    for number, package in enumerate(parts):
        assert len(package.data) <= limit
        folder = tmp_path / f"pkg{number}"
        with zipfile.ZipFile(io.BytesIO(package.data)) as wrapper:
            wrapper.extractall(folder)
        folders.append(folder)
    alone = tmp_path / "sent" / "job.jobpack.zip"
    alone.parent.mkdir()
    alone.write_bytes(head)
    return alone, spec, folders


def test_an_oversized_layer_is_split_into_parts_named_by_their_own_digest(
        tmp_path: Path) -> None:
    path, spec, _ = _layered(tmp_path)
    _, parts = packages(path, LIMIT)
    assert len(parts) == -(-spec.layers[0].size // (LIMIT - 1024)) > 4
    assert len({part.name for part in parts}) == len(parts)  # equal bytes, distinct parts
    for part in parts:
        assert part.name == f"_ray_pkg_{hashlib.sha256(part.data).hexdigest()}.zip"
    again = packages(path, LIMIT)[1]
    assert [p.name for p in again] == [p.name for p in parts]  # a resubmit uploads none
    whole = packages(path, 1 << 20)[1]
    assert [p.name for p in whole] == [f"_ray_pkg_{spec.layers[0].sha256}.zip"]


def test_the_runner_joins_the_parts_and_checks_the_whole_layer(tmp_path: Path) -> None:
    alone, spec, folders = _unpacked_as_ray_does(tmp_path, LIMIT)
    scratch = tmp_path / "work" / "layers"
    with Layers(alone, spec, folders, scratch).open("wheels/w.whl") as handle:
        assert handle.read() == DATA
    assert [p.name for p in scratch.iterdir()] == [spec.layers[0].file_name]


def test_a_missing_or_damaged_part_is_refused(tmp_path: Path) -> None:
    alone, spec, folders = _unpacked_as_ray_does(tmp_path, LIMIT)
    damaged = next(folders[-1].iterdir())
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"?")
    with pytest.raises(UnsafeMember, match="parts joined: sha256 differs"):
        Layers(alone, spec, folders, tmp_path / "a").check()
    assert not any((tmp_path / "a").iterdir())  # nothing half-joined is left to trust
    with pytest.raises(RunnerError, match=r"travels in \d+ parts; part 2 is not in"):
        Layers(alone, spec, [folders[0], *folders[2:]], tmp_path / "b").check()


class _Answer:
    def __init__(self, status: int) -> None:
        self.status = status


def test_submitting_holds_one_package_in_memory_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a 16 MB layer in parts of 1 MiB: before, every part's bytes were built first
    blob = hashlib.sha256(b"seed").digest() * (1 << 19)
    path, spec, _ = _layered(tmp_path, blob)
    layer_size = spec.layers[0].size
    sent: list[int] = []

    def request(_self: Any, method: str, _path: str, **kwargs: Any) -> _Answer:
        if method == "PUT":
            sent.append(len(kwargs["data"]))
        return _Answer(404 if method == "GET" else 200)

    monkeypatch.setattr(HttpClient, "request", request)
    cluster = RayCluster("http://127.0.0.1:1")
    limit = 1 << 20
    tracemalloc.start()
    try:
        head_package, parts = packages(path, limit)
        uploaded, total, known = cluster.upload_all(head_package, parts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (uploaded, known, len(parts)) == (True, 0, len(sent) - 1)
    assert len(parts) >= 16 and total == sum(sent) > layer_size
    assert peak < 5 * limit, peak  # a part, its copy, the readers' 1 MiB buffers


def test_an_archive_changed_after_it_was_read_uploads_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # packages are named by a digest taken when submit reads the archive; bytes that
    # changed by upload time would sit on the cluster under a name that lies, and every
    # later submit would trust them
    path, _, _ = _layered(tmp_path)
    head, parts = packages(path, 1 << 20)
    sent: list[str] = []

    def request(_self: Any, method: str, where: str, **_kwargs: Any) -> _Answer:
        sent.append(method)
        return _Answer(404 if method == "GET" else 200)

    monkeypatch.setattr(HttpClient, "request", request)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # inside the layer, before the zip
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"changed while it was being submitted: "
                                           r"\S+ is no longer the bytes of sha256"):
        RayCluster("http://127.0.0.1:1").upload_all(head, parts)
    assert "PUT" not in sent
