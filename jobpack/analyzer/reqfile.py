"""Read a manual `requirements-file` with pip-requirements-parser, keeping its options."""

from __future__ import annotations

from pathlib import Path

from pip_requirements_parser import RequirementsFile

from jobpack.errors import RequirementsFileError
from jobpack.manifest import PipOptions, Requirement


def read_requirements_file(
    file: Path, root: Path, base: PipOptions
) -> tuple[tuple[Requirement, ...], PipOptions]:
    """The requirements of `file` (with `-r`/`-c` includes) and pip options merged into `base`."""
    display = file.relative_to(root).as_posix() if file.is_relative_to(root) else str(file)
    try:
        parsed = RequirementsFile.from_file(str(file), include_nested=True)
    except Exception as exc:  # the parser raises bare exceptions for unreadable files
        raise RequirementsFileError(f"cannot read requirements: {exc}", path=display) from None
    for invalid in parsed.invalid_lines:
        raise RequirementsFileError(
            f"invalid requirement line: {invalid.line.strip()!r}",
            path=_name(invalid.filename, root), line=invalid.line_number,
        )
    requirements: list[Requirement] = []
    constraints: list[str] = list(base.constraints)
    for req in parsed.requirements:
        where = _name(req.requirement_line.filename, root)
        line = req.requirement_line.line_number
        if req.is_editable or req.is_local_path or (req.link and req.link.url.startswith("file:")):
            raise RequirementsFileError(
                f"{req.requirement_line.line.strip()!r} points at a local folder or file, which "
                "does not exist on the VM; build a wheel and use --wheels, or list the code in "
                "local-paths", path=where, line=line)
        if req.name is None:
            raise RequirementsFileError("requirement without a name", path=where, line=line)
        if req.is_constraint:
            constraints.append(str(req.req) + (f" ; {req.marker}" if req.marker else ""))
            continue
        specifier = str(req.specifier) if req.specifier else ""
        pinned = specifier[2:] if specifier.startswith("==") and "," not in specifier else ""
        requirements.append(Requirement(
            name=_canonical(req.name), version=pinned, direct=True,
            required_by=(f"{where}:{line}",),
            marker=str(req.marker) if req.marker else None,
            url=req.link.url if req.link else None,
            extras=tuple(sorted(req.extras)),
            specifier=None if pinned else specifier,
            hashes=tuple(req.hash_options),
        ))
    options = _options(parsed, base)
    return tuple(requirements), PipOptions(
        index_url=options.index_url, extra_index_urls=options.extra_index_urls,
        trusted_hosts=options.trusted_hosts, find_links=options.find_links,
        no_deps=options.no_deps, constraints=tuple(constraints),
    )


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
    return PipOptions(index_url, tuple(extra), tuple(trusted), tuple(links), no_deps)


def _name(filename: str | None, root: Path) -> str:
    path = Path(filename or "requirements.txt").resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))
