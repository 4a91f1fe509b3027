"""Install wheels the way the wheel spec says, with the standard library alone.

Used whenever every pin has a bundled wheel: no pip, no network, no byte-compiling. Per
wheel: check `WHEEL` (version 1.x), refuse absolute and `..` paths, copy each file to its
scheme folder (`.data/{purelib,platlib,scripts,data,headers}` spread out), restore the
executable bits `zipfile` drops, rewrite `#!python` shebangs, generate `console_scripts` and
`gui_scripts` from `entry_points.txt`, keep `.pth` files where they are, write `INSTALLER`
and `RECORD`. Two wheels writing one path is an error, not a silent overwrite.
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
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import IO, TypeVar

from .errors import RunnerError

T = TypeVar("T")
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
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


class Installer:
    """Installs wheels into one scheme and remembers which wheel wrote which path."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme
        self._owners: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.Lock()

    def install(self, wheel: Path | IO[bytes], name: str = "") -> int:
        """Install one wheel (a path or an open file); return how many files it wrote."""
        with zipfile.ZipFile(wheel) as archive:
            label = name or (wheel.name if isinstance(wheel, Path) else "a wheel")
            return _WheelInstall(self, label, archive).run()

    def run_all(self, install: Callable[[T], object], items: list[T], workers: int) -> None:
        """`install` each item on up to `workers` threads; the first error stops the rest
        from starting and is raised once the running ones are done."""
        stop = threading.Event()

        def guarded(item: T) -> None:
            if not stop.is_set():
                install(item)

        with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
            futures = [pool.submit(guarded, item) for item in items]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                stop.set()
                raise

    def claim(self, path: Path, wheel: str, digest: str | None) -> None:
        """Refuse a second wheel writing `path`, unless both write the same bytes (the
        `__init__.py` of a pkgutil-style namespace package)."""
        key = os.path.normpath(str(path))
        with self._lock:
            owner, known = self._owners.setdefault(key, (wheel, digest))
        if owner != wheel and (digest is None or digest != known):
            raise WheelError(wheel, f"{owner} installs {path} too")


class _WheelInstall:
    def __init__(self, installer: Installer, name: str, archive: zipfile.ZipFile) -> None:
        self.installer = installer
        self.scheme = installer.scheme
        self.name = name
        self.archive = archive
        self.dist_info = _dist_info(name, archive)
        self.data_dir = self.dist_info[: -len(".dist-info")] + ".data"
        wheel_meta = HeaderParser().parsestr(self._text(self.dist_info + "/WHEEL"))
        version = str(wheel_meta.get("Wheel-Version", "")).strip()
        if not re.match(r"^1(\.\d+)*$", version):
            raise WheelError(name, f"Wheel-Version {version or '(none)'} is not 1.x")
        purelib = str(wheel_meta.get("Root-Is-Purelib", "")).strip().lower() == "true"
        self.root = self.scheme.purelib if purelib else self.scheme.platlib
        self.known = _record(self._text(self.dist_info + "/RECORD"))
        self.written: list[tuple[str, str, int]] = []

    def run(self) -> int:
        record_name = self.dist_info + "/RECORD"
        for info in self.archive.infolist():
            if info.filename.endswith("/") or info.filename == record_name:
                continue
            self._extract(info)
        self._entry_points()
        self._write(self.root / self.dist_info / "INSTALLER", b"jobpack\n", False)
        self._write_record()
        return len(self.written)

    def _text(self, member: str) -> str:
        try:
            return self.archive.read(member).decode("utf-8")
        except KeyError:
            raise WheelError(self.name, f"no {member}") from None

    def _destination(self, member: str) -> tuple[Path, str]:
        if member.startswith("/") or "\\" in member or "\x00" in member:
            raise WheelError(self.name, f"refusing the absolute or odd path {member!r}")
        parts = member.split("/")
        if ".." in parts or "" in parts:
            raise WheelError(self.name, f"refusing the path {member!r} (leaves its folder)")
        if parts[0] == self.data_dir and len(parts) > 2:
            key = parts[1]
            if key not in SCHEME_KEYS:
                raise WheelError(self.name, f"unknown .data folder {key!r}")
            base = self.scheme.folder(key)
            if key == "headers":
                base = base / self.dist_info.split("-")[0]
            return base.joinpath(*parts[2:]), key
        return self.root.joinpath(*parts), "root"

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
        self.installer.claim(target, self.name, known[0] if known else None)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.archive.open(info) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        if executable:
            target.chmod(0o755)
        if known is not None:
            self.written.append((self._relative(target), known[0], info.file_size))
        else:
            self.written.append((self._relative(target), *_hash_file(target)))

    def _write(self, target: Path, data: bytes, executable: bool) -> None:
        digest = _hash(data)
        self.installer.claim(target, self.name, digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if executable else 0o644)
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
                    self._write(self.scheme.scripts / script, self._launcher(script, value), True)

    def _launcher(self, script: str, value: str) -> bytes:
        match = _ENTRY.match(value)
        if match is None or not match.group("attr"):
            raise WheelError(self.name, f"entry point {script} = {value!r} is not module:attr")
        module, attr = match.group("module"), match.group("attr")
        head = attr.split(".")[0]
        body = (f"import sys\nfrom {module} import {head}\n\n"
                f"if __name__ == '__main__':\n    sys.exit({attr}())\n")
        return _shebang(self.scheme.python) + body.encode()

    def _relative(self, target: Path) -> str:
        return Path(os.path.relpath(target, self.root)).as_posix()

    def _write_record(self) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for path, digest, size in sorted(self.written):
            writer.writerow((path, digest, size))
        writer.writerow((posixpath.join(self.dist_info, "RECORD"), "", ""))
        target = self.root / self.dist_info / "RECORD"
        self.installer.claim(target, self.name, None)
        target.write_text(out.getvalue(), encoding="utf-8")


def _dist_info(name: str, archive: zipfile.ZipFile) -> str:
    folders = {n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/WHEEL")
               and n.count("/") == 1}
    if len(folders) != 1:
        raise WheelError(name, f"expected one .dist-info folder with a WHEEL file, found "
                         f"{len(folders)}")
    return folders.pop()


def _record(text: str) -> dict[str, tuple[str, int]]:
    """The wheel's RECORD: path -> (hash, size), reused for files copied unchanged."""
    known: dict[str, tuple[str, int]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 3 and row[1].startswith("sha256=") and row[2].isdigit():
            known[row[0]] = (row[1], int(row[2]))
    return known


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _hash_file(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return _hash(data), len(data)


def _shebang(python: str) -> bytes:
    """`#!python` for this environment; a /bin/sh trampoline when the path is too long or
    has spaces, which the kernel's shebang parsing cannot take."""
    if len(python) < 120 and " " not in python:
        return f"#!{python}\n".encode()
    return f"#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n".encode()
