"""A PEP 751 lock file (`pylock.toml`) for the target: Linux x86_64 and one Python."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jobpack.errors import FormatError
from jobpack.formats import toml_string
from jobpack.manifest import Manifest, Requirement, url_sha256

PYLOCK_NAME = "pylock.toml"
_VCS_URL = re.compile(r"^(?P<vcs>git|hg|svn|bzr)\+(?P<url>.+)@(?P<commit>[^@/]+)$")


@dataclass(frozen=True)
class LockedWheel:
    """A wheel for one pin: its file name, digest, and where an installer finds it."""

    name: str  # the distribution, canonical
    filename: str
    sha256: str
    url: str | None = None
    path: str | None = None  # relative to the lock file's folder, or absolute


def pylock_toml(manifest: Manifest, wheels: Sequence[LockedWheel] = ()) -> str:
    """A PEP 751 lock file for the target: every pin, with its wheels when known."""
    python = manifest.target.python
    environment = (f'sys_platform == "linux" and platform_machine == "x86_64" '
                   f'and python_version == "{python}"')
    lines = ['lock-version = "1.0"',
             f"environments = [{toml_string(environment)}]",
             f"requires-python = {toml_string(f'=={python}.*')}",
             'created-by = "jobpack"']
    by_name: dict[str, list[LockedWheel]] = {}
    for wheel in wheels:
        by_name.setdefault(wheel.name, []).append(wheel)
    for requirement in sorted(manifest.installed, key=lambda r: r.name):
        lines += ["", *_package_lines(requirement, by_name.get(requirement.name, []), manifest)]
    return "".join(line + "\n" for line in lines)


def _package_lines(requirement: Requirement, wheels: list[LockedWheel],
                   manifest: Manifest) -> list[str]:
    lines = ["[[packages]]", f"name = {toml_string(requirement.name)}"]
    if requirement.marker:
        lines.append(f"marker = {toml_string(requirement.marker)}")
    if requirement.local_file is not None and not wheels:  # `pip install dist/x.whl`
        wheels = [_local_wheel(requirement, requirement.local_file)]
    elif requirement.url and requirement.local_file is None:
        match = _VCS_URL.match(requirement.url)
        if match is None:
            raise FormatError(f"{requirement.name} @ {requirement.url}: a lock file needs a "
                              "version or a VCS commit")
        lines += ["[packages.vcs]", f"type = {toml_string(match['vcs'])}",
                  f"url = {toml_string(match['url'])}",
                  f"commit-id = {toml_string(match['commit'])}"]
        return lines
    if not requirement.version:
        raise FormatError(f"{requirement.name}{requirement.specifier or ''}: a lock file needs "
                          "a pinned version, not a range")
    if not wheels:  # PEP 751: a package needs a source; jobpack locks wheels only
        raise FormatError(f"{requirement.name}=={requirement.version}: no wheel for the "
                          "target to lock (pip found none, or only a source distribution)")
    lines.append(f"version = {toml_string(requirement.version)}")
    if manifest.pip.index_url:
        lines.append(f"index = {toml_string(manifest.pip.index_url)}")
    lines.append("wheels = [")
    lines += [f"  {_wheel_table(wheel)}," for wheel in sorted(wheels, key=lambda w: w.filename)]
    lines.append("]")
    return lines


def _local_wheel(requirement: Requirement, path: Path) -> LockedWheel:
    """The wheel file a pin was installed from, locked by its path and the sha256 pip
    recorded when it installed it."""
    sha256 = url_sha256(requirement.url or "")
    if not path.name.endswith(".whl") or not sha256:
        raise FormatError(f"{requirement.name} was installed from {path}: a lock file needs "
                          "a wheel and its sha256")
    return LockedWheel(requirement.name, path.name, sha256, path=str(path))


def _wheel_table(wheel: LockedWheel) -> str:
    fields = [f"name = {toml_string(wheel.filename)}"]
    if wheel.url:
        fields.append(f"url = {toml_string(wheel.url)}")
    if wheel.path:
        fields.append(f"path = {toml_string(wheel.path)}")
    fields.append(f"hashes = {{ sha256 = {toml_string(wheel.sha256)} }}")
    return "{ " + ", ".join(fields) + " }"
