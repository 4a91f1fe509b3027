"""What a set of wheels must be to install together: one check, on both sides.

The packager runs it on the wheels it is about to bundle, the runner on the bundled wheels
before it installs them, so what the VM would refuse the build refuses first, in the same
words. Per wheel: one `.dist-info` folder with `WHEEL` (Wheel-Version 1.x) and `RECORD`,
no absolute or `..` member paths, only the known `.data` folders, console and GUI script
names in `entry_points.txt` that are plain file names (the installer writes a launcher
under each name), and (when the caller
says what the interpreter installs) tags it installs, both the file name's and the `Tag:`
lines of `WHEEL` (a wheel renamed `py3-none-any` keeps its macOS `Tag:`). The build asks
`packaging.tags` for the target; the runner asks `linux_accepts` (the same rules, in the
standard library) for the interpreter it runs. Across wheels: no two
write one installed path with different bytes (the same bytes, as pkgutil-style namespace
`__init__.py` files have, are fine). Only central directories and the small metadata
files are read.

Standard library only, Python 3.8+: it travels inside every archive beside the runner.
"""

from __future__ import annotations

import configparser
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import IO, TYPE_CHECKING

SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
if TYPE_CHECKING:  # the runner runs on Python 3.8: no dict[...] outside annotations
    Paths = dict[str, str | None]  # installed path -> RECORD's sha256 (None: unknown)
    Accepts = Callable[[str], bool]  # `cp311-cp311-manylinux_2_17_x86_64` -> installs?


class Interpreter:
    """What an interpreter installs (`accepts` a wheel tag) and its name in messages
    (`Python 3.11 on Linux x86_64`)."""

    def __init__(self, accepts: Accepts, name: str) -> None:
        self.accepts = accepts
        self.name = name


class WheelSetError(ValueError):
    """A wheel, or a set of wheels, that cannot be installed; one line."""

    def __init__(self, wheel: str, why: str) -> None:
        super().__init__(f"cannot install {wheel}: {why}")
        self.wheel = wheel
        self.why = why


@dataclass(frozen=True)
class Listing:
    """A wheel as read once: its central directory's members and its `WheelHead`, kept
    by the runner's check so the installer does not parse them again (torch's 12,248
    members took 0.2 s of CPU a read, once more per part it is installed in)."""

    infos: tuple[zipfile.ZipInfo, ...]
    head: WheelHead


def installed_paths(name: str, wheel: str | IO[bytes],
                    interpreter: Interpreter | None = None,
                    keep: dict[str, Listing] | None = None) -> Paths:
    """Where each member of the wheel `name` lands, relative to the environment
    (`site/...`, `scripts/...`, `data/...`, `headers/DIST/...`), with RECORD's digest;
    the wheel's `Listing` is put in `keep[name]` when given."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            head = WheelHead(name, archive)
            if keep is not None:
                keep[name] = Listing(tuple(archive.infolist()), head)
            return _paths(name, archive, head, interpreter)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise WheelSetError(name, f"not a readable wheel ({exc})") from None


class WheelHead:
    """What a wheel says of itself, read once for the build's check and the runner's
    installer: its `.dist-info` folder, its `WHEEL` file (Wheel-Version 1.x) and the
    digests its `RECORD` lists."""

    def __init__(self, name: str, archive: zipfile.ZipFile) -> None:
        self.dist_info = dist_info_folder(name, archive)
        self.wheel = HeaderParser().parsestr(_text(name, archive, self.dist_info + "/WHEEL"))
        version = str(self.wheel.get("Wheel-Version", "")).strip()
        if not re.match(r"^1(\.\d+)*$", version):
            raise WheelSetError(name, f"Wheel-Version {version or '(none)'} is not 1.x")
        self.record = record_digests(_text(name, archive, self.dist_info + "/RECORD"))
        self._scripts: list[tuple[str, str]] | None = None

    def scripts(self, name: str, archive: zipfile.ZipFile | None) -> list[tuple[str, str]]:
        """The `(script, module:attr)` launchers `entry_points.txt` asks for, console and
        GUI, in file order (read once: `archive` may be None after); a script name that is
        not a plain file name is refused, since the installer writes `scripts/NAME` (`../x`
        would land outside the folder)."""
        if self._scripts is None:
            if archive is None:
                raise WheelSetError(name, "its entry points were never read")
            self._scripts = self._read_scripts(name, archive)
        return self._scripts

    @property
    def scripts_known(self) -> bool:
        """Whether `scripts` was read already (it needs no archive then)."""
        return self._scripts is not None

    def _read_scripts(self, name: str, archive: zipfile.ZipFile) -> list[tuple[str, str]]:
        try:
            text = archive.read(self.dist_info + "/entry_points.txt").decode("utf-8")
        except KeyError:
            return []
        except UnicodeDecodeError:
            raise WheelSetError(name, "entry_points.txt is not UTF-8") from None
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            raise WheelSetError(name, f"entry_points.txt: {exc}") from None
        found = [(script, value) for section in ("console_scripts", "gui_scripts")
                 if parser.has_section(section) for script, value in parser.items(section)]
        for script, _ in found:
            if script in {"", ".", ".."} or re.search(r"[/\\\x00]", script):
                raise WheelSetError(name, f"refusing the entry point script name {script!r} "
                                    "(not a plain file name)")
        return found

    @property
    def data_dir(self) -> str:
        return self.dist_info[: -len(".dist-info")] + ".data"

    @property
    def purelib(self) -> bool:
        return str(self.wheel.get("Root-Is-Purelib", "")).strip().lower() == "true"


def _paths(name: str, archive: zipfile.ZipFile, head: WheelHead,
           interpreter: Interpreter | None) -> Paths:
    dist_info, known, data_dir = head.dist_info, head.record, head.data_dir
    if interpreter is not None:
        tags = head.wheel.get_all("Tag") or []
        _check_tags(name, [str(t).strip() for t in tags], interpreter)
    head.scripts(name, archive)
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


def filename_tag(name: str) -> str:
    """The (possibly compressed) tag in a wheel's file name: `py2.py3-none-any`."""
    parts = name[:-len(".whl")].split("-") if name.endswith(".whl") else []
    if len(parts) not in (5, 6):
        raise WheelSetError(name, "not a wheel file name (NAME-VERSION-PY-ABI-PLATFORM.whl)")
    return "-".join(parts[-3:])


def expand(tag: str) -> list[str]:
    """A compressed tag's tags: `py2.py3-none-any` is two."""
    pythons, abis, platforms = (part.split(".") for part in [*tag.split("-"), "", ""][:3])
    return [f"{p}-{a}-{f}" for p in pythons for a in abis for f in platforms]


def _check_tags(name: str, declared: list[str], interpreter: Interpreter) -> None:
    """The file name's tags, and `WHEEL`'s `Tag:` lines if any, each name a tag that
    `interpreter` installs."""
    for said in ([filename_tag(name)], declared):
        if said and not any(interpreter.accepts(t) for tag in said for t in expand(tag)):
            raise WheelSetError(name, f"tagged {', '.join(said)}, which "
                                f"{interpreter.name} does not install")


def linux_accepts(major: int, minor: int) -> Interpreter:
    """CPython `major.minor` on Linux x86_64, as `packaging.tags` sees it: its own
    `cpXY` ABI, `abi3` from CPython 3.2 up to it, pure `pyX`/`pyXY` up to it."""

    def accepts(tag: str) -> bool:
        python, _, rest = tag.partition("-")
        abi, _, where = rest.partition("-")
        linux = where in ("any", "linux_x86_64") or (
            where.startswith("manylinux") and where.endswith("_x86_64"))
        if not linux or (where == "any" and abi != "none"):
            return False
        own, stable = f"cp{major}{minor}", re.match(rf"^cp{major}(\d+)$", python)
        if abi == own:
            return python == own
        if abi == "abi3":
            return stable is not None and 2 <= int(stable.group(1)) <= minor
        pure = re.match(rf"^(?:py|cp){major}(\d*)$", python)
        return abi == "none" and pure is not None and (
            pure.group(1) == "" or int(pure.group(1)) <= minor) and (
            python.startswith("py") or python == own)

    return Interpreter(accepts, f"Python {major}.{minor} on Linux x86_64")


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


def check_wheel_set(wheels: Iterable[tuple[str, str | IO[bytes]]],
                    interpreter: Interpreter | None = None,
                    keep: dict[str, Listing] | None = None) -> None:
    """Raise `WheelSetError` for the first wheel that cannot be installed (on
    `interpreter`, when given), alone or beside the wheels before it (in the order given:
    sort them for stable words). Each wheel's `Listing` goes into `keep` when given."""
    owners: dict[str, tuple[str, str | None]] = {}
    for name, wheel in wheels:
        for path, digest in sorted(installed_paths(name, wheel, interpreter, keep).items()):
            if path.endswith(".dist-info/RECORD"):
                continue  # rewritten by the installer, per wheel
            owner, known = owners.setdefault(path, (name, digest))
            if owner != name and (digest is None or digest != known):
                raise WheelSetError(name, f"{owner} installs {path} too")
