"""The manifest's pins in the formats other tools read.

- a pip requirements file with `# via` comments, the way uv annotates its output;
- a PEP 723 inline script metadata block (`# /// script`), to put into an entry script;
- a PEP 751 lock file (`pylock.toml`) for the target: Linux x86_64 and one Python.

Pure functions from values to text; writing files is the caller's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobpack.errors import FormatError
from jobpack.manifest import Manifest, Requirement

PYLOCK_NAME = "pylock.toml"
BLOCK_START = "# /// script"
BLOCK_END = "# ///"
_VCS_URL = re.compile(r"^(?P<vcs>git|hg|svn|bzr)\+(?P<url>.+)@(?P<commit>[^@/]+)$")


@dataclass(frozen=True)
class LockedWheel:
    """A wheel for one pin: its file name, digest, and where an installer finds it."""

    name: str  # the distribution, canonical
    filename: str
    sha256: str
    url: str | None = None
    path: str | None = None  # relative to the lock file's folder, or absolute


def requirements_with_via(manifest: Manifest, header: Sequence[str] = ()) -> str:
    """A pip requirements file whose pins say why they are there (`# via main.py:4`)."""
    lines = [f"# {line}" for line in header]
    lines += manifest.pip.option_lines()
    for requirement in sorted(manifest.requirements, key=lambda r: r.name):
        lines.append(requirement.pip_line())
        lines += _via_lines(requirement.required_by)
    return "".join(line + "\n" for line in lines)


def _via_lines(reasons: Sequence[str]) -> list[str]:
    if not reasons:
        return []
    if len(reasons) == 1:
        return [f"    # via {reasons[0]}"]
    return ["    # via", *(f"    #   {reason}" for reason in reasons)]


def pep723_block(manifest: Manifest, extra: Iterable[str] = (), newline: str = "\n") -> str:
    """The `# /// script` block: the target's Python and the job's direct pins.

    Transitive pins are left to the installer, as a person writing the block would; `extra`
    adds dependency strings (ones a block already declared, say) not already named.
    """
    direct = [r.pip_line() for r in sorted(manifest.requirements, key=lambda r: r.name)
              if r.direct and not r.hashes]
    named = {_name_of(line) for line in direct}
    direct += [line for line in extra if _name_of(line) not in named]
    lines = [BLOCK_START, f"# requires-python = {_toml_string('>=' + manifest.target.python)}"]
    if direct:
        lines.append("# dependencies = [")
        lines += [f"#   {_toml_string(line)}," for line in direct]
        lines.append("# ]")
    else:
        lines.append("# dependencies = []")
    lines.append(BLOCK_END)
    return "".join(line + newline for line in lines)


def _name_of(dependency: str) -> str:
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Parsed(dependency).name)
    except InvalidRequirement:
        return dependency


def pylock_toml(manifest: Manifest, wheels: Sequence[LockedWheel] = ()) -> str:
    """A PEP 751 lock file for the target: every pin, with its wheels when known."""
    python = manifest.target.python
    environment = (f'sys_platform == "linux" and platform_machine == "x86_64" '
                   f'and python_version == "{python}"')
    lines = ['lock-version = "1.0"',
             f"environments = [{_toml_string(environment)}]",
             f"requires-python = {_toml_string(f'=={python}.*')}",
             'created-by = "jobpack"']
    by_name: dict[str, list[LockedWheel]] = {}
    for wheel in wheels:
        by_name.setdefault(wheel.name, []).append(wheel)
    for requirement in sorted(manifest.requirements, key=lambda r: r.name):
        lines += ["", *_package_lines(requirement, by_name.get(requirement.name, []), manifest)]
    return "".join(line + "\n" for line in lines)


def lockable(manifest: Manifest) -> bool:
    """Whether every requirement is a pin a lock file can hold (no bare ranges)."""
    return all(r.version or (r.url and _VCS_URL.match(r.url)) for r in manifest.requirements)


def _package_lines(requirement: Requirement, wheels: list[LockedWheel],
                   manifest: Manifest) -> list[str]:
    lines = ["[[packages]]", f"name = {_toml_string(requirement.name)}"]
    if requirement.marker:
        lines.append(f"marker = {_toml_string(requirement.marker)}")
    if requirement.url:
        match = _VCS_URL.match(requirement.url)
        if match is None:
            raise FormatError(f"{requirement.name} @ {requirement.url}: a lock file needs a "
                              "version or a VCS commit")
        lines += ["[packages.vcs]", f"type = {_toml_string(match['vcs'])}",
                  f"url = {_toml_string(match['url'])}",
                  f"commit-id = {_toml_string(match['commit'])}"]
        return lines
    if not requirement.version:
        raise FormatError(f"{requirement.name}{requirement.specifier or ''}: a lock file needs "
                          "a pinned version, not a range")
    lines.append(f"version = {_toml_string(requirement.version)}")
    if manifest.pip.index_url:
        lines.append(f"index = {_toml_string(manifest.pip.index_url)}")
    if wheels:
        lines.append("wheels = [")
        lines += [f"  {_wheel_table(wheel)}," for wheel in sorted(wheels, key=lambda w: w.filename)]
        lines.append("]")
    return lines


def _wheel_table(wheel: LockedWheel) -> str:
    fields = [f"name = {_toml_string(wheel.filename)}"]
    if wheel.url:
        fields.append(f"url = {_toml_string(wheel.url)}")
    if wheel.path:
        fields.append(f"path = {_toml_string(wheel.path)}")
    fields.append(f"hashes = {{ sha256 = {_toml_string(wheel.sha256)} }}")
    return "{ " + ", ".join(fields) + " }"


def _toml_string(text: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX ...) are all valid in a TOML basic string.
    return json.dumps(text, ensure_ascii=False)
