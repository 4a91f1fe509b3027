"""Trust nothing in an archive before checking it against its manifest.

`read_manifest` reads and checks `jobpack.json`; `check_members` checks every zip header
against the manifest's `files` before a byte is written; `verify` recomputes every digest
(for `jobpack verify`) and lists the problems instead of stopping at the first.
"""

from __future__ import annotations

import json
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from jobpack.layout import (
    CHUNK,
    MANIFEST_NAME,
    SCHEMA,
    FileRecord,
    OptionalRecord,
    SizeExceeded,
    WheelRecord,
    hash_stream,
)

from .errors import RunnerError, UnsafeMember

MAX_MANIFEST = 64 * 1024 * 1024
MAX_TOTAL = 64 * 1024 * 1024 * 1024  # unpacked bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The archive's manifest as a dict, after checking its size, JSON and schema."""
    try:
        info = archive.getinfo(MANIFEST_NAME)
    except KeyError:
        raise RunnerError(f"not a jobpack archive: no {MANIFEST_NAME}") from None
    if info.file_size > MAX_MANIFEST:
        raise UnsafeMember(MANIFEST_NAME, "manifest is too large")
    with archive.open(info) as handle:
        raw = handle.read(MAX_MANIFEST + 1)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise RunnerError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise RunnerError(f"{MANIFEST_NAME}: unsupported schema (this runner reads {SCHEMA})")
    if not isinstance(manifest.get("files"), list):
        raise RunnerError(f"{MANIFEST_NAME}: no list of files")
    return manifest


def file_records(manifest: dict[str, Any]) -> dict[str, FileRecord]:
    """The manifest's `files`, by member name; every name checked by `check_name`."""
    records: dict[str, FileRecord] = {}
    for entry in manifest["files"]:
        try:
            record = FileRecord.from_dict(entry)
        except ValueError as exc:
            raise RunnerError(f"{MANIFEST_NAME}: malformed files entry: {exc}") from None
        check_name(record.path)
        records[record.path] = record
    return records


def wheel_records(manifest: dict[str, Any]) -> list[WheelRecord]:
    """The manifest's bundled `wheels`; each names members listed in `files`."""
    files = {str(entry.get("path")) for entry in manifest["files"] if isinstance(entry, dict)}
    entries = manifest.get("wheels") or []
    if not isinstance(entries, list):
        raise RunnerError(f"{MANIFEST_NAME}: wheels is not a list")
    records = []
    for entry in entries:
        try:
            record = WheelRecord.from_dict(entry)
        except ValueError as exc:
            raise RunnerError(f"{MANIFEST_NAME}: malformed wheels entry: {exc}") from None
        for member in (record.file, record.bytecode):
            if member is not None and member not in files:
                raise RunnerError(f"{MANIFEST_NAME}: bundled file {member!r} is not among "
                                  "the files")
        records.append(record)
    return records


def optional_records(manifest: dict[str, Any]) -> list[OptionalRecord]:
    """The manifest's `optional` tier; a bundled wheel must be among `files`."""
    files = {str(entry.get("path")) for entry in manifest["files"] if isinstance(entry, dict)}
    entries = manifest.get("optional") or []
    if not isinstance(entries, list):
        raise RunnerError(f"{MANIFEST_NAME}: optional is not a list")
    records = []
    for entry in entries:
        try:
            record = OptionalRecord.from_dict(entry)
        except ValueError as exc:
            raise RunnerError(f"{MANIFEST_NAME}: malformed optional entry: {exc}") from None
        if record.wheel is not None and record.wheel not in files:
            raise RunnerError(f"{MANIFEST_NAME}: bundled file {record.wheel!r} is not among "
                              "the files")
        records.append(record)
    return records


def check_name(name: str) -> None:
    """Refuse names that could write outside the folder they are unpacked into."""
    if not name or "\x00" in name or "\\" in name:
        raise UnsafeMember(name, "invalid characters in the name")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeMember(name, "absolute path")
    parts = PurePosixPath(name).parts
    if any(part in {"..", "."} for part in parts) or name.endswith("/") or "//" in name:
        raise UnsafeMember(name, "path leaves the archive folder or is not a plain file")


def check_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, FileRecord]:
    """Check every zip header against the manifest before a byte is written."""
    expected = file_records(manifest)
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


def verify(path: str | Path) -> list[str]:
    """Every problem with an archive (digests included), without unpacking it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _problems(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path}: not a readable zip archive: {exc}"]
    except RunnerError as exc:
        return [str(exc)]


def _problems(archive: zipfile.ZipFile) -> list[str]:
    manifest = read_manifest(archive)
    expected = {str(e.get("path")): e for e in manifest["files"] if isinstance(e, dict)}
    names = [i.filename for i in archive.infolist()]
    problems = [f"{name}: unexpected member, not in the manifest"
                for name in sorted(set(names) - set(expected) - {MANIFEST_NAME})]
    problems += [f"{name}: missing from the archive" for name in sorted(set(expected) - set(names))]
    for name in sorted(set(expected) & set(names)):
        size = expected[name].get("size")
        try:
            check_name(name)
            with archive.open(name) as handle:
                digest, _ = hash_stream(handle, limit=size if isinstance(size, int) else 0)
        except UnsafeMember as exc:
            problems.append(f"{name}: {exc}")
            continue
        except SizeExceeded:
            problems.append(f"{name}: more data than the manifest says")
            continue
        if digest != expected[name].get("sha256"):
            problems.append(f"{name}: content differs from the manifest")
    return problems
