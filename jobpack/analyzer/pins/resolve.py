"""Step 5 of `analyze`: the job's requirements, in one of three modes.

- manual: the config's `requirements-file` is the truth, read as pip would; the analysed
  environment only tells what the job imports that the file will not install.
- PEP 723: an entry script's `# /// script` block with `dependencies` is the truth (the PEP
  says requirements must not be inferred then); what is imported but undeclared is noted.
- auto: the distributions the import graph reaches, pinned to their installed versions,
  with their closure (`requirements.resolve_requirements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.job import Job
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.analyzer.walk.walker import Entry
from jobpack.manifest import Diagnostic, PipOptions, PythonMode, Requirement
from jobpack.target import Target


@dataclass(frozen=True)
class Resolution:
    """What the job needs installed on the target, and how pip is told to install it."""

    requirements: tuple[Requirement, ...]
    pip: PipOptions
    mode: PythonMode
    diagnostics: tuple[Diagnostic, ...] = ()
    # imports the walker could not resolve here that these requirements install
    # (manual mode: `import pandas` with `pandas` in the file): (path, line, module)
    installs_unresolved: frozenset[tuple[str | None, int, str]] = frozenset()

    def answers(self, diagnostic: Diagnostic) -> bool:
        """Whether `diagnostic` is an unresolved import these requirements install."""
        return diagnostic.code in ("unresolved-import", "optional-import-missing") and any(
            (path, line) == (diagnostic.path, diagnostic.line) and repr(module) in
            diagnostic.message for path, line, module in self.installs_unresolved)


def resolve(job: Job, graph: ImportGraph, entries: Sequence[Entry], index: DistributionIndex,
            target: Target, *, no_deps: bool = False, exclude: Sequence[str] = (),
            read_pep723: bool = True) -> Resolution:
    """The requirements of `job` whose imports are `graph` (see the module docstring)."""
    config = job.config
    if config is not None and config.requirements_file is not None:
        from jobpack.analyzer.pins.reqfile import read_requirements_file

        requirements, pip = read_requirements_file(
            config.root / config.requirements_file, config.root, config.pip)
        return Resolution(requirements, pip, _mode(job), _undeclared(
            graph, index, target, requirements, config.requirements_file),
            _declared_unresolved(graph, requirements))
    inferred, found = resolve_requirements(graph, index, target,
                                           no_deps=no_deps or job.pip.no_deps, exclude=exclude)
    resolution = Resolution(inferred, job.pip, _mode(job), tuple(found))
    if read_pep723:
        resolution = _with_pep723(resolution, entries, index, target)
    return resolution


def _undeclared(graph: ImportGraph, index: DistributionIndex, target: Target,
                declared: tuple[Requirement, ...], file: str) -> tuple[Diagnostic, ...]:
    from jobpack.analyzer.pins.declared import undeclared

    imported, _ = resolve_requirements(graph, index, target, no_deps=True)
    return tuple(undeclared(imported, declared, index, target, file))


def _declared_unresolved(graph: ImportGraph, declared: tuple[Requirement, ...],
                         ) -> frozenset[tuple[str | None, int, str]]:
    """Unresolved imports whose top-level name is a declared distribution's name (not
    installed where jobpack analyses, but pip installs it on the target)."""
    names = {canonicalize_name(r.name) for r in declared}
    return frozenset(
        (site.path, site.line, module.name)
        for module in graph.find_modules("unresolved")
        if canonicalize_name(module.name.partition(".")[0]) in names
        for importer in graph.find_modules_that_directly_import(module.name)
        for site in graph.get_import_sites(importer, module.name))


def _with_pep723(auto: Resolution, entries: Sequence[Entry], index: DistributionIndex,
                 target: Target) -> Resolution:
    from jobpack.analyzer.pins.pep723 import apply_metadata, metadata_of_entries

    metadata = metadata_of_entries([(e.file, e.name) for e in entries])
    if metadata is None:
        return auto
    requirements, notes = apply_metadata(metadata, auto.requirements, target, index)
    kept = auto.diagnostics if metadata.dependencies is None else ()
    return Resolution(requirements, auto.pip, auto.mode, (*kept, *notes))


def _mode(job: Job) -> PythonMode:
    config = job.config
    if config is not None and config.python_type == "manual":
        return "manual"
    return "auto"
