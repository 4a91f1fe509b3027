"""PEP 723 inline script metadata: read a script's `# /// script` block and apply it.

When an entry script declares `dependencies` in such a block, the block is authoritative
(the PEP says requirements must not be inferred then), like a manual requirements file:
each dependency is pinned to the installed version when that version satisfies it, and
what does not match becomes a diagnostic. `requires-python` must admit the target.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Parsed
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from jobpack import diagnostics as codes
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.pins.declared import import_site
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.errors import ScriptMetadataError
from jobpack.formats.pep723 import find_block
from jobpack.manifest import Diagnostic, Requirement
from jobpack.target import Target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class ScriptMetadata:
    """A script's `# /// script` block: where it is and what it declares."""

    path: str  # as named in the manifest (main.py)
    line: int
    dependencies: tuple[str, ...] | None  # None when the block has no `dependencies` key
    requires_python: str | None


def read_metadata(file: Path, name: str) -> ScriptMetadata | None:
    """Read and check the block of `file` (shown as `name` in messages)."""
    with file.open(encoding="utf-8", errors="replace", newline="") as handle:
        text = handle.read()
    try:
        block = find_block(text)
    except ScriptMetadataError as exc:
        raise ScriptMetadataError(exc.message, path=name, line=exc.line) from None
    if block is None:
        return None
    line = text.count("\n", 0, block.start()) + 1
    content = "".join(
        row[2:] if row.startswith("# ") else row[1:]
        for row in block["content"].splitlines(keepends=True))
    try:
        data: dict[str, Any] = tomllib.loads(content.replace("\r\n", "\n"))
    except tomllib.TOMLDecodeError as exc:
        raise ScriptMetadataError(f"the '# /// script' block is not TOML: {exc}",
                                  path=name, line=line) from None
    dependencies = data.get("dependencies")
    requires = data.get("requires-python")
    if dependencies is not None and not (
            isinstance(dependencies, list) and all(isinstance(d, str) for d in dependencies)):
        raise ScriptMetadataError("dependencies must be a list of strings", path=name, line=line)
    if requires is not None and not isinstance(requires, str):
        raise ScriptMetadataError("requires-python must be a string", path=name, line=line)
    return ScriptMetadata(name, line, None if dependencies is None else tuple(dependencies),
                          requires)


def apply_metadata(metadata: ScriptMetadata, inferred: tuple[Requirement, ...],
                   target: Target, index: DistributionIndex | None,
                   graph: ImportGraph | None = None,
                   ) -> tuple[tuple[Requirement, ...], list[Diagnostic]]:
    """The block's dependencies as the job's requirements (pinned when the installed
    version satisfies them), and diagnostics for what does not match: the Python the block
    requires, and what the job imports (`inferred`) but the block does not declare."""
    diagnostics = _python_check(target, metadata)
    if metadata.dependencies is None:
        return inferred, diagnostics
    requirements = []
    for text in metadata.dependencies:
        requirement, note = _pin(text, metadata, index)
        requirements.append(requirement)
        diagnostics += [note] if note else []
    declared = {r.name for r in requirements}
    for found in inferred:
        if found.direct and found.name not in declared:
            diagnostics.append(codes.PEP723_UNDECLARED.at(
                *(import_site(graph, index, found, metadata.path) if graph is not None
                  else (metadata.path, None)),
                f"{', '.join(found.imported_as) or found.name} is imported but "
                f"{found.name} is not in the '# /// script' block of {metadata.path}"))
    return tuple(requirements), diagnostics


def _pin(text: str, metadata: ScriptMetadata,
         index: DistributionIndex | None) -> tuple[Requirement, Diagnostic | None]:
    where = (metadata.path, metadata.line)
    try:
        parsed = Parsed(text)
    except InvalidRequirement as exc:
        raise ScriptMetadataError(f"invalid dependency {text!r}: {exc}", path=metadata.path,
                                  line=metadata.line) from None
    name = canonicalize_name(parsed.name)
    common = {"name": name, "direct": True, "required_by": (f"{metadata.path} (PEP 723)",),
              "marker": str(parsed.marker) if parsed.marker else None,
              "extras": tuple(sorted(parsed.extras))}
    if parsed.url:
        return Requirement(version="", url=parsed.url, **common), None  # type: ignore[arg-type]
    installed = index.get(name) if index is not None else None
    unpinned = Requirement(version="", specifier=str(parsed.specifier) or None,
                           **common)  # type: ignore[arg-type]
    if installed is None or not installed.version:
        return unpinned, codes.PEP723_NOT_INSTALLED.at(*where,
            f"{text!r} is not installed in the analysed environment; it is shipped "
            "unpinned")
    if not parsed.specifier.contains(installed.version, prereleases=True):
        return unpinned, codes.PEP723_MISMATCH.at(*where,
            f"{text!r} is declared but {name} {installed.version} is installed; "
            "it is shipped unpinned")
    return Requirement(version=installed.version, pure=installed.pure,
                       **common), None  # type: ignore[arg-type]


def _python_check(target: Target, metadata: ScriptMetadata) -> list[Diagnostic]:
    if metadata.requires_python is None:
        return []
    try:
        specifier = SpecifierSet(metadata.requires_python)
    except InvalidSpecifier:
        raise ScriptMetadataError(f"invalid requires-python {metadata.requires_python!r}",
                                  path=metadata.path, line=metadata.line) from None
    # an X.Y target with no known micro version: any X.Y.Z the block admits will do
    versions = [target.full_version] if target.micro is not None else [
        f"{target.python}.0", f"{target.python}.99"]
    if any(specifier.contains(v, prereleases=True) for v in versions):
        return []
    return [codes.PEP723_REQUIRES_PYTHON.at(
        metadata.path, metadata.line, f"the script requires Python "
        f"{metadata.requires_python} but the target is Python {target.full_version}")]


def metadata_of_entries(files: Sequence[tuple[Path, str]]) -> ScriptMetadata | None:
    """The block of the first entry script that has one."""
    for file, name in files:
        if not name.startswith("-m "):
            metadata = read_metadata(file, name)
            if metadata is not None:
                return metadata
    return None
