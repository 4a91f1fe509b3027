"""What the job imports but its declared requirements will not install.

With `type: manual` the requirements file is the truth and nothing is inferred; pip on the
VM installs what it lists and what those need. A distribution the job's own code imports
that is neither listed nor needed by what is listed is an `ImportError` waiting on the VM,
so it is named here, at the import's file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from packaging.utils import canonicalize_name

from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import job_import_sites, requirements_for
from jobpack.diagnostics import REQUIREMENTS_FILE_UNDECLARED
from jobpack.manifest import Diagnostic, Requirement
from jobpack.target import Target


def import_site(graph: ImportGraph, index: DistributionIndex | None, found: Requirement,
                fallback: str) -> tuple[str | None, int | None]:
    """The first place the job's own code imports a module of the distribution `found`;
    `fallback` (no line) when the graph knows none."""
    sites = [site for module in graph.find_modules("external") if index is not None
             and found.name in {d.name for d in index.providers(module.name)}
             for site in job_import_sites(graph, module.name)]
    if not sites:
        return fallback, None
    first = min(sites)
    return first.path, first.line


def undeclared(graph: ImportGraph, imported: Iterable[Requirement],
               declared: Sequence[Requirement], index: DistributionIndex, target: Target,
               file: str) -> list[Diagnostic]:
    """`requirements-file-undeclared` for each distribution the job's code imports that
    `declared` (the requirements file `file`) does not install. Silent when a declared
    distribution is not installed here: its own requirements are then unknown."""
    covered = installs(declared, index, target)
    if covered is None:
        return []
    return [
        REQUIREMENTS_FILE_UNDECLARED.at(*import_site(graph, index, found, file),
                   f"{', '.join(found.imported_as) or found.name} is imported but {found.name} "
                   f"is neither in {file} nor required by what it lists; pip will not install "
                   "it on the target")
        for found in imported if found.direct and found.name not in covered
    ]


def installs(declared: Sequence[Requirement], index: DistributionIndex,
             target: Target) -> set[str] | None:
    """The names pip installs for `declared`, judged by the installed distributions'
    metadata for the target; None when that cannot be known (one is not installed)."""
    todo = [(canonicalize_name(r.name), tuple(r.extras)) for r in declared]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    names: set[str] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        names.add(name)
        dist = index.get(name)
        if dist is None:
            return None
        found, _ = requirements_for(dist, extras, target)
        todo += [(canonicalize_name(r.name), tuple(sorted(r.extras))) for r in found]
    return names
