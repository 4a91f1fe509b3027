"""What the job imports but its declared requirements will not install.

With `type: manual` the requirements file is the truth and nothing is inferred; pip on the
VM installs what it lists and what those need. A distribution the job's own code imports
that is neither listed nor needed by what is listed is an `ImportError` waiting on the VM,
so it is named here, at the import's file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from packaging.utils import canonicalize_name

from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import requirements_for
from jobpack.manifest import Diagnostic, Requirement
from jobpack.target import Target


def import_site(found: Requirement, fallback: str) -> tuple[str, int | None]:
    """The first `file:line` that imports `found` (as recorded in `required_by`)."""
    site = found.required_by[0] if found.required_by else fallback
    path, _, line = site.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (site, None)


def undeclared(imported: Iterable[Requirement], declared: Sequence[Requirement],
               index: DistributionIndex, target: Target, file: str) -> list[Diagnostic]:
    """`requirements-file-undeclared` for each distribution the job's code imports that
    `declared` (the requirements file `file`) does not install. Silent when a declared
    distribution is not installed here: its own requirements are then unknown."""
    covered = installs(declared, index, target)
    if covered is None:
        return []
    return [
        Diagnostic(*import_site(found, file), "requirements-file-undeclared",
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
