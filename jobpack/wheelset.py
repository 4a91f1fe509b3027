"""What a set of wheels must be to install together: one check, on both sides.

The packager runs it on the wheels it is about to bundle, the runner on the bundled wheels
before it installs them, so what the VM would refuse the build refuses first, in the same
words. Per wheel: one `.dist-info` folder with `WHEEL` (Wheel-Version 1.x) and `RECORD`,
no absolute or `..` member paths, only the known `.data` folders. Across wheels: no two
write one installed path with different bytes (the same bytes, as pkgutil-style namespace
`__init__.py` files have, are fine). Only central directories and the small metadata
files are read.

Standard library only, Python 3.8+: it travels inside every archive beside the runner.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from email.parser import HeaderParser
from typing import IO, TYPE_CHECKING

SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
if TYPE_CHECKING:  # the runner runs on Python 3.8: no dict[...] outside annotations
    Paths = dict[str, str | None]  # installed path -> RECORD's sha256 (None: unknown)


class WheelSetError(ValueError):
    """A wheel, or a set of wheels, that cannot be installed; one line."""

    def __init__(self, wheel: str, why: str) -> None:
        super().__init__(f"cannot install {wheel}: {why}")


def installed_paths(name: str, wheel: str | IO[bytes]) -> Paths:
    """Where each member of the wheel `name` lands, relative to the environment
    (`site/...`, `scripts/...`, `data/...`, `headers/DIST/...`), with RECORD's digest."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            return _paths(name, archive)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise WheelSetError(name, f"not a readable wheel ({exc})") from None


def _paths(name: str, archive: zipfile.ZipFile) -> Paths:
    dist_info = dist_info_folder(name, archive)
    version = str(HeaderParser().parsestr(_text(name, archive, dist_info + "/WHEEL"))
                  .get("Wheel-Version", "")).strip()
    if not re.match(r"^1(\.\d+)*$", version):
        raise WheelSetError(name, f"Wheel-Version {version or '(none)'} is not 1.x")
    known = record_digests(_text(name, archive, dist_info + "/RECORD"))
    data_dir = dist_info[: -len(".dist-info")] + ".data"
    paths: Paths = {}
    for info in archive.infolist():
        if info.filename.endswith("/"):
            continue
        parts = member_parts(name, info.filename)
        place = ["site", *parts]
        if parts[0] == data_dir and len(parts) > 2:
            if parts[1] not in SCHEME_KEYS:
                raise WheelSetError(name, f"unknown .data folder {parts[1]!r}")
            key = "site" if parts[1] in ("purelib", "platlib") else parts[1]
            extra = [dist_info.split("-")[0]] if key == "headers" else []
            place = [key, *extra, *parts[2:]]
        digest = known.get(info.filename)
        paths["/".join(place)] = digest[0] if digest and digest[1] == info.file_size else None
    return paths


def dist_info_folder(name: str, archive: zipfile.ZipFile) -> str:
    folders = {n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/WHEEL")
               and n.count("/") == 1}
    if len(folders) != 1:
        raise WheelSetError(name, f"expected one .dist-info folder with a WHEEL file, found "
                            f"{len(folders)}")
    return folders.pop()


def member_parts(name: str, member: str) -> list[str]:
    """The `/`-separated parts of a member path; refuses what could leave its folder."""
    if member.startswith("/") or "\\" in member or "\x00" in member:
        raise WheelSetError(name, f"refusing the absolute or odd path {member!r}")
    parts = member.split("/")
    if ".." in parts or "" in parts or "." in parts:
        raise WheelSetError(name, f"refusing the path {member!r} (leaves its folder)")
    return parts


def record_digests(text: str) -> dict[str, tuple[str, int]]:
    """A wheel's RECORD: path -> (hash, size), for the rows that have both."""
    known: dict[str, tuple[str, int]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 3 and row[1].startswith("sha256=") and row[2].isdigit():
            known[row[0]] = (row[1], int(row[2]))
    return known


def _text(name: str, archive: zipfile.ZipFile, member: str) -> str:
    try:
        return archive.read(member).decode("utf-8")
    except KeyError:
        raise WheelSetError(name, f"no {member}") from None
    except UnicodeDecodeError:
        raise WheelSetError(name, f"{member} is not UTF-8") from None


def check_wheel_set(wheels: Iterable[tuple[str, str | IO[bytes]]]) -> None:
    """Raise `WheelSetError` for the first wheel that cannot be installed, alone or
    beside the wheels before it (in the order given: sort them for stable words)."""
    owners: dict[str, tuple[str, str | None]] = {}
    for name, wheel in wheels:
        for path, digest in sorted(installed_paths(name, wheel).items()):
            if path.endswith(".dist-info/RECORD"):
                continue  # rewritten by the installer, per wheel
            owner, known = owners.setdefault(path, (name, digest))
            if owner != name and (digest is None or digest != known):
                raise WheelSetError(name, f"{owner} installs {path} too")
