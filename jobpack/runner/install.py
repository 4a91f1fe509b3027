"""Install wheels the way the wheel spec says, with the standard library alone.

Used whenever every pin has a bundled wheel: no pip, no network, no compiling. Per
wheel: check `WHEEL` (version 1.x), refuse absolute and `..` paths, copy each file to its
scheme folder (`.data/{purelib,platlib,scripts,data,headers}` spread out), restore the
executable bits `zipfile` drops, rewrite `#!python` shebangs, generate `console_scripts` and
`gui_scripts` from `entry_points.txt`, keep `.pth` files where they are, add the bytecode
the packager compiled for the modules the job imports, write `INSTALLER` and `RECORD`. Two
wheels writing one path is an error, not a silent overwrite.
"""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import os
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jobpack.wheelset import SCHEME_KEYS, WheelHead, WheelSetError, member_parts

from .errors import RunnerError

_ENTRY = re.compile(r"^\s*(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+))?\s*(?:\[.*\])?\s*$")


class WheelError(RunnerError):
    def __init__(self, wheel: str, why: str) -> None:
        super().__init__(f"cannot install {wheel}: {why}")


@dataclass(frozen=True)
class Scheme:
    """Where each kind of file goes, and the interpreter scripts' shebangs name (the
    environment's final path: it may be built elsewhere and renamed into place)."""

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path
    python: str

    def folder(self, key: str) -> Path:
        return Path(getattr(self, key))


if TYPE_CHECKING:  # the runner runs on Python 3.8: no dict[...] outside annotations
    Claims = dict[str, tuple[str, str | None]]  # path -> (wheel, sha256 or None)


class Installer:
    """Installs wheels into one scheme and remembers which wheel wrote which path."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme
        self.owners: Claims = {}

    def install(self, wheel: Path | IO[bytes], name: str = "",
                bytecode: IO[bytes] | None = None) -> Claims:
        """Install one wheel (a path or an open file), and the compiled bytecode of its
        modules when given (a zip of `__pycache__/*.pyc` files laid out like the wheel's
        root); return the paths this wheel claimed."""
        with zipfile.ZipFile(wheel) as archive:
            label = name or (wheel.name if isinstance(wheel, Path) else "a wheel")
            job = _WheelInstall(self, label, archive)
            job.run(bytecode)
            return job.claims

    def claim(self, path: str, wheel: str, digest: str | None) -> None:
        """Refuse a second wheel writing `path`, unless both write the same bytes (the
        `__init__.py` of a pkgutil-style namespace package)."""
        key = os.path.normpath(path)
        owner, known = self.owners.setdefault(key, (wheel, digest))
        if owner != wheel and (digest is None or digest != known):
            raise WheelError(wheel, f"{owner} installs {path} too")

    def merge(self, claims: Claims) -> None:
        """Take the claims of a wheel installed elsewhere (another process)."""
        for path, (wheel, digest) in claims.items():
            self.claim(path, wheel, digest)


class _WheelInstall:
    def __init__(self, installer: Installer, name: str, archive: zipfile.ZipFile) -> None:
        self.installer = installer
        self.scheme = installer.scheme
        self.name = name
        self.archive = archive
        try:  # the same reading, and the same words, as the build's wheel-set check
            head = WheelHead(name, archive)
        except WheelSetError as exc:
            raise WheelError(name, exc.why) from None
        self.dist_info, self.data_dir = head.dist_info, head.data_dir
        self.root = str(self.scheme.purelib if head.purelib else self.scheme.platlib)
        self.known = head.record
        self.written: list[tuple[str, str, int]] = []
        self.claims: Claims = {}
        self.folders: set[str] = set()

    def run(self, bytecode: IO[bytes] | None = None) -> None:
        record_name = self.dist_info + "/RECORD"
        for info in self.archive.infolist():
            if info.filename.endswith("/") or info.filename == record_name:
                continue
            self._extract(info)
        self._entry_points()
        if bytecode is not None:
            self._bytecode(bytecode)
        self._write(os.path.join(self.root, self.dist_info, "INSTALLER"), b"jobpack\n", False)
        self._write_record()

    def _claim(self, target: str, digest: str | None) -> None:
        self.installer.claim(target, self.name, digest)
        self.claims[os.path.normpath(target)] = (self.name, digest)

    def _parts(self, member: str) -> list[str]:
        try:
            return member_parts(self.name, member)
        except WheelSetError as exc:
            raise WheelError(self.name, exc.why) from None

    def _destination(self, member: str) -> tuple[str, str]:
        parts = self._parts(member)
        if parts[0] == self.data_dir and len(parts) > 2:
            key = parts[1]
            if key not in SCHEME_KEYS:
                raise WheelError(self.name, f"unknown .data folder {key!r}")
            base = str(self.scheme.folder(key))
            if key == "headers":
                base = os.path.join(base, self.dist_info.split("-")[0])
            return os.path.join(base, *parts[2:]), key
        return os.path.join(self.root, *parts), "root"

    def _folder(self, target: str) -> None:
        folder = os.path.dirname(target)
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)

    def _extract(self, info: zipfile.ZipInfo) -> None:
        target, key = self._destination(info.filename)
        executable = bool((info.external_attr >> 16) & 0o111)
        if key == "scripts":
            data = self.archive.read(info)
            if re.match(rb"^#!pythonw?(\r?\n| )", data):
                data = _shebang(self.scheme.python) + data.split(b"\n", 1)[1]
            self._write(target, data, True)
            return
        known = self.known.get(info.filename)
        if known is not None and known[1] != info.file_size:
            known = None
        self._claim(target, known[0] if known else None)
        self._folder(target)
        with self.archive.open(info) as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        if executable:
            os.chmod(target, 0o755)
        relative = info.filename if key == "root" else self._relative(target)
        if known is not None:
            self.written.append((relative, known[0], info.file_size))
        else:
            self.written.append((relative, *_hash_file(target)))

    def _bytecode(self, bytecode: IO[bytes]) -> None:
        """Compiled modules, made by the packager from this wheel's own sources: each
        `.pyc` goes into the `__pycache__` beside its source, and into RECORD."""
        with zipfile.ZipFile(bytecode) as archive:
            for info in archive.infolist():
                parts = self._parts(info.filename)
                if len(parts) < 2 or parts[-2] != "__pycache__" \
                        or not parts[-1].endswith(".pyc"):
                    raise WheelError(self.name, f"bytecode member {info.filename!r} is not "
                                     "a __pycache__/*.pyc file")
                self._write(os.path.join(self.root, *parts), archive.read(info), False)

    def _write(self, target: str, data: bytes, executable: bool) -> None:
        digest = _hash(data)
        self._claim(target, digest)
        self._folder(target)
        with open(target, "wb") as sink:
            sink.write(data)
        os.chmod(target, 0o755 if executable else 0o644)
        self.written.append((self._relative(target), digest, len(data)))

    def _entry_points(self) -> None:
        try:
            text = self.archive.read(self.dist_info + "/entry_points.txt").decode("utf-8")
        except KeyError:
            return
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            raise WheelError(self.name, f"entry_points.txt: {exc}") from None
        for section in ("console_scripts", "gui_scripts"):
            if parser.has_section(section):
                for script, value in parser.items(section):
                    self._write(os.path.join(self.scheme.scripts, script),
                                self._launcher(script, value), True)

    def _launcher(self, script: str, value: str) -> bytes:
        match = _ENTRY.match(value)
        if match is None or not match.group("attr"):
            raise WheelError(self.name, f"entry point {script} = {value!r} is not module:attr")
        module, attr = match.group("module"), match.group("attr")
        head = attr.split(".")[0]
        body = (f"import sys\nfrom {module} import {head}\n\n"
                f"if __name__ == '__main__':\n    sys.exit({attr}())\n")
        return _shebang(self.scheme.python) + body.encode()

    def _relative(self, target: str) -> str:
        return os.path.relpath(target, self.root).replace(os.sep, "/")

    def _write_record(self) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for path, digest, size in sorted(self.written):
            writer.writerow((path, digest, size))
        writer.writerow((posixpath.join(self.dist_info, "RECORD"), "", ""))
        target = os.path.join(self.root, self.dist_info, "RECORD")
        self._claim(target, None)
        with open(target, "w", encoding="utf-8") as sink:
            sink.write(out.getvalue())


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _hash_file(path: str) -> tuple[str, int]:
    """RECORD's hash of a file, read in chunks: memory stays bounded whatever its size."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=")
    return "sha256=" + encoded.decode(), size


def _shebang(python: str) -> bytes:
    """`#!python` for this environment; a /bin/sh trampoline when the path is too long or
    has spaces, which the kernel's shebang parsing cannot take."""
    if len(python) < 120 and " " not in python:
        return f"#!{python}\n".encode()
    return f"#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n".encode()
