"""`analyze`: entry points or a job config in, `Analysis` (manifest + import graph) out.

A short orchestrator over named steps, each in a module of its own:
load the job (`job`) -> find its entry points (`entries`, `cmdline`) -> inspect the analysed
interpreter (`environment`, `distributions`) -> walk the imports (`walker`) -> resolve the
requirements, auto or manual (`resolve`) -> assemble the manifest, once and complete.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from jobpack import diagnostics as codes
from jobpack.analyzer.datafiles import DataFiles, Read, collect
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.reads import WRITES
from jobpack.analyzer.graph import ImportGraph, Step
from jobpack.analyzer.job import Job, load_job
from jobpack.analyzer.library_memo import Closure, LibraryMemo
from jobpack.analyzer.notebook_outputs import executed_outputs
from jobpack.analyzer.notebooks import placed, placed_reads, placed_reasons
from jobpack.analyzer.outputs import settle_outputs
from jobpack.analyzer.pins.accelerators import machine_diagnostics
from jobpack.analyzer.pins.dist_cache import DistFactsCache
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.env_state import cached_index, environment_state
from jobpack.analyzer.pins.environment import PythonEnvironment, inspect_python
from jobpack.analyzer.pins.provided import ProvidedSet, read_listings, read_provided
from jobpack.analyzer.pins.resolve import Resolution, resolve
from jobpack.analyzer.walk.branches import mark_branch_only
from jobpack.analyzer.walk.finder import Finder
from jobpack.analyzer.walk.split import SplitWalker
from jobpack.analyzer.walk.walker import Entry, Walker, WalkResult
from jobpack.credentials import redact_pip, redact_requirements
from jobpack.diagnostics import check_ignorable, drop_ignored
from jobpack.errors import QueryError
from jobpack.files import shown_name
from jobpack.layout import hash_file
from jobpack.manifest import (
    Diagnostic,
    Interpreter,
    LocalFile,
    Manifest,
    Requirement,
    SourceMap,
    Tier,
)
from jobpack.paths import cache_dir as default_cache_dir
from jobpack.target import Target

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
    # each library function the walk reached (`pkg/mod.py:12, in load`) -> the code that
    # named it first, which `why` follows back; empty where the library walk was replayed
    # from its memo (`analyze(explain=True)` never replays it)
    reached: Mapping[str, str] = field(default_factory=dict)
    # the distributions the user put in the optional tier (`on_demand`), canonical names
    on_demand: tuple[str, ...] = ()

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.manifest.diagnostics

    @property
    def source_map(self) -> SourceMap:
        """Where the manifest's files are on disk: what the packager needs beside it."""
        return SourceMap.of(self.root, self.sources)


def analyze(
    entry_points: Sequence[str | Path] = (),
    *,
    config: str | Path | None = None,
    python: str | None = None,
    target_python: str | Target | None = None,
    root: str | Path | None = None,
    no_deps: bool = False,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    workers: int | None = None,
    facts_for: FactsFor | None = None,
    exclude: Sequence[str] = (),
    on_demand: Sequence[str] = (),
    ignore: Iterable[str] = (),
    exclude_files: Sequence[str] = (),
    read_pep723: bool = True,
    on_progress: Progress | None = None,
    cwd: str | Path | None = None,
    provided: Sequence[str | Path] = (),
    provided_python: str | None = None,
    explain: bool = False,
) -> Analysis:
    """Analyse a job statically from `entry_points` (`main.py`, `-m pkg.mod`) or `config`.

    Nothing of the job is imported or run. `python` names the interpreter whose installed
    distributions are used (default: the one running jobpack); `target_python` (`"3.11"`,
    `"3.11.7"` or a `Target`) the Python the job will run on (default: the config's
    `env.python.version`, else the analysed interpreter's; an X.Y that is the analysed
    interpreter's takes its micro version). Per-file import facts are cached in `cache_dir`
    (default: the user cache folder) unless `no_cache`; `workers` caps the processes that
    parse a cold tree (default: all cores). `exclude` names distributions not to ship, with
    whatever only they bring in; `on_demand` names distributions to put in the optional
    tier (installed when the job first imports them), with whatever only they make
    required; `exclude_files` holds globs of files the job reads that
    must not ship (paths relative to the project root). `ignore` names diagnostic codes
    not to report (warnings and infos; `# jobpack: ignore[code]` on a line of the job's
    code silences one there). An entry script's PEP 723 block, when it declares
    dependencies, is authoritative unless `read_pep723` is false. `provided` (listings such
    as a `pip freeze` of the image) and `provided_python` (an interpreter of the image) name
    what the image the job runs on already has: neither shipped nor installed, checked by
    the runner. Relative paths are read from `cwd` (default: the working folder).
    `on_progress(stage, done, total)` hears how far it is. With `explain`, the libraries
    are walked afresh (not replayed from the walk's memo) and the analysis keeps what
    named each library function reached (`Analysis.reached`, which `why` follows).
    """
    # a single name where a list is asked for is that name, not its letters
    entry_points, exclude, on_demand, ignore, exclude_files, provided = (
        _listed(value) for value in (entry_points, exclude, on_demand, ignore,
                                     exclude_files, provided))
    progress = on_progress or _no_progress
    silenced = check_ignorable(ignore)
    here = Path(cwd) if cwd is not None else Path.cwd()
    job = load_job(entry_points, config=config, root=root, cwd=here)
    image = ProvidedSet.merge([read_listings(provided, here),
                               read_provided(pythons=[provided_python] if provided_python
                                             else [])])
    progress("inspecting the interpreter", 0, None)
    environment = inspect_python(python, _facts_folder(cache_dir, no_cache))
    asked = Target.parse(target_python) if isinstance(target_python, str) else target_python
    target = job.target(asked, environment)
    if not job.runs_python:
        return _assemble(job, target, environment, Walked(), _plain(job), ignore=silenced)
    cache = _facts_folder(cache_dir, no_cache)
    state = environment_state(environment.distribution_paths) if cache is not None else None
    index = _read_distributions(environment, progress, cache, state)
    site = editable_folders(index)
    entries = job.entries(site)
    store = facts_for or FactsStore(target, cache, workers=workers)
    memo = LibraryMemo(cache, state, target) if cache is not None and state is not None \
        and facts_for is None and not explain \
        and os.environ.get("JOBPACK_WALK_MEMO", "1") != "0" else None
    try:
        walked = walk_imports(job.walk_entries(entries), job.root, target, index, environment,
                              store, on_progress=progress, memo=memo)
        scripts_only = not any(t.startswith("-m ") for t in job.entry_texts)
        wider = None if root is not None or job.config is not None or not scripts_only \
            else widened_root(job.root, walked.outside_root)
        if wider is not None:  # the scripts reach up for their project's packages
            job = load_job(job.entry_texts, config=None, root=wider, cwd=wider)
            entries = job.entries(site)
            walked = walk_imports(job.walk_entries(entries), job.root, target, index,
                                  environment, store, on_progress=progress, memo=memo)
    finally:
        if isinstance(store, FactsStore):
            store.close()
    resolution = resolve(job, walked.graph, entries, index, target, no_deps=no_deps,
                         exclude=exclude, read_pep723=read_pep723, provided=image,
                         on_demand=on_demand)
    resolution = replace(resolution, diagnostics=(
        *resolution.diagnostics, *machine_diagnostics(job, resolution, image)))
    read = store.read if isinstance(store, FactsStore) else {}
    return _assemble(job, target, environment, walked, resolution, entries, index,
                     exclude_files=exclude_files, ignore=silenced, read=read,
                     on_demand=on_demand)


def _listed(value: str | Path | Iterable[str | Path]) -> tuple[Any, ...]:
    """`value` as a tuple of items; a lone string or path is one item."""
    return (value,) if isinstance(value, (str, Path)) else tuple(value)


@dataclass(frozen=True)
class Walked:
    """Step 4's result: the import graph, the local files it reached, what it noticed."""

    graph: ImportGraph = field(default_factory=ImportGraph)
    local_files: dict[str, Path] = field(default_factory=dict)  # manifest path -> file
    diagnostics: tuple[Diagnostic, ...] = ()
    outside_root: tuple[Path, ...] = ()  # sys.path folders, relative to a file, above root
    unresolved: tuple[tuple[Diagnostic, str], ...] = ()  # each with the module it is about
    suppressions: Mapping[str, Mapping[int, frozenset[str]]] = field(default_factory=dict)
    reads: tuple[Read, ...] = ()  # files the job's own code reads (not imports)
    # folders inside the root that editable installs of the job's packages put on sys.path
    sys_path: tuple[str, ...] = ()
    reached: Mapping[str, str] = field(default_factory=dict)  # see `Analysis.reached`


def widened_root(root: Path, outside: Sequence[Path], levels: int = 2) -> Path | None:
    """The root that holds the folders scripts put on sys.path above the default root
    (`sys.path.insert(0, os.path.dirname(__file__) + "/..")`): at most `levels` above it,
    and never `/` or a folder right below it. None when there is nothing to widen."""
    if not outside:
        return None
    wider = Path(os.path.commonpath([root, *outside]))
    if len(wider.parts) < 3 or len(root.parts) - len(wider.parts) > levels:
        return None
    return wider


def walk_imports(
    entries: list[Entry],
    root: Path,
    target: Target,
    index: DistributionIndex,
    environment: PythonEnvironment | None,
    facts_for: FactsFor,
    *,
    on_progress: Progress | None = None,
    memo: LibraryMemo | None = None,
) -> Walked:
    """Walk from `entries` through local code and the installed libraries they reach;
    with a `memo`, the libraries' part is reused when the job's code hands the libraries
    the same roots (`walk.split`, `library_memo`)."""
    site_finder = Finder()
    site_paths = environment.distribution_paths if environment else ()

    def find_external(name: str) -> str | None:
        deepest = index.deepest(name)
        if deepest is not None:
            return deepest
        top = name.partition(".")[0]
        return top if site_paths and site_finder.find(top, site_paths) else None

    extra = {top: folder for top, (folder, _) in index.local_roots.items()}
    dists: DistFactsCache | None = None
    if isinstance(facts_for, FactsStore) and facts_for.folder is not None:
        # library files: one table per (distribution, version), no hashing when warm
        dists = DistFactsCache(facts_for, index, site_paths, facts_for.folder.parent.parent,
                               target)
    prefetch: Callable[[list[Path]], int] | None = (
        (dists or facts_for).prefetch if isinstance(facts_for, FactsStore) else None)
    if prefetch is not None and on_progress is not None:
        prefetch = _counting(prefetch, on_progress)
    ahead = (dists or facts_for) if isinstance(facts_for, FactsStore) else None
    kind = Walker if memo is None else SplitWalker
    walker = kind(root, target, dists or facts_for, find_external, extra,
                  is_external_namespace=index.is_namespace, prefetch=prefetch,
                  site_paths=tuple(site_paths), ahead=ahead)
    if isinstance(walker, SplitWalker) and memo is not None:
        result = _memoised_walk(walker, entries, memo)
    else:
        result = walker.walk(entries)
    if dists is not None:
        dists.flush()
    mark_branch_only(result.graph, result.local_files, target)
    notes = [codes.LOCAL_INSTALL.note(f"{top!r} comes from {dist}, installed from the "
                                      f"folder {folder}; it ships as local code")
             for top, (folder, dist) in sorted(index.local_roots.items())
             if top in result.graph.modules]
    inside = sorted({folder.relative_to(root).as_posix()
                     for top, (folder, _) in index.local_roots.items()
                     if top in result.graph.modules and folder != root
                     and folder.is_relative_to(root)})
    return Walked(result.graph, dict(result.local_files), (*result.diagnostics, *notes),
                  tuple(result.outside_root), tuple(result.unresolved), result.suppressions,
                  tuple(result.reads), tuple(inside), result.reached)


def _memoised_walk(walker: SplitWalker, entries: list[Entry], memo: LibraryMemo
                   ) -> WalkResult:
    """The job's code walked, then the libraries' part replayed from the memo or walked
    (and remembered when it touched nothing of the job's own)."""
    answers = memo.answers()
    result = walker.walk_local(entries, answers)
    if walker.learned:
        memo.store_answers(answers)
    roots, where = walker.roots(), (walker.root, walker.site_paths, walker.extra_roots)
    key, referrers = memo.key(roots, *where), walker.referrers()
    if memo.replay(key, result.graph, referrers):
        return result
    # more imports and names: a walk they cannot change is replayed too
    modules = memo.key(roots, *where, closure=True)
    closure = memo.closure(modules)
    job_keys = None  # resolved once: the covering check's are the walk's own
    if closure is not None:
        job_keys = walker.job_keys(closure.job)
        if closure.covers(roots.follows, job_keys) \
                and memo.replay(closure.part, result.graph, referrers):
            return result
    part = walker.walk_libraries()
    if part is not None:
        memo.store(key, part)
        # a module visited only through an `except ImportError` fallback is not "visited"
        # for a job that imports it: what it names would then run for sure
        seen = walker.settled if walker.settled is not None else walker.seen
        memo.store_closure(modules, Closure(
            frozenset(roots.follows), frozenset(seen),
            job_keys if job_keys is not None else walker.job_keys(),
            walker.reach.frontier(), walker.job_reach.frontier(), key))
    return result


def editable_folders(index: DistributionIndex) -> tuple[Path, ...]:
    """The folders editable and local-folder installs put on sys.path (a `.pth` line, an
    `__editable__` finder's mapping), in a stable order."""
    return tuple(sorted({folder for folder, _ in index.local_roots.values()}))


def _assemble(job: Job, target: Target, environment: PythonEnvironment, walked: Walked,
              resolution: Resolution, entries: Sequence[Entry] = (),
              index: DistributionIndex | None = None, *,
              exclude_files: Sequence[str] = (),
              ignore: frozenset[str] = frozenset(),
              read: Mapping[Path, tuple[str, int]] | None = None,
              on_demand: Sequence[str] = ()) -> Analysis:
    """Step 6: the manifest, built once and complete, and the analysis around it."""
    sources, left_out = _sources(job, walked, entries)
    run = job.run
    data = _data_files(job, walked, sources, exclude_files)
    cmd = run.cmd or (f"python {entries[0].name}" if entries else None)
    outputs, settled = settle_outputs((*run.outputs, *executed_outputs(cmd, run.outputs)),
                                      job.root, walked.reads,
                                      job.config.file.name if job.config else None, run.cmd)
    pip, redacted = redact_pip(resolution.pip)  # credentials never enter the manifest
    requirements, secret_urls = redact_requirements(resolution.requirements)
    requirements = placed_reasons(requirements, sources)
    manifest = Manifest(
        target=target,
        entry_points=tuple(e.name for e in entries),
        requirements=requirements,
        local_files=tuple(_local_file(rel, file, read or {})
                          for rel, file in sorted(sources.items())),
        diagnostics=placed(drop_ignored(
            (*job.notes, *_version_check(environment, target), *_unanswered(walked, resolution),
             *resolution.diagnostics, *left_out, *data.diagnostics, *settled, *redacted,
             *secret_urls),
            ignore, lambda path, line: walked.suppressions.get(path, {}).get(line, frozenset())),
            sources),
        cmd=cmd,
        inputs=run.inputs,
        outputs=outputs,
        env=run.env_vars,
        python_mode=resolution.mode,
        pip=pip,
        name=run.name,
        runtime_vars=run.runtime_vars,
        sys_path=walked.sys_path,
        interpreter=_interpreter(environment),
        data_files=placed_reads(data.records(), sources),
    ).normalized()
    return Analysis(manifest, walked.graph, job.root, {**data.files, **sources}, environment,
                    index, walked.reached,
                    tuple(sorted({canonicalize_name(n) for n in on_demand})))


def _data_files(job: Job, walked: Walked, sources: dict[str, Path],
                exclude_files: Sequence[str]) -> DataFiles:
    """What the job reads besides its code, and what `cmd` names: decided in
    `datafiles` (ships, too big, missing, excluded)."""
    reads = [r for r in walked.reads if r.kind not in WRITES]
    if job.config is not None:
        reads += [Read(job.root / word, "data", job.config.file.name, key="cmd")
                  for word in job.cmd_files]
    run = job.run
    declared = [item.path for item in (*run.inputs, *run.outputs)]
    return collect(reads, job.root, shipped=sources, declared=declared,
                   exclude=exclude_files)


def _unanswered(walked: Walked, resolution: Resolution) -> tuple[Diagnostic, ...]:
    """The walk's diagnostics but the unresolved imports the requirements install."""
    answered = {d for d, module in walked.unresolved if resolution.answers(module)}
    return tuple(d for d in walked.diagnostics if d not in answered)


def _sources(job: Job, walked: Walked, entries: Sequence[Entry],
             ) -> tuple[dict[str, Path], list[Diagnostic]]:
    """The local files that ship (manifest path -> file), and what local-paths left out."""
    if job.local_paths is None:
        return walked.local_files, []
    root = job.root
    sources = {f.relative_to(root).as_posix(): f for f in job.local_paths.files}
    for entry in entries:
        if entry.file.is_relative_to(root):
            sources.setdefault(entry.file.relative_to(root).as_posix(), entry.file)
    return sources, _left_out(job.local_paths.left_out, root, "env.python.local-paths")


def _plain(job: Job) -> Resolution:
    """A job whose cmd runs no Python: nothing to install, its inputs ship as they are."""
    return Resolution((), job.pip, "plain")


def _read_distributions(environment: PythonEnvironment, progress: Progress,
                        cache: Path | None = None, state: str | None = None,
                        ) -> DistributionIndex:
    progress("reading installed distributions", 0, None)
    index = cached_index(tuple(environment.distribution_paths), cache, state)
    count = len(index.distributions)
    progress("reading installed distributions", count, count)
    return index


def _facts_folder(cache_dir: str | Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def _counting(prefetch: Callable[[list[Path]], int],
              on_progress: Progress) -> Callable[[list[Path]], int]:
    """`prefetch` that reports how many files the walker has asked for so far."""
    seen: set[Path] = set()

    def counted(paths: list[Path]) -> int:
        parsed = prefetch(paths)
        seen.update(paths)
        on_progress("reading files", len(seen), None)  # parsed, or from a cache
        return parsed

    return counted


def _interpreter(environment: PythonEnvironment) -> Interpreter:
    return Interpreter(python=".".join(str(v) for v in environment.version),
                       environment="venv" if environment.venv else "system",
                       platform=environment.platform)


def _left_out(left_out: tuple[tuple[Path, str], ...], root: Path, key: str) -> list[Diagnostic]:
    if not left_out:
        return []
    listed = ", ".join(f"{shown_name(p, root)} ({why})" for p, why in left_out)
    return [codes.LEFT_OUT.note(f"{key}: not shipped: {listed}")]


def _version_check(environment: PythonEnvironment, target: Target) -> list[Diagnostic]:
    env = environment.target
    if target.runs(env):
        return []
    return [codes.TARGET_MISMATCH.note(
        f"the analysed interpreter is Python {env.full_version} but the target is Python "
        f"{target.full_version}; installed versions may differ on the target")]


def _local_file(rel: str, file: Path, read: Mapping[Path, tuple[str, int]]) -> LocalFile:
    """The file's digest as the parser read it; files nobody parsed (data, local-paths)
    are hashed here."""
    digest, size = read.get(file) or hash_file(file)
    return LocalFile(path=rel, sha256=digest, size=size)


def probes_of(analysis: Analysis, name: str) -> list[str]:
    """Where the library modules the job reaches import the package `name` only in a type
    probe (`facts/probes.py`), as `file:line (in function)`: what `why` answers for a
    package the run may import that is not shipped. Read again from the files (a query
    on a package nobody pins, rare): each importing library file that names it."""
    from jobpack.analyzer.facts.parser import parse_facts

    if analysis.environment is None:
        return []
    wanted = canonicalize_name(name)
    graph = analysis.graph
    files = sorted({site.path for module in graph.find_modules("external")
                    for imported in graph.find_modules_directly_imported_by(module.name)
                    for site in graph.get_import_sites(module.name, imported)
                    if site.path is not None})
    target = Target.parse(analysis.manifest.target.python)
    # a line importing it (a probe's import is one line), where a test can be
    imports = re.compile(rb"^[ \t]*(?:import|from)[ \t]+" + re.escape(
        name.replace("-", "_").encode()) + rb"\b", re.MULTILINE | re.IGNORECASE)
    found: list[str] = []
    for rel in files:
        file = next((folder / rel for folder in analysis.environment.distribution_paths
                     if (folder / rel).is_file()), None)
        source = b"" if file is None else file.read_bytes()
        if (b"isinstance(" not in source and b"issubclass(" not in source) \
                or not imports.search(source):
            continue
        found += [f"{rel}:{fact.line} (in {fact.function})"
                  for fact in parse_facts(source, target).imports
                  if fact.gate and canonicalize_name(fact.gate) == wanted]
    return found


def _entering(chain: tuple[Step, ...], inside: set[str]) -> tuple[Step, ...]:
    """`chain` up to its first step into one of the modules `inside`."""
    for index, step in enumerate(chain):
        if step.imported in inside:
            return chain[:index + 1]
    return chain


@dataclass(frozen=True)
class Explanation:
    """Why a job needs `name`: chains of imports, and distributions that require it."""

    name: str
    chains: tuple[tuple[Step, ...], ...]
    required_by: tuple[str, ...] = ()
    # the tier of the distribution `name` is (or that provides the module `name`)
    tier: Tier | None = None
    # why an optional one is: `--on-demand` named it (itself), or only distributions it
    # named make it required (those); empty: code that may not run is all that reaches it
    on_demand: tuple[str, ...] = ()


def why(analysis: Analysis, name: str) -> Explanation:
    """The import chains from the entry points to a distribution, import name or module."""
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
        probes = probes_of(analysis, name)
        if probes:
            shown = ", ".join(probes[:3]) + (f" and {len(probes) - 3} more"
                                             if len(probes) > 3 else "")
            raise QueryError(
                f"{name!r} is not shipped: the code the job reaches imports it only in type "
                f"probes, whose bodies run once something else imports it "
                f"(docs/reachability.md, rule 11): {shown}")
        raise QueryError(f"{name!r} is neither a module of the job nor a distribution it needs")
    sources = [m.name for m in graph.find_modules("entry")]
    # a distribution's own modules import each other: chains end where it is entered
    entered = {m for m in wanted
               if any(i not in wanted for i in graph.find_modules_that_directly_import(m))}
    inside, wanted = wanted, entered or wanted
    # (the shortest chain to a module entered from outside may still go through the
    # distribution: torch's `import matplotlib.pyplot`, then pyplot's `matplotlib.colors`,
    # which pandas imports too; it is cut where it first enters)
    chains = list(dict.fromkeys(
        _entering(c, inside) for target in sorted(wanted)
        for c in graph.find_chains(target, sources)))
    required_by = () if requirement is None or requirement.direct else requirement.required_by
    if requirement is None and analysis.index is not None:  # asked by a module's name
        owners = {d.name for d in analysis.index.providers(name)}
        requirement = next((r for r in analysis.manifest.requirements if r.name in owners),
                           None)
    tier = None if requirement is None else requirement.tier
    return Explanation(name, tuple(chains), required_by, tier,
                       _on_demand_reason(analysis, requirement) if tier == "optional" else ())


def _on_demand_reason(analysis: Analysis, requirement: Requirement | None) -> tuple[str, ...]:
    """The `--on-demand` names that put an optional requirement in its tier, if any."""
    if requirement is None or not analysis.on_demand:
        return ()
    if requirement.name in analysis.on_demand:
        return (requirement.name,)
    index = analysis.index
    sure = analysis.graph.find_surely_reached()
    if index is not None and any(requirement.name in {d.name for d in index.providers(m)}
                                 for m in sure):
        return analysis.on_demand
    return ()
