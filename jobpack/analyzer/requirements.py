"""From the external modules a job imports to pinned distributions and their closure."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import canonicalize_name

from jobpack.analyzer.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.graph import ImportGraph
from jobpack.errors import DistributionError
from jobpack.manifest import Diagnostic, Requirement
from jobpack.target import Target


@dataclass
class _Pending:
    direct: bool = False
    imported_as: set[str] = field(default_factory=set)
    required_by: set[str] = field(default_factory=set)
    extras: set[str] = field(default_factory=set)


def resolve_requirements(
    graph: ImportGraph, index: DistributionIndex, target: Target, *, no_deps: bool = False
) -> tuple[tuple[Requirement, ...], tuple[Diagnostic, ...]]:
    """Pin every distribution the graph's external modules need, plus their closure."""
    pending: dict[str, _Pending] = {}
    diagnostics: list[Diagnostic] = []
    for module in graph.find_modules("external"):
        sites = [
            site
            for importer in graph.find_modules_that_directly_import(module.name)
            for site in graph.get_import_sites(importer, module.name)
        ]
        providers = index.providers(module.name)
        first = min(sites)
        if not providers:
            diagnostics.append(
                Diagnostic(first.path, first.line, "unmanaged-module",
                           f"{module.name!r} is installed but belongs to no distribution; "
                           "it cannot be pinned")
            )
            continue
        if len(providers) > 1:
            names = " and ".join(d.name for d in providers)
            diagnostics.append(
                Diagnostic(first.path, first.line, "ambiguous-distribution",
                           f"{module.name!r} is provided by {names}; both are pinned")
            )
        for dist in providers:
            entry = pending.setdefault(dist.name, _Pending())
            entry.direct = True
            entry.imported_as.add(_import_name(module.name, providers, index))
            entry.required_by.update(s.render() for s in sites)
    for name in list(pending):
        dist = index.distributions[name]
        pending[name].extras.update(_extras_in_use(dist, index, target))
    if not no_deps:
        _add_closure(pending, index, target, diagnostics)
    requirements = tuple(
        _pin(index.distributions[name], entry, target, diagnostics)
        for name, entry in sorted(pending.items())
    )
    return requirements, tuple(diagnostics)


def _import_name(
    module: str, providers: list[InstalledDistribution], index: DistributionIndex
) -> str:
    """The shortest prefix of `module` that still names exactly these distributions."""
    wanted = [d.name for d in providers]
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if [d.name for d in index.providers(prefix)] == wanted:
            return prefix
    return module


def _applies(requirement: PackagingRequirement, target: Target, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(_evaluate(requirement.marker, target, extra) for extra in {"", *extras})


def _evaluate(marker: Marker, target: Target, extra: str) -> bool:
    environment = {**target.marker_environment(), "extra": extra}
    try:
        return marker.evaluate(environment)
    except (UndefinedComparison, UndefinedEnvironmentName):
        return True


def _parsed(dist: InstalledDistribution) -> list[PackagingRequirement]:
    parsed = []
    for text in dist.requires:
        try:
            parsed.append(PackagingRequirement(text))
        except InvalidRequirement:
            continue
    return parsed


def _extras_in_use(
    dist: InstalledDistribution, index: DistributionIndex, target: Target
) -> set[str]:
    """Extras whose every requirement (for the target) is installed."""
    in_use = set()
    requirements = _parsed(dist)
    for extra in dist.provides_extras:
        needed = [
            r for r in requirements
            if r.marker is not None
            and _evaluate(r.marker, target, extra) and not _evaluate(r.marker, target, "")
        ]
        if needed and all(index.get(r.name) is not None for r in needed):
            in_use.add(extra)
    return in_use


def _add_closure(
    pending: dict[str, _Pending], index: DistributionIndex, target: Target,
    diagnostics: list[Diagnostic],
) -> None:
    queue = deque(sorted(pending))
    expanded: dict[str, frozenset[str]] = {}
    while queue:
        name = queue.popleft()
        extras = frozenset(pending[name].extras)
        if expanded.get(name) == extras:
            continue
        expanded[name] = extras
        dist = index.distributions[name]
        for requirement in _parsed(dist):
            if not _applies(requirement, target, set(extras)):
                continue
            child = canonicalize_name(requirement.name)
            installed = index.get(child)
            if installed is None:
                diagnostics.append(
                    Diagnostic(None, None, "requirement-not-installed",
                               f"{dist.name} requires {requirement} which is not installed; "
                               "pip will resolve it on the target", "info")
                )
                continue
            entry = pending.setdefault(installed.name, _Pending())
            entry.required_by.add(dist.name)
            entry.extras.update(requirement.extras)
            queue.append(installed.name)


def _pin(
    dist: InstalledDistribution, entry: _Pending, target: Target, diagnostics: list[Diagnostic]
) -> Requirement:
    if not dist.version:
        raise DistributionError(f"installed distribution {dist.name!r} has no version; "
                                "reinstall it or list it in a requirements file")
    if not dist.pure and _built_for_other_platform(dist, target):
        diagnostics.append(
            Diagnostic(None, None, "platform-mismatch",
                       f"{dist.name} {dist.version} is installed as a "
                       f"{', '.join(dist.wheel_tags) or 'platform-specific'} build; "
                       f"the target needs a linux_x86_64 / cp{target.major}{target.minor} wheel")
        )
    return Requirement(
        name=dist.name,
        version=dist.version,
        direct=entry.direct,
        imported_as=tuple(sorted(entry.imported_as)),
        required_by=tuple(sorted(entry.required_by)),
        url=dist.vcs_url,
        extras=tuple(sorted(entry.extras)),
        pure=dist.pure,
    )


def _built_for_other_platform(dist: InstalledDistribution, target: Target) -> bool:
    if not dist.wheel_tags:
        return False
    wanted_python = f"cp{target.major}{target.minor}"
    for tag in dist.wheel_tags:
        python, _, rest = tag.partition("-")
        _abi, _, platform = rest.partition("-")
        linux = platform == "any" or ("linux" in platform and "x86_64" in platform)
        python_ok = python in {wanted_python, "py3", "py2.py3"} or (
            _abi == "abi3" and python.startswith("cp3")
            and int(python[3:] or 0) <= target.minor
        )
        if linux and python_ok:
            return False
    return True
