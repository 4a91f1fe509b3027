"""The image the job runs on: distributions an archive expects its interpreter to provide.

An archive built with `--provided` ships neither wheels nor pins for what the image
already has (torch, CUDA, a distro's numpy). Before the job starts the runner checks each
of them in the base interpreter's own site folders (importlib.metadata, nothing
imported), says in one line per distribution what it found and what it does, and plans
an install into the job's environment only for what is missing or incompatible. The
environment then sees the base's folders after its own (a `.pth` file), so the base is
used as it is and never written to.
"""

from __future__ import annotations

import os
import re
import site
from dataclasses import dataclass
from pathlib import Path

from jobpack.layout import RunSpec, WheelRecord, build_kind

from .errors import RunnerError
from .progress import say

try:
    from importlib import metadata
except ImportError:  # pragma: no cover - Python < 3.8 never gets this far
    metadata = None  # type: ignore[assignment]

BASE_PTH = "_jobpack_base.pth"
_VERSION = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class Provided:
    """A distribution the archive expects the image to have: its name and the image's
    version the archive was built against ('' when the listing gave none)."""

    name: str
    version: str


@dataclass(frozen=True)
class Finding:
    """What the base holds of one provided distribution, and whether it will do."""

    wanted: Provided
    found: str | None  # the base's version, None when absent
    location: str | None = None

    @property
    def usable(self) -> bool:
        return self.found is not None and compatible(self.found, self.wanted.version)

    def describe(self) -> str:
        """The first half of the runner's line about it."""
        want = self.wanted.version or "any version"
        if self.found is None:
            return f"{self.wanted.name} {want}: not in this Python"
        if self.usable:
            return f"{self.wanted.name} {self.found}: provided by {self.location}"
        return (f"{self.wanted.name} {self.found} in {self.location} is not compatible "
                f"with {want}")


def provided_set(spec: RunSpec) -> list[Provided]:
    """The archive's provided tier, each with the image's version when the build knew
    it, else the analysed one."""
    return sorted((Provided(name, version) for name, version in spec.provided),
                  key=lambda p: p.name)


def site_folders() -> list[str]:
    """The base interpreter's site folders, in its own order: what its `python` would
    import installed distributions from (the user's folder included when it is on)."""
    folders = list(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    seen: list[str] = []
    for folder in folders:
        real = os.path.realpath(folder)
        if Path(real).is_dir() and real not in seen:
            seen.append(real)
    return seen


def _find(item: Provided, folders: list[str]) -> Finding:
    """The distribution as the base's metadata records it; the first folder wins, as on
    sys.path."""
    key = _canonical(item.name)
    for folder in folders:
        for dist in metadata.distributions(path=[folder]):
            name = dist.metadata["Name"] if dist.metadata else None
            if name and _canonical(name) == key:
                return Finding(item, str(dist.version), folder)
    return Finding(item, None)


def compatible(found: str, wanted: str) -> bool:
    """Whether the base's version can stand in for the one the archive was built
    against: the same major release (major and minor below 1.0) and the same kind of
    build (`+cu121` and `+cu118` are both CUDA builds; `+cpu`, `+rocm6.1` and no label
    are three other kinds). Anything unparsable counts as compatible only when equal."""
    if not wanted or found == wanted:
        return True
    have, want = _VERSION.match(found), _VERSION.match(wanted)
    if have is None or want is None:
        return False
    have_release = [int(p) for p in have.group(1).split(".")]
    want_release = [int(p) for p in want.group(1).split(".")]
    width = 2 if want_release[0] == 0 else 1
    if have_release[:width] != want_release[:width]:
        return False
    return build_kind(found) == build_kind(wanted)


def base_pth(folders: list[str]) -> str:
    """A `.pth` file that adds the base's site folders after the environment's own one,
    processing their own `.pth` files as the base interpreter would."""
    lines = ["# jobpack: the image's installed distributions, after this environment's"]
    lines += [f"import site; site.addsitedir({folder!r})" for folder in folders]
    return "\n".join(lines) + "\n"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class BasePlan:
    """What the environment takes from the base, and what it installs instead."""

    folders: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    wheels: tuple[WheelRecord, ...] = ()  # the bundled wheels to install
    pip_lines: tuple[str, ...] = ()  # provided distributions to fetch from the index

    @property
    def active(self) -> bool:
        return bool(self.findings)

    def key_parts(self) -> list[str]:
        """What the base adds to an environment's cache key: where it is, what it holds."""
        return [*self.folders, *(f"{f.wanted.name}={f.found or ''}" for f in self.findings)]


def plan(spec: RunSpec, wheels: list[WheelRecord], offline: bool) -> BasePlan:
    """Check the base for the archive's provided set, one line each; a provided
    distribution the base lacks (or holds at an incompatible version) is installed from
    its bundled wheel, else from the index; when neither can be, one line says so before
    anything is built. Without a provided set: every bundled wheel, no base."""
    wanted = provided_set(spec)
    if not wanted:
        return BasePlan(wheels=tuple(wheels))
    folders = site_folders()
    findings = [_find(item, folders) for item in wanted]
    bundled = {_canonical(w.name): w for w in wheels}
    names = {_canonical(p.name) for p in wanted}
    install = [w for w in wheels if _canonical(w.name) not in names]
    pip_lines: list[str] = []
    for finding in findings:
        name = _canonical(finding.wanted.name)
        if finding.usable:
            say(finding.describe() + "; used as it is")
        elif name in bundled:
            say(finding.describe() + f"; installing {bundled[name].filename} (bundled)")
            install.append(bundled[name])
        elif not offline:
            line = _pin(finding.wanted)
            say(finding.describe() + f"; installing {line} from the index")
            pip_lines.append(line)
        else:
            raise RunnerError(
                f"{finding.describe()}, and --offline with no bundled wheel for it: install "
                f"{_pin(finding.wanted)} in the image, or build without --provided for it")
    return BasePlan(tuple(folders), tuple(findings), tuple(install), tuple(pip_lines))


def _pin(item: Provided) -> str:
    return f"{item.name}=={item.version}" if item.version else item.name
