"""Trust nothing in an archive before checking it against its manifest.

`read_spec` reads `jobpack.json` once, into the typed `RunSpec`; `check_members` checks
every zip header against its `files` before a byte is written; `verify` recomputes every
digest, layers included (for `jobpack verify`), and lists the problems instead of
stopping at the first.
"""

from __future__ import annotations

import json
import stat
import tempfile
import zipfile
from pathlib import Path

from jobpack.layout import (
    CHUNK,
    MANIFEST_NAME,
    FileRecord,
    RunSpec,
    SizeExceeded,
    hash_stream,
    member_problem,
)

from .errors import RunnerError, UnsafeMember

MAX_MANIFEST = 64 * 1024 * 1024
MAX_TOTAL = 64 * 1024 * 1024 * 1024  # unpacked bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB


def read_spec(archive: zipfile.ZipFile) -> RunSpec:
    """The archive's run spec, after checking the manifest's size, JSON, schema and
    records, and that the wheels name members of the layers."""
    try:
        info = archive.getinfo(MANIFEST_NAME)
    except KeyError:
        raise RunnerError(f"not a jobpack archive: no {MANIFEST_NAME}") from None
    if info.file_size > MAX_MANIFEST:
        raise UnsafeMember(MANIFEST_NAME, "manifest is too large")
    with archive.open(info) as handle:
        raw = handle.read(MAX_MANIFEST + 1)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise RunnerError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
    try:
        spec = RunSpec.of_archive(data)
    except ValueError as exc:
        raise RunnerError(f"{MANIFEST_NAME}: {exc}") from None
    _check_records(spec)
    return spec


def _check_records(spec: RunSpec) -> None:
    for record in spec.files:
        check_name(record.path)
    bundled = spec.layer_files()
    for name in bundled:
        check_name(name)
    for wheel in spec.wheels:
        for member in (wheel.file, wheel.bytecode):
            if member is not None and member not in bundled:
                raise RunnerError(f"{MANIFEST_NAME}: bundled file {member!r} is in no "
                                  "dependency layer")
    for optional in spec.optional:
        if optional.wheel is not None and optional.wheel not in bundled:
            raise RunnerError(f"{MANIFEST_NAME}: bundled file {optional.wheel!r} is in no "
                              "dependency layer")


def check_name(name: str) -> None:
    """Refuse names that could write outside the folder they are unpacked into."""
    problem = member_problem(name)
    if problem is not None:
        raise UnsafeMember(name, problem)


def check_members(archive: zipfile.ZipFile, spec: RunSpec) -> dict[str, FileRecord]:
    """Check every zip header against the spec's `files` before a byte is written."""
    expected = {record.path: record for record in spec.files}
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        check_name(name)
        if name in seen:
            raise UnsafeMember(name, "duplicate member name")
        seen.add(name)
        _check_kind(info)
        if name == MANIFEST_NAME:
            continue
        record = expected.get(name)
        if record is None:
            raise UnsafeMember(name, "not listed in the manifest")
        if info.file_size != record.size:
            raise UnsafeMember(name, "size differs from the manifest")
        if info.file_size > CHUNK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeMember(name, "compression ratio too high (zip bomb?)")
        total += info.file_size
        if total > MAX_TOTAL:
            raise UnsafeMember(name, "archive unpacks to more than the size limit")
    missing = sorted(set(expected) - seen)
    if missing:
        raise RunnerError(f"archive member {missing[0]!r} is listed in the manifest but missing")
    return expected


def _check_kind(info: zipfile.ZipInfo) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool set no type
    if (kind and kind != stat.S_IFREG) or info.external_attr & 0x10:  # 0x10: DOS folder
        why = "symlink" if kind == stat.S_IFLNK else "device, folder or other special file"
        raise UnsafeMember(info.filename, why)


def verify(path: str | Path, layers: str | None = None) -> list[str]:
    """Every problem with an archive (digests included, of its layers and of every
    member in them), without unpacking it. `layers`: folders of layers sent apart."""
    try:
        with zipfile.ZipFile(path) as archive:
            spec = read_spec(archive)
            problems = _problems(archive, spec)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path}: not a readable zip archive: {exc}"]
    except RunnerError as exc:
        return [str(exc)]
    from .layers import Layers, search_folders

    with tempfile.TemporaryDirectory(prefix="jobpack-layers-") as scratch:
        found = Layers(Path(path), spec, search_folders(Path(path), layers), Path(scratch))
        try:
            found.check()
            for name, (_, record) in sorted(found.members.items()):
                with found.open(name) as handle:
                    problems += _digest_problems(name, handle, record)
        except (RunnerError, zipfile.BadZipFile, KeyError, OSError) as exc:
            problems.append(str(exc))
    return problems


def _problems(archive: zipfile.ZipFile, spec: RunSpec) -> list[str]:
    expected = {record.path: record for record in spec.files}
    names = [i.filename for i in archive.infolist()]
    problems = [f"{name}: unexpected member, not in the manifest"
                for name in sorted(set(names) - set(expected) - {MANIFEST_NAME})]
    problems += [f"{name}: missing from the archive" for name in sorted(set(expected) - set(names))]
    for name in sorted(set(expected) & set(names)):
        try:
            check_name(name)
            with archive.open(name) as handle:
                problems += _digest_problems(name, handle, expected[name])
        except UnsafeMember as exc:
            problems.append(f"{name}: {exc}")
    return problems


def _digest_problems(name: str, handle: object, record: FileRecord) -> list[str]:
    try:
        digest, _ = hash_stream(handle, limit=record.size)  # type: ignore[arg-type]
    except SizeExceeded:
        return [f"{name}: more data than the manifest says"]
    return [] if digest == record.sha256 else [f"{name}: content differs from the manifest"]
