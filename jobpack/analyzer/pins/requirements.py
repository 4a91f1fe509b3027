"""From the external modules a job imports to a closed set of pinned distributions.

A distribution is pinned when the job's code imports it, when installed library code the
job reaches imports it (provenance: `scikit-learn (sklearn/x.py:42, lazy)`), or when a
pinned distribution requires it. An extra is expanded only when a requirement names it
(`pandas[parquet]`, a library's own `Requires-Dist: x[y]`): a distribution installed beside
its parent under one of the parent's extras is not pinned for that alone. pip, setuptools
and wheel are pinned only when reached code imports them (`pkg_resources` counts): a
declared requirement on them is a packaging habit the target's installer satisfies. Every
requirement of every pin is either pinned or named in a diagnostic.

Each pin has a tier: `required` when some chain of imports from the job reaches it without
passing an `except ImportError` fallback (and what a required pin requires), else
`optional`: what runs only if that fallback is not taken.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from jobpack import diagnostics as codes
from jobpack.analyzer.graph import ImportGraph, ImportSite
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.provided import (
    ImageDistribution,
    ProvidedSet,
    provided_note,
    split_provided,
    unmet,
    version_mismatch,
)
from jobpack.diagnostics import BUILD_TOOL_NOT_PINNED
from jobpack.errors import DistributionError
from jobpack.manifest import Diagnostic, Requirement, local_file
from jobpack.target import Target

_JOB_KINDS = {"entry", "local", "namespace"}
# the installers' own distributions: pinned only when reached code imports them
BUILD_TOOLS = frozenset({"pip", "setuptools", "wheel"})


@dataclass
class _Pending:
    direct: bool = False
    imported_as: set[str] = field(default_factory=set)
    required_by: set[str] = field(default_factory=set)
    extras: set[str] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)  # distributions that brought it in
    lazy_only: bool = True  # every reason so far is a lazy import in library code
    required: bool = False  # reached for sure: not only through `except ImportError`
    library: dict[str, list[ImportSite]] = field(default_factory=dict)  # importer dist -> sites

    def reasons(self) -> set[str]:
        """`required_by`, with one line per importing library that does not declare it:
        its first eager import, else its first lazy one."""
        lines = set(self.required_by)
        for owner, sites in self.library.items():
            if owner in lines:
                continue  # declared in its metadata: that says it all
            eager = [s for s in sites if not s.lazy]
            site = min(eager or sites)
            lines.add(f"{owner} ({site.render()}{'' if eager else ', lazy'})")
        return lines


def resolve_requirements(
    graph: ImportGraph, index: DistributionIndex, target: Target, *, no_deps: bool = False,
    exclude: Iterable[str] = (), provided: ProvidedSet | None = None,
    roots: Iterable[tuple[str, tuple[str, ...], str]] = (), on_demand: Iterable[str] = (),
) -> tuple[tuple[Requirement, ...], tuple[Diagnostic, ...]]:
    """Pin every distribution the graph's external modules need, plus their closure; what
    the image provides (`provided`) is recorded as such, and what only it needs is left
    to the image. `roots` are installed distributions the job declares outside its
    imports (name, extras, why: a notebook's `%pip install`, a tool cmd runs): pinned as
    direct requirements, with their closure. `on_demand` names distributions the user
    puts in the optional tier, with what only they make required."""
    roots = list(roots)
    pending: dict[str, _Pending] = {}
    for name, extras, reason in roots:
        entry = pending.setdefault(name, _Pending())
        entry.direct, entry.lazy_only, entry.required = True, False, True
        entry.extras.update(extras)
        entry.required_by.add(reason)
    diagnostics: list[Diagnostic] = []
    image = provided or ProvidedSet()
    sure = graph.find_surely_reached()
    owners: dict[str, list[str]] = {}  # a library module -> the distributions owning it
    for module in graph.find_modules("external"):
        # with no_deps, the user vouches for everything the job's imports need
        _add_module(graph, index, module.name, pending, diagnostics, libraries=not no_deps,
                    owners=owners)
        if module.name in sure:
            for dist in index.providers(module.name):
                if dist.name in pending:
                    pending[dist.name].required = True
    elsewhere: dict[str, set[str]] = {}  # provided, not installed here -> required by
    if not no_deps:
        _add_closure(pending, index, target, diagnostics, image, elsewhere)
    for option, asked, code in (("--exclude", exclude, codes.EXCLUDE_UNKNOWN),
                                 ("--on-demand", on_demand, codes.ON_DEMAND_UNKNOWN)):
        diagnostics += [code.note(f"{option} {name!r}: the job needs no distribution of that "
                                  "name") for name in asked
                        if canonicalize_name(name) not in pending]  # as the user wrote it
    excluded: list[str] = [canonicalize_name(name) for name in exclude]
    if excluded:
        _exclude(pending, excluded, diagnostics)
    demoted = [canonicalize_name(name) for name in on_demand]
    moved = _on_demand(pending, demoted, graph, index, target, {n for n, _, _ in roots},
                       diagnostics) if demoted else []
    recorded = _provide(pending, index, target, image, diagnostics) if image else set()
    if demoted:  # what the image provides is left to it, not installed on demand
        _on_demand_note(demoted, [n for n in moved if n in pending and n not in recorded],
                        [n for n in pending if n not in recorded], diagnostics)
    requirements = tuple(
        _pin(index.distributions[name], entry, target, diagnostics, image.get(name)
             if name in recorded else None)
        for name, entry in sorted(pending.items())
    )
    return (*requirements, *_only_in_image(elsewhere, pending, recorded, image)), \
        tuple(diagnostics)


def _only_in_image(elsewhere: dict[str, set[str]], pending: dict[str, _Pending],
                   recorded: set[str], image: ProvidedSet) -> list[Requirement]:
    """Provided distributions that shipped pins require but that are not installed here:
    recorded without an analysed version, so the runner still checks the image."""
    found = []
    for name, requirers in sorted(elsewhere.items()):
        shipped = sorted(r for r in requirers if r in pending and r not in recorded)
        listed = image.get(name)
        if shipped and listed is not None and name not in pending:
            found.append(Requirement(name=name, version="", direct=False,
                                     required_by=tuple(shipped), tier="provided",
                                     image_version=listed.version or None))
    return found


def _provide(pending: dict[str, _Pending], index: DistributionIndex, target: Target,
             image: ProvidedSet, diagnostics: list[Diagnostic]) -> set[str]:
    """Split off what the image provides: returns the provided pins the job needs, drops
    the pins only they need, and warns where the image's version will not do."""
    recorded, left = split_provided({n: e.parents for n, e in pending.items()},
                                    [n for n, e in pending.items() if e.direct], image)
    for name in left:
        del pending[name]
    note = provided_note(recorded, left)
    diagnostics += [note] if note is not None else []
    for name, entry in sorted(pending.items()):
        listed = image.get(name)
        if name in recorded and listed is not None:
            found = version_mismatch(name, index.distributions[name].version or "", listed)
            diagnostics += [found] if found is not None else []
            continue
        wanted, _ = requirements_for(index.distributions[name], entry.extras, target)
        for requirement in wanted:
            child = canonicalize_name(requirement.name)
            if child in recorded and (listed := image.get(child)) is not None:
                conflict = unmet(name, requirement, listed)
                diagnostics += [conflict] if conflict is not None else []
    return recorded


def _add_module(
    graph: ImportGraph, index: DistributionIndex, name: str, pending: dict[str, _Pending],
    diagnostics: list[Diagnostic], *, libraries: bool, owners: dict[str, list[str]],
) -> None:
    by_job = job_import_sites(graph, name)
    by_library: dict[str, list[ImportSite]] = {}
    providers = index.providers(name)
    # a distribution's imports of its own modules give no reason (most of the 50,000
    # edges of a torch + transformers job): their sites are not even read
    own = [providers[0].name] if len(providers) == 1 else None
    for importer in graph.find_modules_that_directly_import(name):
        if not libraries or not providers or graph.get_module(importer).kind in _JOB_KINDS:
            continue
        # asked once per library module, not once per module it imports
        found = owners.get(importer)
        if found is None:
            found = owners[importer] = [d.name for d in index.providers(importer)] \
                or [importer.split(".")[0]]
        if found == own:
            continue
        sites = graph.get_import_sites(importer, name)
        for owner in found:
            by_library.setdefault(owner, []).extend(sites)
    if by_job:
        first = min(by_job)
        if not providers:
            diagnostics.append(codes.UNMANAGED_MODULE.at(
                first.path, first.line,
                f"{name!r} is installed but belongs to no distribution; it cannot be pinned"))
        elif len(providers) > 1:
            names = " and ".join(d.name for d in providers)
            diagnostics.append(codes.AMBIGUOUS_DISTRIBUTION.at(
                first.path, first.line, f"{name!r} is provided by {names}; both are pinned"))
    for dist in providers:
        if by_job:
            entry = pending.setdefault(dist.name, _Pending())
            entry.direct = True
            entry.lazy_only = False
            entry.imported_as.add(_import_name(name, providers, index))
            entry.required_by.update(s.render() for s in by_job)
        for owner, sites in sorted(by_library.items()):
            if owner != dist.name:
                _add_library_reason(pending.setdefault(dist.name, _Pending()), owner, sites)


def job_import_sites(graph: ImportGraph, name: str) -> list[ImportSite]:
    """Where the job's own code (not an installed library) imports the module `name`."""
    return [site for importer in graph.find_modules_that_directly_import(name)
            if graph.get_module(importer).kind in _JOB_KINDS
            for site in graph.get_import_sites(importer, name)]


def _add_library_reason(entry: _Pending, owner: str, sites: list[ImportSite]) -> None:
    entry.parents.add(owner)
    entry.lazy_only = entry.lazy_only and all(s.lazy for s in sites)
    entry.library.setdefault(owner, []).extend(sites)


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


def _evaluate(marker: Marker | None, target: Target, extra: str) -> bool:
    if marker is None:
        return True
    return _marker_holds(str(marker), marker, target, extra)


# A torch + transformers venv asked 44,082 marker evaluations and 21,101 requirement
# parses of 64 distributions per analysis (issue #20's benchmark): the same few thousand
# strings, each parsed and judged once per process now.
_MARKERS: dict[tuple[str, Target, str], bool] = {}


def _marker_holds(text: str, marker: Marker, target: Target, extra: str) -> bool:
    key = (text, target, extra)
    if key not in _MARKERS:
        environment = {**target.marker_environment(), "extra": extra}
        try:
            _MARKERS[key] = marker.evaluate(environment)
        except (UndefinedComparison, UndefinedEnvironmentName):
            _MARKERS[key] = True
    return _MARKERS[key]


@functools.cache
def _parsed(text: str) -> PackagingRequirement | None:
    try:
        return PackagingRequirement(text)
    except InvalidRequirement:
        return None


# `name...; extra == "x"`, the usual form of an extra's requirement: its marker holds for
# that extra alone (packaging compares extras normalised). transformers declares hundreds:
# parsing them all was a third of resolving a torch + transformers job.
_ONLY_EXTRA = re.compile(r";\s*extra\s*==\s*(?:\"([^\"]+)\"|'([^']+)')\s*$")


@functools.cache
def _only_extra(text: str) -> str | None:
    """The extra (normalised) whose requirement `text` is, when its marker is exactly
    `extra == "x"`; None for any other requirement."""
    match = _ONLY_EXTRA.search(text)
    return None if match is None else canonicalize_name(match.group(1) or match.group(2))


def requirements_for(
    dist: InstalledDistribution, extras: Iterable[str], target: Target
) -> tuple[list[PackagingRequirement], set[str]]:
    """The requirements of `dist[extras]` for the target, and the extras really expanded.

    A self-reference (`pandas[pyarrow]; extra == "parquet"` inside pandas) expands the
    named extras of the same distribution; it never counts as a requirement of its own.
    """
    wanted = {canonicalize_name(e) for e in extras}
    done: set[str] = set()
    found: list[PackagingRequirement] = []
    todo = ["", *sorted(wanted)]
    while todo:
        extra = todo.pop(0)
        if extra in done:
            continue
        done.add(extra)
        for text in dist.requires:
            only = _only_extra(text)
            if only is not None and only != extra:
                continue  # `extra == "other"` cannot hold: not even parsed
            requirement = _parsed(text)
            if requirement is None or not _evaluate(requirement.marker, target, extra):
                continue
            if extra and _evaluate(requirement.marker, target, ""):
                continue  # a base requirement: already found with extra ""
            if canonicalize_name(requirement.name) == dist.name:
                todo += sorted(canonicalize_name(e) for e in requirement.extras)
            elif requirement not in found:
                found.append(requirement)
    return found, done - {""}


def pip_closure(names: Iterable[str], index: DistributionIndex, target: Target
                ) -> frozenset[str]:
    """`names` and what pip installs with them: each one's requirements without extras,
    markers judged for the target, transitively (as far as `index` has them installed)."""
    todo, done = sorted({canonicalize_name(n) for n in names}), set()
    while todo:
        name = todo.pop()
        dist = index.get(name)
        if name in done or dist is None:
            continue
        done.add(name)
        todo += [canonicalize_name(r.name) for r in requirements_for(dist, (), target)[0]]
    return frozenset(done)


def _add_closure(
    pending: dict[str, _Pending], index: DistributionIndex, target: Target,
    diagnostics: list[Diagnostic], image: ProvidedSet, elsewhere: dict[str, set[str]],
) -> None:
    queue = deque(sorted(pending))
    expanded: dict[str, tuple[frozenset[str], bool]] = {}
    while queue:
        name = queue.popleft()
        state = (frozenset(pending[name].extras), pending[name].required)
        if expanded.get(name) == state:
            continue
        expanded[name] = state
        extras = state[0]
        dist = index.distributions[name]
        found, _ = requirements_for(dist, extras, target)
        for requirement in found:
            if _unneeded_build_tool(dist, requirement, pending, diagnostics):
                continue
            child = _require(dist, requirement, index, diagnostics, image)
            if child is None and image.get(requirement.name) is not None:
                elsewhere.setdefault(canonicalize_name(requirement.name), set()).add(dist.name)
            if child is not None:
                entry = pending.setdefault(child.name, _Pending())
                entry.required = entry.required or pending[name].required
                entry.required_by.add(dist.name)
                entry.parents.add(dist.name)
                entry.lazy_only = False
                entry.extras.update(canonicalize_name(e) for e in requirement.extras)
                queue.append(child.name)


def _require(
    dist: InstalledDistribution, requirement: PackagingRequirement, index: DistributionIndex,
    diagnostics: list[Diagnostic], image: ProvidedSet,
) -> InstalledDistribution | None:
    installed = index.get(requirement.name)
    if installed is None and image.get(requirement.name) is not None:
        return None  # not here, but the image has it: the runner checks it there
    if installed is None:
        diagnostics.append(codes.REQUIREMENT_NOT_INSTALLED.note(
            f"{dist.name} requires {requirement} which is not installed; "
            "it is not pinned and pip will resolve it on the target"))
        return None
    if installed.version and requirement.specifier:
        try:
            ok = requirement.specifier.contains(installed.version, prereleases=True)
        except InvalidVersion:
            ok = True
        if not ok:
            diagnostics.append(codes.REQUIREMENT_VERSION_CONFLICT.note(
                f"{dist.name} requires {requirement} but {installed.name} "
                f"{installed.version} is installed; the installed version is pinned"))
    return installed


def _unneeded_build_tool(
    dist: InstalledDistribution, requirement: PackagingRequirement,
    pending: dict[str, _Pending], diagnostics: list[Diagnostic],
) -> bool:
    """Whether `requirement` names pip, setuptools or wheel that no reached code imports
    (said in an info diagnostic, which names the requirement)."""
    name = canonicalize_name(requirement.name)
    if name not in BUILD_TOOLS or name in pending:
        return False
    diagnostics.append(BUILD_TOOL_NOT_PINNED.at(
        None, None, f"{dist.name} requires {requirement}; not pinned, as no code the job "
        "reaches imports it"))
    return True


def _exclude(
    pending: dict[str, _Pending], excluded: list[str], diagnostics: list[Diagnostic]
) -> None:
    """Drop the excluded distributions and whatever only they brought in."""
    children: dict[str, set[str]] = {}
    for name, entry in pending.items():
        for parent in entry.parents:
            children.setdefault(parent, set()).add(name)
    kept: set[str] = set()
    queue = deque(n for n, e in pending.items() if e.direct and n not in excluded)
    while queue:
        name = queue.popleft()
        if name in kept:
            continue
        kept.add(name)
        queue.extend(c for c in sorted(children.get(name, ())) if c not in excluded)
    for name in excluded:
        if name not in pending:
            continue  # said already, as written
        gone = sorted(n for n in pending if n not in kept and n != name and n not in excluded)
        also = f"; also dropped (only it needed them): {', '.join(gone)}" if gone else ""
        diagnostics.append(codes.EXCLUDED.note(f"{name} is excluded and will not ship{also}"))
    for name in [n for n in pending if n not in kept]:
        del pending[name]


def _on_demand(
    pending: dict[str, _Pending], demoted: Sequence[str], graph: ImportGraph,
    index: DistributionIndex, target: Target, roots: set[str], diagnostics: list[Diagnostic],
) -> list[str]:
    """Put the distributions the user named (`--on-demand`) in the optional tier, and
    whatever was required only through them: the import chains that pass their modules and
    the requirements they bring no longer make anything required. Returns what moved."""
    named = set(demoted)
    avoided = {m.name for m in graph.find_modules("external")
               if any(d.name in named for d in index.providers(m.name))}
    required = {n for n in roots if n in pending} - named
    for module in graph.find_surely_reached(avoiding=avoided):
        required.update(d.name for d in index.providers(module)
                        if d.name in pending and d.name not in named)
    queue = deque(sorted(required))
    while queue:  # what a required pin requires is required (as `_add_closure` has it)
        name = queue.popleft()
        found, _ = requirements_for(index.distributions[name], pending[name].extras, target)
        for requirement in found:
            child = canonicalize_name(requirement.name)
            if child in pending and child not in named and child not in required:
                required.add(child)
                queue.append(child)
    moved = sorted(n for n, e in pending.items() if e.required and n not in required)
    for name in moved:
        pending[name].required = False
    return moved


def _on_demand_note(demoted: Sequence[str], moved: Sequence[str], installed: Sequence[str],
                    diagnostics: list[Diagnostic]) -> None:
    """The info naming what `--on-demand` put in the optional tier (of `installed`: the
    pins the archive brings, not the image's)."""
    named = set(demoted)
    known = sorted(named & set(installed))
    if not known:
        return
    one = len(known) == 1
    also = sorted(n for n in moved if n not in named)
    more = (f"; so {'is' if len(also) == 1 else 'are'} {', '.join(also)}, which only "
            f"{'it' if one else 'they'} made required") if also else ""
    diagnostics.append(codes.ON_DEMAND.note(
        f"--on-demand {', '.join(known)}: in the optional tier, installed when the job "
        f"first imports {'it' if one else 'them'}{more}"))


def _pin(
    dist: InstalledDistribution, entry: _Pending, target: Target,
    diagnostics: list[Diagnostic], image: ImageDistribution | None = None,
) -> Requirement:
    if not dist.version:
        raise DistributionError(f"installed distribution {dist.name!r} has no version; "
                                "reinstall it or list it in a requirements file")
    if image is None and not dist.pure and _built_for_other_platform(dist, target):
        diagnostics.append(
            codes.PLATFORM_MISMATCH.note(
                       f"{dist.name} {dist.version} is installed as a "
                       f"{', '.join(dist.wheel_tags) or 'platform-specific'} build; "
                       f"the target needs a linux_x86_64 / cp{target.major}{target.minor} wheel")
        )
    return Requirement(
        name=dist.name,
        version=dist.version,
        direct=entry.direct,
        imported_as=tuple(sorted(entry.imported_as)),
        required_by=tuple(sorted(entry.reasons())),
        url=dist.vcs_url or _archive_url(dist, diagnostics),
        extras=tuple(sorted(entry.extras)),
        pure=dist.pure,
        size=dist.size,
        lazy_only=entry.lazy_only and not entry.direct,
        tier="provided" if image is not None else "required" if entry.required else "optional",
        image_version=image.version or None if image is not None else None,
        top_level=tuple(sorted(m for m in dist.modules if "." not in m)),
    )


def _archive_url(dist: InstalledDistribution, diagnostics: list[Diagnostic]) -> str | None:
    """The file a distribution was installed from (`pip install dist/x.whl`), when it is
    still there: the pin names it, so `build --wheels` ships that very wheel instead of
    whatever the index serves under the same name and version. A file that is gone is
    said, and the pin falls back to the index."""
    url = dist.archive_url
    path = local_file(url)
    if path is None or path.is_file():
        return url
    diagnostics.append(codes.LOCAL_ARCHIVE_GONE.note(
        f"{dist.name} {dist.version} was installed from {path}, which is gone: it is "
        f"pinned as {dist.name}=={dist.version} from the index, which may serve another "
        "project or build under that name; put the file back or reinstall from it"))
    return None


def _built_for_other_platform(dist: InstalledDistribution, target: Target) -> bool:
    return bool(dist.wheel_tags) and not any(
        target.accepts_wheel_tag(tag) for tag in dist.wheel_tags)
