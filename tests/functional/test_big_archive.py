"""An archive over 4 GiB runs with a bare `python3` 3.11 and 3.12: its dependency layer
(4 GiB + 64 MiB) lies before the small zip that `zipimport` starts from, which stays free
of ZIP64 records; the runner checks the layer's sha256 and installs the wheel lying past
4 GiB inside it, with bounded memory.

Cheap enough for CI: the archive is built by the packager around a small real wheel,
then its layer is written again with 4 GiB + 64 MiB of zeros ahead of the wheel, as a
hole in the file (no disk blocks, nothing written but the headers). What the test pays
for is three sha256 passes over the layer (once here, once per run), all CPU. Not covered
here: one file of a wheel over 4 GiB (the installer copies members in chunks; zipfile
reads ZIP64 members on 3.8+), and the packager writing a layer over 4 GiB."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import IO

import pytest

from jobpack.layout import (
    MANIFEST_NAME,
    ZIP_EPOCH_DATE,
    FileRecord,
    LayerRecord,
    hash_stream,
    zip_start,
)
from jobpack.manifest import LocalFile, Manifest, Requirement, SourceMap
from jobpack.packager.api import build
from jobpack.packager.archive import Member, member_info, write_members
from jobpack.packager.wheels import WheelFetcher
from jobpack.runner.layers import Layers, Slice
from jobpack.runner.verify import read_spec
from jobpack.target import Target
from tests.support.pythons import python_or_skip
from tests.support.wheels import WheelSpec, write_wheel

pytestmark = pytest.mark.slow

PYTHONS = ("3.11", "3.12")  # found as any machine has them (tests.support.pythons)
PADDING = "padding/zeros.bin"
BLOB = (4 << 30) + (64 << 20)
# sha256 of BLOB zero bytes, computed once (the layer's own digest is computed below)
BLOB_SHA256 = "f8c6a4d9640d5154fd53d271e811269c35a3c6853ab8a72426acd23a280f965d"
ZEROS = bytes(1 << 24)
MAX_RSS_KB = 200 * 1024
JOB = "import bigdata\nprint('BIGDATA', bigdata.ANSWER)\n"
MEASURE = """\
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
print("MAXRSS", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


class _Holes(io.RawIOBase):
    """A file written through zipfile where a block of zeros becomes a hole (a seek)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if data is ZEROS or (len(data) >= 4096 and data.count(0) == len(data)):
            self.raw.seek(len(data), io.SEEK_CUR)
        else:
            self.raw.write(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def flush(self) -> None:
        self.raw.flush()


def _small_archive(tmp_path: Path) -> Path:
    """The job and its one dependency, bigdata 1.0, built as any archive is."""
    wheels = tmp_path / "wheels"
    write_wheel(WheelSpec("bigdata", files={"bigdata/__init__.py": "ANSWER = 42\n"}), wheels)
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    digest, _ = hash_stream(io.BytesIO(JOB.encode()))
    manifest = Manifest(target=Target.parse("3.11"), entry_points=("main.py",),
                        cmd="python main.py",
                        requirements=(Requirement("bigdata", "1.0", direct=True),),
                        local_files=(LocalFile("main.py", digest, len(JOB)),))
    fetcher = WheelFetcher(cache=wheels, no_index=True, prove=False)
    return build(manifest, SourceMap.beside(manifest, job), tmp_path / "small.jobpack.zip",
                 wheels=fetcher).path


def _big_archive(small: Path, out: Path) -> None:
    """`small` with its layer written again: BLOB zeros (a hole) before its wheel."""
    with zipfile.ZipFile(small) as opened:
        spec = read_spec(opened)
        members = {name: opened.read(name) for name in opened.namelist()}
    [layer] = spec.layers
    inner = {f.path: Layers(small, spec, []).open(f.path).read() for f in layer.files}
    with out.open("wb") as raw:
        with zipfile.ZipFile(_Holes(raw), "w", zipfile.ZIP_STORED, allowZip64=True) as zipped:
            with zipped.open(member_info(PADDING, ZIP_EPOCH_DATE, BLOB), "w",
                             force_zip64=True) as padding:
                for _ in range(BLOB // len(ZEROS)):
                    padding.write(ZEROS)
            for name, data in sorted(inner.items()):
                zipped.writestr(member_info(name, ZIP_EPOCH_DATE, len(data)), data)
        size = raw.tell()
    with Slice(str(out), 0, size) as view:
        sha256, _ = hash_stream(view)  # type: ignore[arg-type]
    record = LayerRecord(sha256, size, (FileRecord(PADDING, BLOB_SHA256, BLOB), *layer.files))
    data = json.loads(members.pop(MANIFEST_NAME))
    data["layers"] = [record.to_dict()]
    head = io.BytesIO()  # on its own first, as the packager writes it: offsets from 0
    write_members(head, [Member.from_bytes(MANIFEST_NAME, json.dumps(data).encode()),
                         *(Member.from_bytes(n, d) for n, d in members.items())],
                  ZIP_EPOCH_DATE)
    with out.open("r+b") as stream:
        stream.seek(size)
        stream.write(head.getvalue())


def test_an_archive_over_4_gib_runs_with_bare_python3_311_and_312(tmp_path: Path) -> None:
    pythons = [python_or_skip(version) for version in PYTHONS]
    archive = tmp_path / "big.jobpack.zip"
    _big_archive(_small_archive(tmp_path), archive)
    assert archive.stat().st_size > 4 << 30
    assert archive.stat().st_blocks * 512 < 64 << 20  # a hole, not 4 GiB of disk
    start = zip_start(archive)
    assert start > 4 << 30  # the layer lies before the zip ...
    with archive.open("rb") as stream:
        stream.seek(start)
        head = stream.read()
    assert b"PK\x06\x06" not in head and b"PK\x06\x07" not in head  # ... which has no ZIP64
    for version, python, extra in zip(PYTHONS, pythons, ([], ["--allow-python-mismatch"]),
                                      strict=True):
        envs = tmp_path / f"envs-{version}"
        result = subprocess.run(
            [str(python), "-c", MEASURE, str(python), str(archive), "--offline",
             "--env-cache", str(envs), *extra],
            cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True, text=True, timeout=1800, check=False)
        assert result.returncode == 0, result.stderr
        assert "BIGDATA 42" in result.stdout
        assert "checking 1 dependency layer (4362.1 MB)" in result.stderr
        max_rss = int(result.stderr.rsplit("MAXRSS ", 1)[1].split()[0])
        assert max_rss <= MAX_RSS_KB, result.stderr  # memory bounded, whatever the size
