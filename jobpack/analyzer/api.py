"""`analyze`: entry points in, `Analysis` (manifest + import graph) out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jobpack.analyzer.distributions import DistributionIndex
from jobpack.analyzer.entries import default_root, parse_entry
from jobpack.analyzer.environment import PythonEnvironment, inspect_python
from jobpack.analyzer.facts import FileFacts
from jobpack.analyzer.finder import Finder
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.requirements import resolve_requirements
from jobpack.analyzer.walker import Entry, Walker
from jobpack.errors import EntryPointError
from jobpack.manifest import Diagnostic, LocalFile, Manifest, TargetSpec
from jobpack.target import Target

FactsFor = Callable[[Path], FileFacts]


@dataclass(frozen=True)
class Analysis:
    """The result of analysing a job: its manifest and the import graph behind it."""

    manifest: Manifest
    graph: ImportGraph
    root: Path
    sources: dict[str, Path] = field(default_factory=dict)  # manifest path -> file on disk
    environment: PythonEnvironment | None = None

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.manifest.diagnostics


def analyze(
    entry_points: Sequence[str | Path],
    *,
    python: str | None = None,
    target_python: str | None = None,
    root: str | Path | None = None,
    no_deps: bool = False,
    facts_for: FactsFor | None = None,
) -> Analysis:
    """Analyse a job statically, starting at `entry_points` (`main.py` or `-m pkg.mod`)."""
    texts = [str(e) for e in entry_points]
    if not texts:
        raise EntryPointError("no entry point given (name a .py file or use --config)")
    base = Path(root).resolve() if root is not None else default_root(texts)
    entries = [parse_entry(text, base) for text in texts]
    environment = inspect_python(python)
    target = Target.parse(target_python) if target_python else environment.target
    diagnostics = _version_check(environment, target)
    index = DistributionIndex.from_paths(environment.distribution_paths)
    return walk(
        entries, base, target, index, environment, facts_for, diagnostics, no_deps=no_deps
    )


def walk(
    entries: list[Entry],
    root: Path,
    target: Target,
    index: DistributionIndex,
    environment: PythonEnvironment | None,
    facts_for: FactsFor | None,
    diagnostics: list[Diagnostic],
    *,
    no_deps: bool = False,
) -> Analysis:
    """Walk from `entries` and resolve what the graph needs into a manifest."""
    site_finder = Finder()
    site_paths = environment.distribution_paths if environment else ()

    def find_external(name: str) -> str | None:
        deepest = index.deepest(name)
        if deepest is not None:
            return deepest
        top = name.partition(".")[0]
        return top if site_paths and site_finder.find(top, site_paths) else None

    extra = {top: folder for top, (folder, _) in index.local_roots.items()}
    walker = Walker(root, target, facts_for or _parse_file(target), find_external, extra)
    walked = walker.walk(entries)
    for top, (folder, dist) in sorted(index.local_roots.items()):
        if top in walked.graph.modules:
            diagnostics.append(Diagnostic(None, None, "local-install",
                f"{top!r} comes from {dist}, installed from the folder {folder}; "
                "it ships as local code"))
    requirements, notes = resolve_requirements(walked.graph, index, target, no_deps=no_deps)
    manifest = Manifest(
        target=TargetSpec(python=target.python),
        entry_points=tuple(e.name for e in entries),
        requirements=requirements,
        local_files=tuple(_local_file(rel, file) for rel, file in walked.local_files.items()),
        diagnostics=tuple(walked.diagnostics) + tuple(diagnostics) + notes,
    ).normalized()
    return Analysis(manifest, walked.graph, root, dict(walked.local_files), environment)


def _version_check(environment: PythonEnvironment, target: Target) -> list[Diagnostic]:
    env = environment.target
    if (env.major, env.minor) == (target.major, target.minor):
        return []
    return [Diagnostic(None, None, "target-mismatch",
        f"the analysed interpreter is Python {env.full_version} but the target is Python "
        f"{target.full_version}; installed versions may differ on the target")]


def _parse_file(target: Target) -> FactsFor:
    from jobpack.analyzer.parser import parse_facts

    def facts_for(path: Path) -> FileFacts:
        return parse_facts(path.read_bytes(), target)

    return facts_for


def _local_file(rel: str, file: Path) -> LocalFile:
    data = file.read_bytes()
    return LocalFile(path=rel, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
