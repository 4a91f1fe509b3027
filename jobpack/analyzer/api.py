"""`analyze`: entry points or a job config in, `Analysis` (manifest + import graph) out.

The steps, each in its own module: read the config (`jobpack.config`), find the entry
points (`cmdline`, `entries`), inspect the analysed interpreter (`environment`,
`distributions`), walk the imports (`walker`), pin the distributions (`requirements`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from jobpack.analyzer.cache import FactsStore
from jobpack.analyzer.cmdline import find_cmd_entries
from jobpack.analyzer.distributions import DistributionIndex
from jobpack.analyzer.entries import (
    absolute_entry,
    default_root,
    local_path_entry,
    parse_entry,
)
from jobpack.analyzer.environment import PythonEnvironment, inspect_python
from jobpack.analyzer.facts import FileFacts
from jobpack.analyzer.finder import Finder
from jobpack.analyzer.graph import ImportGraph, Step
from jobpack.analyzer.requirements import resolve_requirements
from jobpack.analyzer.walker import Entry, Walker
from jobpack.errors import EntryPointError, QueryError
from jobpack.files import Expansion, expand
from jobpack.manifest import (
    Diagnostic,
    Interpreter,
    LocalFile,
    Manifest,
    PipOptions,
    TargetSpec,
)
from jobpack.paths import cache_dir as default_cache_dir
from jobpack.target import Target

if TYPE_CHECKING:
    from jobpack.config import JobConfig

FactsFor = Callable[[Path], FileFacts]
Progress = Callable[[str, int, "int | None"], None]  # (stage, done, total if known)


@dataclass(frozen=True)
class Analysis:
    """The result of analysing a job: its manifest and the import graph behind it."""

    manifest: Manifest
    graph: ImportGraph
    root: Path
    sources: dict[str, Path] = field(default_factory=dict)  # manifest path -> file on disk
    environment: PythonEnvironment | None = None
    index: DistributionIndex | None = None

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.manifest.diagnostics


def analyze(
    entry_points: Sequence[str | Path] = (),
    *,
    config: str | Path | None = None,
    python: str | None = None,
    target_python: str | None = None,
    root: str | Path | None = None,
    no_deps: bool = False,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    workers: int | None = None,
    facts_for: FactsFor | None = None,
    exclude: Sequence[str] = (),
    read_pep723: bool = True,
    on_progress: Progress | None = None,
) -> Analysis:
    """Analyse a job statically from `entry_points` (`main.py`, `-m pkg.mod`) or `config`.

    Nothing of the job is imported or run. `python` names the interpreter whose installed
    distributions are used (default: `$VIRTUAL_ENV`, else the one running jobpack);
    `target_python` (`"3.11"`) the Python the job will run on (default: the config's
    `env.python.version`, else the analysed interpreter's). Per-file import facts are
    cached in `cache_dir` (default: `$JOBPACK_CACHE_DIR`, else the user cache folder) unless
    `no_cache`; `workers` caps the processes that parse a cold tree (default: all cores).
    `exclude` names distributions not to ship, with whatever only they bring in.
    An entry script's PEP 723 block, when it declares dependencies, is authoritative
    unless `read_pep723` is false. `on_progress(stage, done, total)` hears how far it is.
    """
    progress = on_progress or _no_progress
    job = None
    if config is not None:
        from jobpack.config import load_config  # PyYAML only when there is a config

        job = load_config(config)
    texts = [str(e) for e in entry_points]
    if job is not None:
        found = find_cmd_entries(job.cmd, job.root, config=str(config))
        texts = list(dict.fromkeys([*texts, *found.as_entry_points(), *job.root_paths]))
        if not texts and not job.local_paths and (found.runs_python or job.python_configured):
            raise EntryPointError(
                f"cannot find the Python entry point in cmd {job.cmd!r}; "
                "list it in env.python.root-paths", path=str(config), key="cmd")
    elif not texts:
        raise EntryPointError("no entry point given (name a .py file or use --config)")
    if root is not None:
        base = Path(root).resolve()
    else:
        base = job.root if job is not None else default_root(texts)
        if job is None:
            texts = [absolute_entry(t) for t in texts]  # they were relative to the cwd
    progress("inspecting the interpreter", 0, None)
    environment = inspect_python(python)
    version = target_python or (job.version if job else None)
    target = Target.parse(version) if version else environment.target
    diagnostics = list(job.notes) if job else []
    if job is not None and not texts and not job.local_paths:
        return _plain(job, target, environment, diagnostics)
    diagnostics += _version_check(environment, target)
    entries = [parse_entry(text, base) for text in texts]
    progress("reading installed distributions", 0, None)
    index = DistributionIndex.from_paths(environment.distribution_paths)
    progress("reading installed distributions", len(index.distributions),
             len(index.distributions))
    pip = job.pip if job else PipOptions()
    local_paths = expand([job.root / p for p in job.local_paths], job.root) \
        if job and job.local_paths else None
    walker_entries = entries + _local_path_scripts(local_paths, job, entries)
    if facts_for is None:
        folder = None if no_cache else Path(cache_dir) if cache_dir else default_cache_dir()
        facts_for = FactsStore(target, folder, workers=workers)
    try:
        analysis = walk(walker_entries, base, target, index, environment, facts_for,
                        diagnostics, no_deps=no_deps or pip.no_deps, exclude=exclude,
                        on_progress=progress)
    finally:
        if isinstance(facts_for, FactsStore):
            facts_for.close()
    manifest = replace(analysis.manifest, entry_points=tuple(e.name for e in entries), pip=pip,
                       cmd=_default_cmd(entries[0]) if entries else None)
    if read_pep723:
        manifest = _apply_pep723(manifest, entries, analysis.index)
    sources = analysis.sources
    if job is not None:
        manifest, sources = _apply_job(job, manifest, sources, entries, local_paths)
    manifest = replace(manifest, interpreter=_interpreter(environment))
    return replace(analysis, manifest=manifest.normalized(), sources=sources)


def _apply_pep723(manifest: Manifest, entries: list[Entry],
                  index: DistributionIndex | None) -> Manifest:
    from jobpack.analyzer.pep723 import apply_metadata, metadata_of_entries

    metadata = metadata_of_entries([(e.file, e.name) for e in entries])
    return manifest if metadata is None else apply_metadata(manifest, metadata, index)


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def _counting(prefetch: Callable[[list[Path]], None],
              on_progress: Progress) -> Callable[[list[Path]], None]:
    """`prefetch` that reports how many files the walker has asked for so far."""
    seen: set[Path] = set()

    def counted(paths: list[Path]) -> None:
        prefetch(paths)
        seen.update(paths)
        on_progress("parsing files", len(seen), None)

    return counted


def _interpreter(environment: PythonEnvironment) -> Interpreter:
    return Interpreter(python=".".join(str(v) for v in environment.version),
                       environment="venv" if environment.venv else "system",
                       platform=environment.platform)


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
    exclude: Sequence[str] = (),
    on_progress: Progress | None = None,
) -> Analysis:
    """Walk from `entries` and resolve what the graph needs into a manifest.

    The installed libraries the job reaches are walked too, from the analysed
    environment's distribution folders.
    """
    site_finder = Finder()
    site_paths = environment.distribution_paths if environment else ()

    def find_external(name: str) -> str | None:
        deepest = index.deepest(name)
        if deepest is not None:
            return deepest
        top = name.partition(".")[0]
        return top if site_paths and site_finder.find(top, site_paths) else None

    extra = {top: folder for top, (folder, _) in index.local_roots.items()}
    store = facts_for if facts_for is not None else FactsStore(target, None)
    prefetch: Callable[[list[Path]], None] | None = (
        store.prefetch if isinstance(store, FactsStore) else None)
    if prefetch is not None and on_progress is not None:
        prefetch = _counting(prefetch, on_progress)
    walker = Walker(root, target, store, find_external, extra,
                    is_external_namespace=index.is_namespace, prefetch=prefetch,
                    site_paths=tuple(site_paths))
    walked = walker.walk(entries)
    notes = list(diagnostics)
    for top, (folder, dist) in sorted(index.local_roots.items()):
        if top in walked.graph.modules:
            notes.append(Diagnostic(None, None, "local-install",
                f"{top!r} comes from {dist}, installed from the folder {folder}; "
                "it ships as local code"))
    requirements, found = resolve_requirements(walked.graph, index, target, no_deps=no_deps,
                                               exclude=exclude)
    manifest = Manifest(
        target=TargetSpec(python=target.python),
        entry_points=tuple(e.name for e in entries),
        requirements=requirements,
        local_files=tuple(_local_file(rel, file) for rel, file in walked.local_files.items()),
        diagnostics=(*walked.diagnostics, *notes, *found),
    ).normalized()
    return Analysis(manifest, walked.graph, root, dict(walked.local_files), environment, index)


def _plain(job: JobConfig, target: Target, environment: PythonEnvironment,
           diagnostics: list[Diagnostic]) -> Analysis:
    """A job whose cmd runs no Python: nothing to analyse, its inputs ship as they are."""
    manifest = Manifest(
        target=TargetSpec(python=target.python), entry_points=(), cmd=job.cmd,
        inputs=job.inputs, outputs=job.outputs, env=job.env_vars, python_mode="plain",
        name=job.name, diagnostics=tuple(diagnostics), runtime_vars=job.runtime_vars,
        interpreter=_interpreter(environment),
    ).normalized()
    return Analysis(manifest, ImportGraph(), job.root, {}, environment)


def _default_cmd(entry: Entry) -> str:
    return f"python {entry.name}"


def _local_path_scripts(local_paths: Expansion | None, job: JobConfig | None,
                        entries: list[Entry]) -> list[Entry]:
    """With manual local-paths, every script in them is walked to find what it imports."""
    if local_paths is None or job is None:
        return []
    known = {e.file for e in entries}
    return [local_path_entry(f, job.root)
            for f in local_paths.files if f.suffix == ".py" and f not in known]


def _apply_job(job: JobConfig, manifest: Manifest, sources: dict[str, Path],
               entries: list[Entry], local_paths: Expansion | None,
               ) -> tuple[Manifest, dict[str, Path]]:
    diagnostics = list(manifest.diagnostics)
    requirements = manifest.requirements
    pip = job.pip
    if job.requirements_file is not None:
        from jobpack.analyzer.reqfile import read_requirements_file

        requirements, pip = read_requirements_file(job.root / job.requirements_file, job.root, pip)
    if local_paths is not None:
        sources = {f.relative_to(job.root).as_posix(): f for f in local_paths.files}
        for entry in entries:
            if entry.file.is_relative_to(job.root):
                sources.setdefault(entry.file.relative_to(job.root).as_posix(), entry.file)
        diagnostics += _left_out(local_paths.left_out, job.root, "env.python.local-paths")
    manifest = replace(
        manifest, cmd=job.cmd, inputs=job.inputs, outputs=job.outputs, env=job.env_vars,
        name=job.name,
        python_mode="manual" if job.python_type == "manual" else "auto", pip=pip,
        requirements=requirements, diagnostics=tuple(diagnostics),
        runtime_vars=job.runtime_vars,
        local_files=tuple(_local_file(rel, file) for rel, file in sorted(sources.items())),
    )
    return manifest, sources


def _left_out(left_out: tuple[tuple[Path, str], ...], root: Path, key: str) -> list[Diagnostic]:
    if not left_out:
        return []
    listed = ", ".join(f"{p.relative_to(root).as_posix()} ({why})" for p, why in left_out)
    return [Diagnostic(None, None, "left-out", f"{key}: not shipped: {listed}")]


def _version_check(environment: PythonEnvironment, target: Target) -> list[Diagnostic]:
    env = environment.target
    if (env.major, env.minor) == (target.major, target.minor):
        return []
    return [Diagnostic(None, None, "target-mismatch",
        f"the analysed interpreter is Python {env.full_version} but the target is Python "
        f"{target.full_version}; installed versions may differ on the target")]


def _local_file(rel: str, file: Path) -> LocalFile:
    data = file.read_bytes()
    return LocalFile(path=rel, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


@dataclass(frozen=True)
class Explanation:
    """Why a job needs `name`: chains of imports, and distributions that require it."""

    name: str
    chains: tuple[tuple[Step, ...], ...]
    required_by: tuple[str, ...] = ()


def why(analysis: Analysis, name: str) -> Explanation:
    """The import chains from the entry points to a distribution, import name or module."""
    from packaging.utils import canonicalize_name

    graph = analysis.graph
    wanted = {m.name for m in graph if name in {m.name, m.path}}
    canonical = canonicalize_name(name)
    requirement = next((r for r in analysis.manifest.requirements if r.name == canonical), None)
    if requirement is not None and analysis.index is not None:
        wanted |= {
            m.name for m in graph.find_modules("external")
            if canonical in {d.name for d in analysis.index.providers(m.name)}
        }
    if not wanted and requirement is None:
        raise QueryError(f"{name!r} is neither a module of the job nor a distribution it needs")
    sources = [m.name for m in graph.find_modules("entry")]
    chains = [c for target in sorted(wanted) for c in graph.find_chains(target, sources)]
    required_by = () if requirement is None or requirement.direct else requirement.required_by
    return Explanation(name, tuple(chains), required_by)
