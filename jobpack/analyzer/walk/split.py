"""The walk in two phases, so that the walk through installed libraries can be memoised.

Phase 1 walks the job's own code with the same rule as `Walker`, but where it would enter
an installed library it only records the module (the walk's *roots* into the libraries).
Phase 2 walks the libraries from those roots. What phase 2 adds depends only on the roots,
the names the job's own code refers to (they make library functions reachable,
`docs/reachability.md`), the names of the job's own modules (a local module shadows an
installed one of its name), and the environment: a code edit that leaves those alone can
reuse phase 2's result (`LibraryPart`) instead of walking again.

This is a layer around the rule, not a part of it: reachability is a fixpoint over names,
so walking the job's code first and the libraries after reaches what the interleaved walk
reaches. `tests/unit/analyzer/test_library_memo.py` compares the two on real libraries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jobpack.analyzer.graph import ImportGraph, ImportSite, Module
from jobpack.analyzer.walk.lazy import LazyTables, Source
from jobpack.analyzer.walk.reach import resolve_name
from jobpack.analyzer.walk.walker import Entry, Walker, WalkResult, _package, _Visit

Edge = tuple[str, str, tuple[ImportSite, ...]]  # importer, imported, the sites it added
Answers = dict[tuple[str, str], "Source | None"]  # (lazy module, name) -> where it is
JobToken = tuple[str, str, str]  # a name the job's code refers to: (module, package, token)


@dataclass(frozen=True)
class Roots:
    """What the library walk depends on, from the job's own code."""

    follows: tuple[str, ...]  # installed modules the job's code enters, sorted
    names: tuple[str, ...]  # the names the job's code refers to, sorted
    own: tuple[str, ...]  # the job's own modules and entry points, sorted


@dataclass(frozen=True)
class LibraryPart:
    """What the walk through installed libraries adds to the import graph."""

    modules: tuple[Module, ...]
    edges: tuple[Edge, ...]

    def replay(self, graph: ImportGraph) -> None:
        """Add this part to `graph` (which holds the job's own part of the same walk)."""
        for module in self.modules:
            graph.add_module(module)
        for importer, imported, sites in self.edges:
            graph.add_imports(importer, imported, sites)


class SplitWalker(Walker):
    """`Walker`, run as `walk_local` then `walk_libraries` (or a replayed `LibraryPart`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._deferring = True
        self._follows: dict[str, None] = {}
        self._names: set[str] = set()
        self._held_names: list[tuple[_Visit, list[str], str]] = []
        self._held_chains: list[tuple[str, tuple[str, ...]]] = []
        self.learned = False

    def walk_local(self, entries: Iterable[Entry], answers: Answers) -> WalkResult:
        """Phase 1: the job's own code; the libraries it enters are only recorded.
        `answers` are lazy modules' answers known from an earlier walk of this environment
        (`from transformers import Trainer` would read transformers' whole facts table);
        what phase 1 learns is added to them (`learned` says whether it learned any)."""
        tables = RememberedTables(self.lazy, answers)
        self.lazy = tables
        try:
            return self.walk(entries)
        finally:
            self.learned = tables.learned
            tables.known = dict(tables.known)  # phase 2's answers are not remembered

    def roots(self) -> Roots:
        own = {m.name for m in self.result.graph.modules_view.values()
               if m.kind in ("entry", "local", "namespace")} | self.seen
        return Roots(tuple(sorted(self._follows)), tuple(sorted(self._names)),
                     tuple(sorted(own)))

    def job_keys(self, known: Mapping[JobToken, tuple[str, ...]] | None = None
                 ) -> dict[JobToken, tuple[str, ...]]:
        """What the library walk takes of each name the job's own code refers to: its
        keys, resolved through the libraries' namespaces (`torch.save` in `main` is
        `torch.serialization::save`); those of `known` (an earlier walk's) are not
        resolved again. The walk's result depends on the job's code only through these,
        `follows` and `own` (`library_memo.Closure`)."""
        found: dict[JobToken, tuple[str, ...]] = {}
        for visit, names, _ in self._held_names:
            for name in names:
                token = name.partition("<")[0]  # as `Walker._refer` takes the job's
                key = (visit.node, visit.package or "", token)
                if key not in found:
                    keys = (known or {}).get(key)
                    found[key] = keys if keys is not None else tuple(
                        resolve_name(resolved, _package(visit))
                        for resolved in self._resolved(visit, [token]))
        return found

    def referrers(self) -> dict[tuple[str, str], str]:
        """Where each function of the job's own code is now, as the walk says it named
        something (`main.py:12, in train`), by (file, function): what a replayed walk's
        sites say instead of the lines of the walk it memoised."""
        found: dict[tuple[str, str], str] = {}
        for _, _, where in self._held_names:
            place, found_in, name = where.partition(", in ")
            if found_in:
                found[(place.rpartition(":")[0], name)] = where
        return found

    def walk_libraries(self) -> LibraryPart | None:
        """Phase 2: the libraries from the recorded roots. Returns what it added to the
        graph, or None when it also touched anything of the job's own (an editable
        install's code reached from a library): such a walk is not memoised."""
        graph = self.result.graph
        before, known = self._snapshot(graph), set(graph.modules_view)
        shape = self._shape()
        self._deferring = False
        if self._held_chains:
            # what the job's code leads through, read ahead only while there is something
            # to parse: phase 1 parsed the job's files, which says nothing of the libraries'
            self.namespaces.warm(self._held_chains, until_cached=True)
        for visit, names, where in self._held_names:
            self._in_function = where
            super()._refer(visit, names)
        self._in_function = ""
        for name in self._follows:
            self._follow_library(name)
        self.walk(())
        if self._shape() != shape:
            return None
        return _added(graph, before, known)

    # -- the seams of the rule -------------------------------------------------------------
    def _read_ahead(self, wave: list[_Visit]) -> None:
        if not self._deferring:
            super()._read_ahead(wave)
            return
        # The job's names are resolved only if phase 2 runs, so only then is reading ahead
        # where they lead of use: after an edit (the job's files parsed anew, the memo
        # replayed) it read 2,275 library tables, 1.1 of the 1.7 s an edited analysis of
        # the torch finetune job took.
        self._held_chains += self._chains(wave)

    def _follow_library(self, name: str) -> None:
        if self._deferring:
            if self.site_paths:
                self._follows.setdefault(name, None)
            return
        super()._follow_library(name)

    def _refer(self, visit: _Visit, names: list[str]) -> None:
        if not visit.library:  # as the walker refers to them (no binding waits)
            self._names.update(name.partition("<")[0] for name in names)
            if self._deferring:  # resolved (`walk/resolve.py`) only if phase 2 runs: a
                # replayed memo needs no library's facts (reachability is a fixpoint)
                self._held_names.append((visit, names, self._in_function))
                return
        super()._refer(visit, names)

    # -- bookkeeping -------------------------------------------------------------------------
    def _shape(self) -> tuple[int, ...]:
        result = self.result
        return (len(result.local_files), len(result.diagnostics), len(result.unresolved),
                len(result.suppressions), len(result.outside_root), len(result.reads))

    @staticmethod
    def _snapshot(graph: ImportGraph) -> dict[tuple[str, str], frozenset[ImportSite]]:
        return {(importer, imported): frozenset(graph.get_import_sites(importer, imported))
                for importer in graph.modules_view
                for imported in graph.find_modules_directly_imported_by(importer)}


def _added(graph: ImportGraph, before: dict[tuple[str, str], frozenset[ImportSite]],
           known: set[str]) -> LibraryPart:
    modules = tuple(m for m in graph.modules_view.values() if m.name not in known)
    edges: list[Edge] = []
    for importer in graph.modules_view:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            old = before.get((importer, imported), frozenset())
            new = tuple(s for s in graph.get_import_sites(importer, imported) if s not in old)
            if new:
                edges.append((importer, imported, new))
    return LibraryPart(modules, tuple(edges))


class RememberedTables(LazyTables):
    """`LazyTables` whose answers to the walk's own questions (not to the questions a
    lookup asks itself on the way) come from, and are added to, `known`."""

    def __init__(self, inner: LazyTables, known: Answers) -> None:
        super().__init__(inner.facts_for, inner.file_of, inner.scan)
        self.known = known
        self.learned = False
        self._depth = 0

    def source(self, module: str, name: str) -> Source | None:
        key = (module, name)
        if self._depth == 0 and key in self.known:
            return self.known[key]
        self._depth += 1
        try:
            found = super().source(module, name)
        finally:
            self._depth -= 1
        if self._depth == 0:
            self.learned = self.learned or key not in self.known
            self.known[key] = found
        return found
