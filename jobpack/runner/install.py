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

import csv
import io
import os
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jobpack.wheelset import SCHEME_KEYS, Listing, WheelHead, WheelSetError, member_parts

from .errors import RunnerError
from .members import Members, deal, hash_file, record_hash

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
        return self.install_part(wheel, name, bytecode).claims

    def install_part(self, wheel: Path | IO[bytes], name: str = "",
                     bytecode: IO[bytes] | None = None, part: int = 0, parts: int = 1,
                     listing: Listing | None = None) -> Part:
        """Install part `part` of `parts` of a wheel's files (`members.deal`); part 0
        adds its scripts and bytecode. A wheel in one part is finished here (`INSTALLER`,
        `RECORD`); one in several is finished by `finish` once every part is done.
        `listing` is the wheel as the wheel-set check read it (else it is read here)."""
        label = name or (wheel.name if isinstance(wheel, Path) else "a wheel")
        job = _WheelInstall(self, label, wheel, listing)
        members = Members(wheel)
        try:
            job.run(members, part, parts, bytecode if part == 0 else None)
        finally:
            members.close()
            job.close()
        return Part(label, job.dist_info, job.root, job.claims, job.written)

    def finish(self, pieces: list[Part]) -> None:
        """Take the claims of a wheel installed in `pieces` (its parts, from any
        processes), refusing a path two of them wrote, then write its `INSTALLER` and
        `RECORD`."""
        first = pieces[0]
        seen: set[str] = set()
        for piece in pieces:
            for path in piece.claims:
                if path in seen:
                    raise WheelError(first.name, f"two of its members write {path}")
                seen.add(path)
            self.merge(piece.claims)
        _Finish(self, first.name, first.dist_info, first.root,
                written=[row for piece in pieces for row in piece.written]).finish()

    def claim(self, path: str, wheel: str, digest: str | None) -> str:
        """Refuse a second wheel writing `path`, unless both write the same bytes (the
        `__init__.py` of a pkgutil-style namespace package); the path as claimed."""
        key = os.path.normpath(path)
        owner, known = self.owners.setdefault(key, (wheel, digest))
        if owner != wheel and (digest is None or digest != known):
            raise WheelError(wheel, f"{owner} installs {path} too")
        return key

    def merge(self, claims: Claims) -> None:
        """Take the claims of a wheel installed elsewhere (another process)."""
        for path, (wheel, digest) in claims.items():
            self.claim(path, wheel, digest)


@dataclass(frozen=True)
class Part:
    """What installing (part of) a wheel did: the paths it claimed and RECORD's rows."""

    name: str
    dist_info: str
    root: str
    claims: Claims
    written: list[tuple[str, str, int]]


class _Finish:
    """Writes files of one wheel, claiming each, and finally its `INSTALLER` and `RECORD`."""

    def __init__(self, installer: Installer, name: str, dist_info: str, root: str,
                 claims: Claims | None = None,
                 written: list[tuple[str, str, int]] | None = None) -> None:
        self.installer = installer
        self.scheme = installer.scheme
        self.name, self.dist_info, self.root = name, dist_info, root
        self.claims: Claims = {} if claims is None else claims
        self.written = [] if written is None else written
        self.folders: set[str] = set()

    def finish(self) -> None:
        self._write(os.path.join(self.root, self.dist_info, "INSTALLER"), b"jobpack\n", False)
        self._write_record()

    def _claim(self, target: str, digest: str | None) -> None:
        self.claims[self.installer.claim(target, self.name, digest)] = (self.name, digest)

    def _folder(self, target: str) -> None:
        folder = os.path.dirname(target)
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)

    def _write(self, target: str, data: bytes, executable: bool) -> None:
        digest = record_hash(data)
        self._claim(target, digest)
        self._folder(target)
        with open(target, "wb") as sink:
            sink.write(data)
        os.chmod(target, 0o755 if executable else 0o644)
        self.written.append((self._relative(target), digest, len(data)))

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


class _WheelInstall(_Finish):
    def __init__(self, installer: Installer, name: str, wheel: Path | IO[bytes],
                 listing: Listing | None) -> None:
        self.source = wheel
        self._archive: zipfile.ZipFile | None = None
        if listing is None:
            try:  # the same reading, and the same words, as the build's wheel-set check
                listing = Listing(tuple(self.archive().infolist()), WheelHead(name, self.archive()))
            except WheelSetError as exc:
                raise WheelError(name, exc.why) from None
        head = listing.head
        root = os.path.normpath(installer.scheme.purelib if head.purelib
                                else installer.scheme.platlib)
        super().__init__(installer, name, head.dist_info, root)
        self.infos, self.data_dir, self.known = listing.infos, head.data_dir, head.record
        self.head = head

    def archive(self) -> zipfile.ZipFile:
        """The wheel through `zipfile`, opened when first needed (a listing kept from the
        check spares its central directory's parse)."""
        if self._archive is None:
            self._archive = zipfile.ZipFile(self.source)
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()

    def run(self, members: Members, part: int, parts: int,
            bytecode: IO[bytes] | None = None) -> None:
        record_name = self.dist_info + "/RECORD"
        infos = [info for info in self.infos
                 if not info.filename.endswith("/") and info.filename != record_name]
        for info in deal(infos, parts)[part] if parts > 1 else infos:
            self._extract(info, members)
        if part == 0:
            self._entry_points()
        if bytecode is not None:
            self._bytecode(bytecode)
        if parts == 1:
            self.finish()

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
        if os.sep == "/":  # the parts were checked (no "", ".", ".."): one join, not one a part
            return os.path.join(self.root, member), "root"
        return os.path.join(self.root, *parts), "root"

    def _extract(self, info: zipfile.ZipInfo, members: Members) -> None:
        target, key = self._destination(info.filename)
        if key == "scripts":
            data = members.read(info) if members.direct(info) else self.archive().read(info)
            if re.match(rb"^#!pythonw?(\r?\n| )", data):
                data = _shebang(self.scheme.python) + data.split(b"\n", 1)[1]
            self._write(target, data, True)
            return
        known = self.known.get(info.filename)
        if known is not None and known[1] != info.file_size:
            known = None
        self._claim(target, known[0] if known else None)
        self._folder(target)
        copied: bytes | None = None
        if members.direct(info):
            copied = members.copy(info, target)
        else:
            with self.archive().open(info) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        if (info.external_attr >> 16) & 0o111:
            os.chmod(target, 0o755)
        relative = info.filename if key == "root" else self._relative(target)
        if known is not None:
            self.written.append((relative, known[0], info.file_size))
        elif copied is not None:
            self.written.append((relative, record_hash(copied), len(copied)))
        else:
            self.written.append((relative, *hash_file(target)))

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

    def _entry_points(self) -> None:
        try:  # names checked as the build checks them: a launcher never leaves scripts/
            scripts = self.head.scripts(
                self.name, None if self.head.scripts_known else self.archive())
        except WheelSetError as exc:
            raise WheelError(self.name, exc.why) from None
        for script, value in scripts:
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


def _shebang(python: str) -> bytes:
    """`#!python` for this environment; a /bin/sh trampoline when the path is too long or
    has spaces, which the kernel's shebang parsing cannot take."""
    if len(python) < 120 and " " not in python:
        return f"#!{python}\n".encode()
    return f"#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n".encode()
