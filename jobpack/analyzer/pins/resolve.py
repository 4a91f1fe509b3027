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

from jobpack import diagnostics as codes
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.job import Job
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.provided import ProvidedSet
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
    # what pip installs though it is not installed here (manual mode: `import pandas`
    # with `pandas` in the requirements file): canonical distribution names
    installs_unresolved: frozenset[str] = frozenset()

    def answers(self, module: str) -> bool:
        """Whether these requirements install `module`, which the walker could not find:
        its top-level name is a declared distribution's."""
        return canonicalize_name(module.partition(".")[0]) in self.installs_unresolved


def resolve(job: Job, graph: ImportGraph, entries: Sequence[Entry], index: DistributionIndex,
            target: Target, *, no_deps: bool = False, exclude: Sequence[str] = (),
            read_pep723: bool = True, provided: ProvidedSet | None = None,
            on_demand: Sequence[str] = ()) -> Resolution:
    """The requirements of `job` whose imports are `graph` (see the module docstring)."""
    config = job.config
    if config is not None and config.requirements_file is not None:
        from jobpack.analyzer.pins.reqfile import read_requirements_file

        requirements, pip = read_requirements_file(
            config.root / config.requirements_file, config.root, config.pip)
        return Resolution(requirements, pip, _mode(job), (*_undeclared(
            graph, index, target, requirements, config.requirements_file), *_not_applied(
            exclude, on_demand, f"{config.requirements_file} (env.python.requirements-file)")),
            frozenset(canonicalize_name(r.name) for r in requirements))
    roots, unpinned, said = _declared(job, entries, index)
    inferred, found = resolve_requirements(graph, index, target,
                                           no_deps=no_deps or job.pip.no_deps, exclude=exclude,
                                           provided=provided, roots=roots,
                                           on_demand=on_demand)
    resolution = Resolution((*inferred, *unpinned), job.pip, _mode(job), (*found, *said))
    if read_pep723:
        resolution = _with_pep723(resolution, graph, entries, index, target,
                                  exclude=exclude, on_demand=on_demand)
    return resolution


def _not_applied(exclude: Sequence[str], on_demand: Sequence[str], declared: str
                 ) -> list[Diagnostic]:
    """What `--exclude` and `--on-demand` asked of pins the job declares itself."""
    asked = [f"--exclude {name}" for name in exclude] + [
        f"--on-demand {name}" for name in on_demand]
    if not asked:
        return []
    return [codes.NOT_APPLIED.note(
        f"{', '.join(asked)}: not applied: {declared} declares the requirements; edit it "
        "there")]


def _declared(job: Job, entries: Sequence[Entry], index: DistributionIndex,
              ) -> tuple[list[tuple[str, tuple[str, ...], str]], list[Requirement],
                         list[Diagnostic]]:
    """What the job declares beside its imports: notebooks' `%pip install` lines and the
    tools cmd runs notebooks with (`analyzer/notebooks.py`)."""
    from jobpack.analyzer.notebooks import Declared, declared_in, is_notebook, split_declared

    declared = [Declared(text, f"cmd ({tool})", tool=True) for tool, text in job.cmd_tools]
    notes: list[Diagnostic] = []
    for entry in entries:
        if is_notebook(entry.file):
            found, said = declared_in(entry.file, entry.name)
            declared += found
            notes += said
    if not declared:
        return [], [], notes
    roots, unpinned, said = split_declared(declared, index)
    return roots, unpinned, [*notes, *said]


def _undeclared(graph: ImportGraph, index: DistributionIndex, target: Target,
                declared: tuple[Requirement, ...], file: str) -> tuple[Diagnostic, ...]:
    from jobpack.analyzer.pins.declared import undeclared

    imported, _ = resolve_requirements(graph, index, target, no_deps=True)
    return tuple(undeclared(graph, imported, declared, index, target, file))


def _with_pep723(auto: Resolution, graph: ImportGraph, entries: Sequence[Entry],
                 index: DistributionIndex, target: Target, *, exclude: Sequence[str] = (),
                 on_demand: Sequence[str] = ()) -> Resolution:
    """`auto` as an entry script's PEP 723 block has it. A block that declares
    `dependencies` leaves `--exclude` and `--on-demand` nothing to act on."""
    from jobpack.analyzer.pins.pep723 import apply_metadata, metadata_of_entries

    metadata = metadata_of_entries([(e.file, e.name) for e in entries])
    if metadata is None:
        return auto
    requirements, notes = apply_metadata(metadata, auto.requirements, target, index, graph)
    if metadata.dependencies is None:
        return Resolution(requirements, auto.pip, auto.mode, (*auto.diagnostics, *notes))
    ignored = _not_applied(exclude, on_demand, f"{metadata.path}'s PEP 723 block")
    return Resolution(requirements, auto.pip, auto.mode, (*notes, *ignored))


def _mode(job: Job) -> PythonMode:
    config = job.config
    if config is not None and config.python_type == "manual":
        return "manual"
    return "auto"
