"""Walk the import graph from the entry points the way the interpreter would.

The walker is pure over two seams: `facts_for(path)` (parse or cache) and
`find_external(name)` (the analysed environment). It never imports user code.

Installed libraries are walked too (given `site_paths`), with the same semantics: an
installed distribution reached only from library code must still ship. What library code
imports but is not installed is normal (optional features) and stays silent.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from jobpack import diagnostics as codes
from jobpack.analyzer.datafiles import Read
from jobpack.analyzer.facts.model import FileFacts, FunctionFact, ImportFact, ReadFact
from jobpack.analyzer.graph import ImportGraph, ImportSite, Module
from jobpack.analyzer.walk.cython import cython_imports
from jobpack.analyzer.walk.finder import Finder, Located
from jobpack.analyzer.walk.lazy import LazyTables, with_stub_tables
from jobpack.analyzer.walk.reach import GETATTR, GETATTR_HIDDEN, Reachability, gate_name
from jobpack.analyzer.walk.resolve import Namespaces, ParseAhead, absolute
from jobpack.analyzer.walk.star_scan import StarScan
from jobpack.diagnostics import Code
from jobpack.manifest import Diagnostic
from jobpack.target import BUILTIN, Target, is_stdlib

FactsFor = Callable[[Path], FileFacts]
_LAZY_DEPTH = 8  # lazy tables that lead to lazy tables, at most this deep
# The deepest prefix of a dotted name the environment provides, or None when it has none.
FindExternal = Callable[[str], str | None]


@dataclass(frozen=True)
class Entry:
    """An entry point: a script (`module` None) or the file `python -m module` runs."""

    file: Path
    name: str
    module: str | None = None
    package: str | None = None


@dataclass
class WalkResult:
    graph: ImportGraph
    local_files: dict[str, Path] = field(default_factory=dict)  # relative path -> file
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # the unresolved-import / optional-import-missing diagnostics, with the module each is
    # about: requirements that install the module answer them (manual mode)
    unresolved: list[tuple[Diagnostic, str]] = field(default_factory=list)
    # the job's files' `# jobpack: ignore[code]` comments: path -> line -> codes
    suppressions: dict[str, dict[int, frozenset[str]]] = field(default_factory=dict)
    # folders a file puts on sys.path relative to itself that lie outside the root
    outside_root: list[Path] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)  # files the job's own code reads
    # each library function reached (`pkg/mod.py:12, in load`) -> the code that named it
    # first (`pkg/other.py:40, in run`, `pkg/mod.py, module level`, `main.py:3, in main`)
    reached: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Visit:
    node: str
    file: Path
    is_entry: bool
    package: str | None
    roots: tuple[Path, ...]
    library: bool = False


def _held_key(function: str, gate: str) -> str:
    """What a function's imports wait under in `_held`: its name, and for the part of it
    a type probe gates, the package too (`facts/probes.py`)."""
    return f"{function}?{gate}" if gate else function


def _package(visit: _Visit) -> str:
    """The top-level package of the visited module: what its qualified names mean."""
    return visit.node.partition(".")[0]


class Walker:
    """One analysis walk; `walk` may be called once."""

    def __init__(
        self,
        root: Path,
        target: Target,
        facts_for: FactsFor,
        find_external: FindExternal,
        extra_roots: Mapping[str, Path] | None = None,
        is_external_namespace: Callable[[str], bool] = lambda name: False,
        # makes a batch's facts ready; returns how many files it had to parse
        prefetch: Callable[[list[Path]], int] | None = None,
        site_paths: tuple[Path, ...] = (),
        # parses files the walk will visit beside it (`FactsStore`)
        ahead: ParseAhead | None = None,
    ) -> None:
        self.root = root
        self.target = target
        facts_for = with_stub_tables(facts_for)
        self.facts_for = facts_for
        self.find_external = find_external
        # top-level name -> folder, for code of editable or local-folder installs
        self.extra_roots = dict(extra_roots or {})
        self.is_external_namespace = is_external_namespace
        self.prefetch = prefetch
        self.ahead = ahead
        self.site_paths = tuple(site_paths)
        # longest first, so a venv inside the project is not mistaken for local code; an
        # editable install's folder inside the project (a src layout's `src`) is no base:
        # its files keep their project paths and the runner puts the folder on sys.path
        # (the root itself stays a base: an install mapping the project folder, as a
        # finder's `'tests': '<root>/tests'` does, must not make every path absolute)
        inside = {p for p in self.extra_roots.values() if p.is_relative_to(root) and p != root}
        bases = {root, *self.site_paths, *self.extra_roots.values()} - inside
        self._bases = sorted(bases,
                             key=lambda p: len(p.parts), reverse=True)
        self.finder = Finder()
        self.result = WalkResult(ImportGraph())
        self.queue: deque[_Visit] = deque()
        self.seen: set[str] = set()
        self._relative: dict[Path, str] = {}
        self._library = False  # whether the file being visited is installed library code
        # library functions run when reachable by name; their imports wait until then
        # a library function reached only by a method's name (an unresolved call) runs
        # only after what runs for sure: its imports are optional (docs: "Tiers")
        self.reach: Reachability[_Visit] = Reachability(self._reached, defer_methods=True)
        self._held: dict[tuple[str, str], list[ImportFact]] = {}
        self._imported_tops: set[str] = set()  # top-level packages some import reached
        scan = StarScan()  # what star imports' modules can bind, for both tables below
        self.lazy = LazyTables(facts_for, self._library_file, scan)
        # a lazy module's attributes wait on the names the job's own code refers to
        self.job_reach: Reachability[_Visit] = Reachability(self._reached)
        self._in_function = ""  # the job's function whose names `_refer` is given, if any
        # what `mod.name` is, read from each module's bindings (`walk/resolve.py`)
        self.namespaces = Namespaces(facts_for, self._module_file, self._is_module,
                                     lambda name: is_stdlib(name, target), prefetch, scan,
                                     ahead)
        self._own_tops: set[str] = set()  # the job's own top-level modules found so far
        # library files handed to the workers ahead of the walk, with their package
        self._ahead_of: dict[Path, str | None] = {}
        self._chained: set[str] = set()  # names `_parse_ahead_chain` has looked up
        # Library imports under `except ImportError`, and methods' bare names (`reach`'s
        # `defer_methods`), wait until the walk reaches nothing more without them: then
        # `settled` is what ran for sure (the modules visited), and a function first
        # reached after that is named only by code that may not run.
        self._fallbacks: list[tuple[_Visit, ImportFact, ImportSite]] = []
        self.settled: frozenset[str] | None = None

    def walk(self, entries: Iterable[Entry]) -> WalkResult:
        for entry in entries:
            self._add_entry(entry)
        while True:
            # In waves: every file of a wave is known before any is read, so a cold cache
            # can parse the whole wave in parallel. The visiting order stays breadth-first.
            while self.queue:
                wave = list(self.queue)
                self.queue.clear()
                self._prefetch(wave)
                for visit in wave:
                    self._visit(visit)
            if not self._fallbacks and not self.reach.deferred:
                return self.result
            self._settle()

    def _settle(self) -> None:
        """Everything reachable without the library imports held under `except
        ImportError` and without methods' bare names is reached: say so (`settled`), then
        count those names and run those imports. Once: from now on both count as they come
        (`_run_import`)."""
        self.settled = frozenset(self.seen)
        self.reach.settle()
        self.job_reach.settle()
        fallbacks, self._fallbacks = self._fallbacks, []
        library, self._library = self._library, True
        for visit, fact, site in fallbacks:
            self._import_fact(visit, fact, site)
        self._library = library

    def _prefetch(self, wave: list[_Visit]) -> None:
        """Make the wave's facts ready (parsed together, in parallel, on a cold cache), and
        then read ahead where its references lead. Only on a cold cache: when the wave's
        files were all known, what its references lead through mostly is too, and
        gathering the chains costs more than reading those tables one by one."""
        if self.prefetch is not None and self.prefetch(
                [visit.file for visit in wave if visit.file.suffix == ".py"]):
            self._read_ahead(wave)

    def _read_ahead(self, wave: list[_Visit]) -> None:
        self.namespaces.warm(self._chains(wave))

    # -- parsing ahead ---------------------------------------------------------------------
    def _parse_ahead(self, file: Path, package: str | None) -> None:
        """Have the workers parse library module `file` (of `package`) now: it will be
        visited."""
        if self.ahead is not None and file not in self._ahead_of and file.suffix == ".py":
            self._ahead_of[file] = package
            self.ahead.speculate([file])

    def _look_ahead(self, ahead: ParseAhead) -> None:
        """The library modules parsed since the last call import others at module level,
        which run as soon as they are visited: have the workers parse those too, so they
        keep ahead of the walk through the module-level import graph (handed only what the
        walk queued, they idled while it walked)."""
        for file in ahead.arrived():
            if file not in self._ahead_of:
                continue
            package = self._ahead_of[file]
            for fact in self.facts_for(file).imports:
                if fact.function or fact.main:
                    continue  # runs only when called, or only as a script
                module = fact.module
                if fact.level:
                    module = absolute(package or "", "." * fact.level + fact.module) or ""
                if not module or is_stdlib(module, self.target):
                    continue
                names = fact.names if fact.kind == "from" and fact.names != ("*",) else ()
                for target in (module, *(f"{module}.{n}" for n in names)):
                    self._parse_ahead_chain(target)

    def _parse_ahead_chain(self, name: str) -> None:
        """`name` and its parent packages, which importing it runs (once per name: a
        second look finds the same files, already handed to the workers or visited)."""
        if name in self._chained:
            return
        self._chained.add(name)
        for partial, found, package in self._installed(name):
            if found.file is not None and found.is_source and partial not in self.seen:
                self._parse_ahead(found.file, package)

    # -- nodes ---------------------------------------------------------------------------
    def relative(self, file: Path) -> str:
        """The manifest path of `file`: relative to the root (or its install's folder)."""
        known = self._relative.get(file)
        if known is None:
            known = file.as_posix()
            for base in self._bases:
                if file.is_relative_to(base):
                    known = file.relative_to(base).as_posix()
                    break
            self._relative[file] = known
        return known

    def _add_entry(self, entry: Entry) -> None:
        graph = self.result.graph
        rel = self.relative(entry.file)
        graph.add_module(Module(entry.name, "entry", rel))
        self.result.local_files[rel] = entry.file
        roots = (self.root,) if entry.module else (entry.file.parent,)
        if entry.module is not None:
            # `python -m pkg.mod` imports pkg (and pkg.mod for a package) before running it.
            site = ImportSite(rel, 0)
            self._import(entry.name, entry.module.rpartition(".")[0] or "", site, roots, False)
            if entry.file.name == "__main__.py":
                self._import(entry.name, entry.module, site, roots, False)
        self._enqueue(_Visit(entry.name, entry.file, True, entry.package, roots))

    def _enqueue(self, visit: _Visit) -> None:
        if visit.node not in self.seen:
            self.seen.add(visit.node)
            self.queue.append(visit)
            # every queued file is visited: the workers parse it while this wave is walked
            if self.ahead is not None and visit.file.suffix == ".py":
                if visit.library:
                    self._parse_ahead(visit.file, visit.package)
                else:
                    self.ahead.speculate([visit.file])

    def _add_local(self, located: Located, roots: tuple[Path, ...]) -> None:
        graph = self.result.graph
        if located.name in graph.modules_view:
            return
        if located.file is None:
            graph.add_module(Module(located.name, "namespace"))
            return
        self._own_tops.add(located.name.partition(".")[0])
        rel = self.relative(located.file)
        graph.add_module(Module(located.name, "local", rel))
        self.result.local_files[rel] = located.file
        if located.is_source:
            package = located.name if located.search else located.name.rpartition(".")[0]
            self._enqueue(_Visit(located.name, located.file, False, package or None, roots))

    def _edge(self, importer: str, module: Module, site: ImportSite) -> None:
        self.result.graph.add_module(module)
        self.result.graph.add_import(importer, module.name, site)
        top = module.name.partition(".")[0]
        if top not in self._imported_tops:  # what type probes of `top` gate may run now
            self._imported_tops.add(top)
            self.reach.refer([gate_name(top)])

    def _warn(self, site: ImportSite, code: Code, message: str) -> Diagnostic | None:
        if self._library:
            return None  # installed libraries' own notes are not the user's business
        made = code.at(site.path, site.line, message)
        self.result.diagnostics.append(made)
        return made

    # -- visiting a file -----------------------------------------------------------------
    def _visit(self, visit: _Visit) -> None:
        if self.ahead is not None:
            self._look_ahead(self.ahead)
        self._library = visit.library
        facts = self.facts_for(visit.file)
        rel = self.relative(visit.file)
        if facts.syntax_error is not None:
            error = facts.syntax_error
            self._warn(ImportSite(rel, error.line), codes.code(error.code), error.message)
        for note in facts.notes:
            self._warn(ImportSite(rel, note.line), codes.code(note.code), note.message)
        if facts.suppressions and not visit.library:
            self.result.suppressions[rel] = {line: frozenset(names)
                                             for line, names in facts.suppressions}
        if facts.sys_paths and not visit.library:
            visit = replace(visit, roots=self._sys_path_roots(visit, facts, rel))
        if facts.reads and not visit.library:
            for read in facts.reads:
                if read.main is None or read.main == visit.is_entry:
                    self._read(visit, read, rel)
        for fact in facts.imports:
            if fact.main is not None and fact.main != visit.is_entry:
                continue
            if visit.library and fact.function:
                self._held.setdefault((visit.node, _held_key(fact.function, fact.gate)),
                                      []).append(fact)
            else:
                self._run_import(visit, fact, rel)
        if facts.lazy and visit.library:
            self._lazy_table(visit, facts)
        self._reexports(visit, facts)
        self._refer(visit, facts.names.split())
        if visit.is_entry or not visit.library:  # a library's `__main__` block never runs
            self._refer(visit, facts.main_names.split())
        for function in facts.functions:
            if not visit.library:  # the job's own code is wholly reachable
                self._in_function = f"{self.relative(visit.file)}:{function.line}, in " \
                    f"{function.name}"
                self._refer(visit, function.names.split())
                self._in_function = ""
            elif function.name == GETATTR and not function.gate:
                self._lazy_attributes(visit, function, facts.left_out_of_dir)
            else:
                self.reach.define(visit, function, _package(visit), visit.node)

    def _reexports(self, visit: _Visit, facts: FileFacts) -> None:
        """A module-level `from other import name` makes `pkg.name` (the token
        `pkg:name`) name `other`'s function too: the package re-exports it."""
        package = _package(visit)
        for fact in facts.imports:
            if fact.kind == "from" and not fact.level and fact.scope == "module":
                other = fact.module.partition(".")[0]
                if other == package:
                    continue
                if visit.library:
                    for name in fact.names:
                        # the names the module binds it to (as written, if none is found)
                        bound = self.namespaces.bound_as(visit.node, f"{fact.module}/{name}")
                        for alias in bound or [name]:
                            self.reach.forward(name, package, other, alias)
                else:  # as a name the job refers to: what a memo of the library walk keys
                    self._refer(visit, [f"{package}:{name}=>{other}" for name in fact.names])

    def _lazy_attributes(self, visit: _Visit, function: FunctionFact,
                         left_out_of_dir: tuple[str, ...]) -> None:
        """A module's `__getattr__` (PEP 562) imports what an attribute names when it is
        first asked for: each of its imports runs once its name is referred to (or, if
        its `__dir__` lists the name, once code enumerates attributes)."""
        for fact in self._held.pop((visit.node, function.name), []):
            bound = fact.names if fact.kind == "from" else (fact.module.rpartition(".")[2],)
            for name in bound:
                key = f"{GETATTR_HIDDEN if name in left_out_of_dir else GETATTR}:{name}"
                self._held.setdefault((visit.node, key), []).append(fact)
                self.reach.define(visit, FunctionFact(key, fact.line), _package(visit),
                                  visit.node)

    def _refer(self, visit: _Visit, names: list[str]) -> None:
        if not visit.library:  # the job's own code is wholly reachable: no binding waits
            names = [name.partition("<")[0] for name in names]
        where = self._in_function or f"{self.relative(visit.file)}, module level"
        self.reach.referrer = self.job_reach.referrer = where
        names = self._resolved(visit, names)
        self.reach.refer(names, _package(visit))
        if not visit.library:
            self.job_reach.refer(names, _package(visit))

    def _lazy_table(self, visit: _Visit, facts: FileFacts) -> None:
        """A lazy module imports a listed name's submodule when the attribute is first
        asked for (`pkg.Trainer`): it runs once the job's own code refers to the name.
        Library code is left to its `from pkg import Name` (`_lazy_from`, exact): its
        names, counted anywhere, would run most of transformers' table."""
        for entry in facts.lazy:
            if entry.name == "*":
                continue  # every name of a module: resolved only by `from` imports
            key = f"__getattr__:{entry.name}"
            fact = ImportFact(entry.module, entry.line, "from", (entry.attr,), entry.level,
                              "function", function="__getattr__")
            self._held.setdefault((visit.node, key), []).append(fact)
            self.job_reach.define(visit, FunctionFact(key, entry.line), _package(visit))

    def _run_import(self, visit: _Visit, fact: ImportFact, rel: str, via: str = "") -> None:
        lazy = fact.scope == "function"
        # a function reached only after settling: named only by code that may not run
        late = bool(fact.function) and visit.library and self.settled is not None
        site = ImportSite(rel, fact.line, fact.optional or late, lazy, fact.function,
                          reached_by=via, gate=fact.gate, via_optional=late)
        if fact.optional and visit.library and self.settled is None:
            self._fallbacks.append((visit, fact, site))
            return
        self._import_fact(visit, fact, site)

    def _reached(self, visit: _Visit, function: FunctionFact, via: str = "") -> None:
        """A library function became reachable (`via`: the code that named it): its
        imports run, its names count."""
        held = self._held.pop((visit.node, _held_key(function.name, function.gate)), [])
        library, self._library = self._library, visit.library
        rel = self.relative(visit.file)
        for fact in held:
            self._run_import(visit, fact, rel, via)
        self._library = library
        here = f"{rel}:{function.line}, in {function.name}"
        self.result.reached.setdefault(here, via)
        referrer, self.reach.referrer = self.reach.referrer, here
        names = self._resolved(visit, function.names.split())
        if "." in function.name:  # a method naming its own class does not use it (`!`)
            own = f"{visit.node}::{function.parts[0]}"
            names = [name for name in names if name != own]
        self.reach.refer(names, _package(visit))
        self.reach.referrer = referrer

    def _resolved(self, visit: _Visit, tokens: list[str]) -> list[str]:
        """`tokens` with each exact one (`torch/save`, `.utils/load`, `/show` of the
        file's own module) turned into the keys of what it names (`walk/resolve.py`)."""
        found: list[str] = []
        for token in tokens:
            if "=>" not in token and ("/" in token or "<" in token or ">" in token):
                found += self._exact(visit, token)
            else:
                found.append(token)
        return found

    def _exact(self, visit: _Visit, token: str) -> list[str]:
        for separator in "<>":  # `X<:NAME` (bound to NAME), `Cls>:NAME` (an instance)
            head, found, tail = token.partition(separator)
            if found:
                mark = separator
                if separator == ">" and tail.startswith(">"):  # `Cls>>:NAME`: a global's
                    mark, tail = ">>", tail[1:]
                tails = [tail]
                if tail.startswith("/"):  # `Base>/Sub!`: a subclass of this module's
                    tail = f":{tail[1:]}"
                    tails = [tail]
                if visit.library and tail.startswith(":"):  # and `module::NAME`, exactly
                    tails.append(f"{visit.node}:{tail}")
                return [f"{key}{mark}{end}" for key in self._exact(visit, head)
                        for end in tails]
        if "/" not in token:
            return [token]
        read = token.endswith("@")
        module, parts, own = self._chain(visit, token)
        if not self._in_library(module, own):
            # the job's own modules are wholly reachable: the package-wide rule
            prefix = "" if own or not module else module.partition(".")[0]
            return [f"{prefix}:{part}" + ("@" if read and index == len(parts) - 1 else "")
                    for index, part in enumerate(parts)]
        return self.namespaces.keys(module, parts, read)

    def _chain(self, visit: _Visit, token: str) -> tuple[str, list[str], bool]:
        """An exact token's module (absolute; "" beyond the top), its parts, and whether
        it is written on the job's own module (`.utils/load`, `/show`)."""
        module, _, path = token.rstrip("@").partition("/")
        if not module:
            module = visit.node
        elif module.startswith("."):
            module = absolute(visit.package or "", module) or ""
        return module, path.split("."), not visit.library and token.startswith((".", "/"))

    def _chains(self, wave: list[_Visit]) -> list[tuple[str, tuple[str, ...]]]:
        """What the exact references of a wave's files (module level and every function)
        will ask the namespaces, for `Namespaces.warm` to read ahead."""
        found = []
        for visit in wave:
            if visit.file.suffix != ".py":
                continue
            facts = self.facts_for(visit.file)
            tokens = [*facts.names.split(),
                      *(token for function in facts.functions
                        for token in function.names.split())]
            for token in tokens:
                head = token.partition("<")[0].partition(">")[0]
                if "=>" in token or "/" not in head:
                    continue
                module, parts, own = self._chain(visit, head)
                if self._in_library(module, own):
                    found.append((module, tuple(parts)))
        return found

    def _in_library(self, module: str, own: bool) -> bool:
        """Whether a chain's module (`_chain`) is an installed library's, resolved through
        its namespaces; the job's own are wholly reachable (the package-wide rule)."""
        return bool(module) and not own and module.partition(".")[0] not in self._own_tops

    def _module_file(self, name: str) -> Path | None:
        """The installed file of module `name` (source or compiled), if any."""
        found = self._locate(name)
        return None if found is None else found.file

    def _is_module(self, name: str) -> bool:
        return self._locate(name) is not None

    def _locate(self, name: str) -> Located | None:
        search, found = self.site_paths, None
        for part in range(1, name.count(".") + 2):
            found = self.finder.find(".".join(name.split(".")[:part]), search)
            if found is None:
                return None
            search = found.search
        return found

    def _sys_path_roots(self, visit: _Visit, facts: FileFacts, rel: str) -> tuple[Path, ...]:
        """`visit.roots` with the folders the file puts on sys.path (`insert(0, ...)` in
        front, the others after), for its imports and the modules they reach. Folders
        outside the job's root are not searched: nothing found there would ship."""
        front: list[Path] = []
        back: list[Path] = []
        for fact in facts.sys_paths:
            if fact.main is not None and fact.main != visit.is_entry:
                continue
            base = {"file": visit.file.parent, "cwd": self.root}.get(fact.anchor, Path("/"))
            folder = Path(os.path.normpath(base / fact.path))
            if not folder.is_relative_to(self.root):
                if fact.anchor == "file":
                    self.result.outside_root.append(folder)
                self._warn(ImportSite(rel, fact.line), codes.SYS_PATH_OUTSIDE_ROOT,
                           f"sys.path gets {folder}, outside the job's folder {self.root}; "
                           "modules there are not shipped")
            elif folder.is_dir():
                (front if fact.front else back).append(folder)
        return tuple(dict.fromkeys([*front, *visit.roots, *back]))

    def _read(self, visit: _Visit, fact: ReadFact, rel: str) -> None:
        """A file the job's code reads: code it runs (`exec`, `runpy`) is walked like a
        script of the reader's; what it is (data, config) is decided by `datafiles`."""
        if fact.anchor == "file":
            path = visit.file if fact.path == "__file__" else visit.file.parent / fact.path
        else:
            path = (self.root if fact.anchor == "cwd" else Path("/")) / fact.path
        path = Path(os.path.normpath(path))
        if fact.kind == "code" and path.is_file() and path.is_relative_to(self.root):
            name = self.relative(path)
            self.result.local_files[name] = path
            self._edge(visit.node, Module(name, "local", name), ImportSite(rel, fact.line))
            self._enqueue(_Visit(name, path, visit.is_entry, None, visit.roots))
            return
        self.result.reads.append(Read(path, fact.kind, rel, fact.line, fact.names,
                                      fact.anchor != "absolute"))

    def _import_fact(self, visit: _Visit, fact: ImportFact, site: ImportSite,
                     depth: int = 0) -> None:
        module: str | None = fact.module
        if fact.level:
            module = self._absolute(visit, fact, site)
        if module is None:
            return
        if fact.kind != "from":
            self._import(visit.node, module, site, visit.roots, fact.optional)
            return
        base = self._import(visit.node, module, site, visit.roots, fact.optional,
                            hold_namespace=True)
        if base is None:
            return
        names = fact.names
        if names == ("*",):
            names = self._star_names(base)
        deeper = [self._import_from(visit.node, base, name, site, visit.roots) for name in names]
        if isinstance(base, Module) and base.kind == "external" and depth < _LAZY_DEPTH:
            for name, found in zip(names, deeper, strict=True):
                if not found:
                    self._lazy_from(visit, fact, base.name, name, site, depth)
        held_back = isinstance(base, Module) and base.kind == "external" \
            and self.is_external_namespace(base.name)
        if held_back and not any(deeper):
            assert isinstance(base, Module)
            self._edge(visit.node, base, site)  # nothing under the namespace: link it after all

    def _lazy_from(self, visit: _Visit, fact: ImportFact, module: str, name: str,
                   site: ImportSite, depth: int) -> None:
        """`from module import name` where `module` is lazy: the interpreter imports the
        submodule its table maps `name` to, there and then."""
        found = self.lazy.source(module, name)
        if found is None or found == (module, name):
            return
        source, attr = found
        self._import_fact(visit, replace(fact, module=source, names=(attr,), level=0,
                                         kind="from"), site, depth + 1)

    def _library_file(self, name: str) -> Path | None:
        """The installed source file of module `name` (a package's `__init__.py`)."""
        found = self._locate(name)
        return found.file if found is not None and found.is_source else None

    def _absolute(self, visit: _Visit, fact: ImportFact, site: ImportSite) -> str | None:
        if not visit.package:
            code = codes.RELATIVE_IMPORT_IN_SCRIPT if visit.is_entry \
                else codes.RELATIVE_IMPORT_NO_PACKAGE
            self._warn(site, code, "relative import in a module that is not in a package")
            return None
        parts = visit.package.split(".")
        if fact.level > len(parts):
            self._warn(
                site, codes.RELATIVE_IMPORT_BEYOND_TOP,
                "relative import beyond the top-level package"
            )
            return None
        base = parts[: len(parts) - fact.level + 1]
        return ".".join(base + ([fact.module] if fact.module else []))

    # -- resolution ----------------------------------------------------------------------
    def _import(
        self, importer: str, name: str, site: ImportSite, roots: tuple[Path, ...], optional: bool,
        *, hold_namespace: bool = False,
    ) -> Module | Located | None:
        """Import `name` and its parent packages; return the innermost module reached.

        With `hold_namespace`, an installed pure namespace package (`nsp`, shared by several
        distributions) is returned without an edge: `from nsp import beta` needs `nsp.beta`'s
        distribution, not every distribution with a portion of `nsp`.
        """
        if not name:
            return None
        top = name.partition(".")[0]
        if top not in BUILTIN:
            located = self._import_local(importer, name, site, roots, optional)
            if located is not None:
                return located
        if is_stdlib(name, self.target):
            module = Module(top, "stdlib")
            self._edge(importer, module, site)
            return module
        if top in self.extra_roots:
            roots = (self.extra_roots[top],)
            located = self._import_local(importer, name, site, roots, optional)
            if located is not None:
                return located
        return self._import_external(importer, name, site, optional, hold_namespace)

    def _import_local(
        self, importer: str, name: str, site: ImportSite, roots: tuple[Path, ...], optional: bool
    ) -> Located | Module | None:
        parts = name.split(".")
        search = roots
        located: Located | None = None
        for depth in range(1, len(parts) + 1):
            partial = ".".join(parts[:depth])
            found = self.finder.find(partial, search)
            if found is None:
                if located is None:
                    return None
                if located.is_namespace and depth == 2:
                    return None  # a local namespace portion merges with installed ones
                self._unresolved(importer, name, site, optional)
                return None
            self._add_local(found, roots)
            self._edge(importer, self.result.graph.get_module(partial), site)
            located, search = found, found.search
        return located

    def _import_external(
        self, importer: str, name: str, site: ImportSite, optional: bool,
        hold_namespace: bool = False,
    ) -> Module | None:
        provided = self.find_external(name)
        if provided is None:
            self._unresolved(importer, name, site, optional)
            return None
        module = Module(provided, "external")
        if not (hold_namespace and self.is_external_namespace(provided)):
            self._edge(importer, module, site)
        self._follow_library(provided)
        return module

    def _follow_library(self, name: str) -> None:
        """Walk the installed code of `name` and of its parent packages (each runs)."""
        if not self.site_paths or name in self.seen:
            return
        for partial, found, package in self._installed(name):
            if found.is_source and partial not in self.seen:
                assert found.file is not None
                self.result.graph.add_module(Module(partial, "external"))
                self._enqueue(_Visit(partial, found.file, False, package, (), True))
            elif found.file is not None and partial not in self.seen:
                self.seen.add(partial)
                self._extension_imports(_Visit(partial, found.file, False, package, (), True))

    def _installed(self, name: str) -> Iterator[tuple[str, Located, str | None]]:
        """`name`'s parent packages, then `name`, as installed (each with the package its
        relative imports start from), as far as they are found."""
        parts = name.split(".")
        search = self.site_paths
        for depth in range(1, len(parts) + 1):
            partial = ".".join(parts[:depth])
            found = self.finder.find(partial, search)
            if found is None:
                return
            yield partial, found, (partial if found.search
                                   else partial.rpartition(".")[0]) or None
            search = found.search

    def _extension_imports(self, visit: _Visit) -> None:
        """A compiled module's imports, where its Cython sources ship beside it."""
        library, self._library = self._library, True
        for source, fact in cython_imports(visit.file):
            self.result.graph.add_module(Module(visit.node, "external"))
            self._import_fact(visit, fact, ImportSite(self.relative(source), fact.line, True))
        self._library = library

    def _unresolved(self, importer: str, name: str, site: ImportSite, optional: bool) -> None:
        if self._library:
            return  # optional features of installed libraries: normal, and silent
        self._edge(importer, Module(name, "unresolved"), site)
        if optional:
            made = self._warn(site, codes.OPTIONAL_IMPORT_MISSING,
                              f"optional import {name!r} is not available; it will not be "
                              "shipped")
        else:
            made = self._warn(site, codes.UNRESOLVED_IMPORT,
                              f"cannot resolve {name!r}: not a local module, not in the "
                              f"standard library of Python {self.target.python}, not installed")
        if made is not None:
            self.result.unresolved.append((made, name))

    def _import_from(
        self, importer: str, base: Module | Located, name: str, site: ImportSite,
        roots: tuple[Path, ...],
    ) -> bool:
        """Link `base.name` when it is a submodule (not an attribute); True if it was."""
        if isinstance(base, Module):
            if base.kind != "external":
                return False  # the standard library is not walked
            deeper = self.find_external(f"{base.name}.{name}")
            if deeper is None or not deeper.startswith(base.name + "."):
                return False
            self._edge(importer, Module(deeper, "external"), site)
            self._follow_library(deeper)
            return True
        if not base.is_package:
            return False
        found = self.finder.find(f"{base.name}.{name}", base.search)
        if found is None:
            return False
        self._add_local(found, roots)
        self._edge(importer, self.result.graph.get_module(found.name), site)
        return True

    def _star_names(self, base: Module | Located) -> tuple[str, ...]:
        if not isinstance(base, Located) or not base.is_package or not base.is_source:
            return ()
        assert base.file is not None
        return self.facts_for(base.file).all_names or ()
