"""Read a manual `requirements-file` with pip-requirements-parser, keeping its options.

Includes (`-r`, `-c`) are followed here, not by the parser: only regular files inside the
job folder are read (a file outside is refused unread, so nothing of it is echoed), and a
file that includes itself through others is reported as a cycle naming the files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pip_requirements_parser import InstallRequirement, RequirementsFile

from jobpack.errors import RequirementsFileError
from jobpack.manifest import PipOptions, Requirement

_MAX_FILES = 100
_REMOTE = {"http", "https", "ssh", "git"}  # URL transports the VM can reach (`git+https`)


@dataclass
class _Collected:
    requirements: list[tuple[InstallRequirement, bool]]  # and: from a constraints file
    files: list[RequirementsFile]


def read_requirements_file(
    file: Path, root: Path, base: PipOptions
) -> tuple[tuple[Requirement, ...], PipOptions]:
    """The requirements of `file` (with `-r`/`-c` includes) and pip options merged into `base`."""
    collected = _Collected([], [])
    _read(Path(os.path.realpath(file)), Path(os.path.realpath(root)), False, [], collected,
          (_name(str(file), root), None))
    requirements: list[Requirement] = []
    constraints: list[str] = list(base.constraints)
    for req, is_constraint in collected.requirements:
        if is_constraint or req.is_constraint:
            constraints.append(str(req.req) + (f" ; {req.marker}" if req.marker else ""))
            continue
        requirements.append(_requirement(req, root))
    options = base
    for parsed in collected.files:
        options = _options(parsed, options)
    return tuple(requirements), PipOptions(
        index_url=options.index_url, extra_index_urls=options.extra_index_urls,
        trusted_hosts=options.trusted_hosts, find_links=options.find_links,
        no_deps=options.no_deps, constraints=tuple(constraints),
    )


def _read(file: Path, root: Path, constraint: bool, stack: list[Path], out: _Collected,
          cited: tuple[str, int | None]) -> None:
    """Parse `file` and, depth first, the files it includes; `cited` is where it is named."""
    where, line = cited
    if file in stack:
        cycle = " -> ".join(_name(str(f), root) for f in [*stack[stack.index(file):], file])
        raise RequirementsFileError(f"requirements files include each other: {cycle}",
                                    path=where, line=line)
    if len(out.files) >= _MAX_FILES:
        raise RequirementsFileError(f"more than {_MAX_FILES} requirements files are included",
                                    path=where, line=line)
    _check_readable(file, root, where, line)
    try:
        parsed = RequirementsFile.from_file(str(file), include_nested=False)
    except Exception as exc:  # the parser raises bare exceptions for unreadable files
        raise RequirementsFileError(f"cannot read requirements: {exc}",
                                    path=_name(str(file), root)) from None
    for invalid in parsed.invalid_lines:
        raise RequirementsFileError(
            f"invalid requirement line: {invalid.line.strip()!r}",
            path=_name(invalid.filename, root), line=invalid.line_number,
        )
    out.files.append(parsed)
    out.requirements += [(req, constraint) for req in parsed.requirements]
    for option in parsed.options:
        at = (_name(str(file), root), option.requirement_line.line_number)
        for key, as_constraint in (("requirements", constraint), ("constraints", True)):
            for included in option.options.get(key, []):
                target = Path(os.path.realpath(file.parent / included))
                _read(target, root, as_constraint, [*stack, file], out, at)


def _check_readable(file: Path, root: Path, where: str, line: int | None) -> None:
    if not file.is_relative_to(root):
        raise RequirementsFileError(f"{file} is outside the job folder {root}; jobpack reads "
                                    "only requirements files inside it", path=where, line=line)
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        raise RequirementsFileError(f"cannot read {_name(str(file), root)}: {exc.strerror}",
                                    path=where, line=line) from None
    if not stat.S_ISREG(mode):
        raise RequirementsFileError(f"{_name(str(file), root)} is not a regular file",
                                    path=where, line=line)


def _requirement(req: InstallRequirement, root: Path) -> Requirement:
    where = _name(req.requirement_line.filename, root)
    line = req.requirement_line.line_number
    text = req.requirement_line.line.strip()
    url = req.link.url if req.link else None
    remote = url is not None and urlsplit(url).scheme.rpartition("+")[2] in _REMOTE
    if req.is_editable or (req.is_local_path and not remote):
        raise RequirementsFileError(
            f"{text!r} points at a local folder or file, which does not exist on the VM; "
            "build a wheel and use --wheels, or list the code in local-paths",
            path=where, line=line)
    if req.name is None:
        raise RequirementsFileError(f"{text!r} has no name; write it as `NAME @ URL`",
                                    path=where, line=line)
    specifier = str(req.specifier) if req.specifier else ""
    pinned = specifier[2:] if specifier.startswith("==") and "," not in specifier else ""
    return Requirement(
        name=_canonical(req.name), version=pinned, direct=True,
        required_by=(f"{where}:{line}",),
        marker=str(req.marker) if req.marker else None,
        url=None if url is None else _without_egg(url),
        extras=tuple(sorted(req.extras)),
        specifier=None if pinned else specifier,
        hashes=tuple(req.hash_options),
    )


def _without_egg(url: str) -> str:
    """`#egg=name` only named the project for old pip; `name @ url` already does."""
    parts = urlsplit(url)
    kept = "&".join(p for p in parts.fragment.split("&") if p and not p.startswith("egg="))
    return urlunsplit(parts._replace(fragment=kept))


def _options(parsed: RequirementsFile, base: PipOptions) -> PipOptions:
    index_url = base.index_url
    extra = list(base.extra_index_urls)
    trusted = list(base.trusted_hosts)
    links = list(base.find_links)
    no_deps = base.no_deps
    for option in parsed.options:
        values = option.options
        index_url = values.get("index_url", index_url)
        extra += [u for u in values.get("extra_index_urls", []) if u not in extra]
        trusted += [h for h in values.get("trusted_hosts", []) if h not in trusted]
        links += [u for u in values.get("find_links", []) if u not in links]
        no_deps = no_deps or bool(values.get("no_deps"))
    return PipOptions(index_url, tuple(extra), tuple(trusted), tuple(links), no_deps,
                      base.constraints)


def _name(filename: str | None, root: Path) -> str:
    path = Path(os.path.realpath(filename or "requirements.txt"))
    real_root = Path(os.path.realpath(root))
    return path.relative_to(real_root).as_posix() if path.is_relative_to(real_root) \
        else str(path)


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))
