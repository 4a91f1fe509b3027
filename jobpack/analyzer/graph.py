"""The import graph of a job and the queries asked of it.

Nodes are modules: entry points are named by their project-relative path (`main.py`,
`-m pkg.cli`), everything else by its dotted name. Edges carry the line of each import.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

ModuleKind = Literal["entry", "local", "namespace", "stdlib", "external", "unresolved"]


@dataclass(frozen=True)
class Module:
    """One node: a module and where it lives (project-relative POSIX path, if local)."""

    name: str
    kind: ModuleKind
    path: str | None = None


@dataclass(frozen=True, order=True)
class ImportSite:
    """Where one module imports another: the importer's file and line."""

    path: str | None
    line: int
    optional: bool = False
    lazy: bool = False  # inside a function: runs only when that function is called
    function: str = ""  # that function (`load`, `Loader.run`), when known
    # the job's function holding it is called only in an undecidable branch (optional)
    branch: bool = False
    # what made `function` reachable: the first code that named it (`pkg/mod.py:12, in
    # load`, `pkg/mod.py, module level`); not part of the site's identity
    reached_by: str = field(default="", compare=False)
    # a type probe's package (`pandas`): the import runs only once that package is imported
    gate: str = ""
    # `function` is named only by code that may not run: code that runs once an `except
    # ImportError` fallback's import succeeds (a module only such an import reaches, a
    # function only it names), or a method's bare name on an object of unknown type (a call
    # the rule cannot resolve): optional (`Walker.walk`)
    via_optional: bool = False

    def render(self) -> str:
        return f"{self.path}:{self.line}" if self.path else f"<unknown>:{self.line}"


@dataclass(frozen=True)
class Step:
    """One link of an import chain: `importer` imports `imported` at `site`."""

    importer: str
    imported: str
    site: ImportSite


class ImportGraph:
    """A directed graph of modules; `importer -> imported` with the sites of each import."""

    def __init__(self) -> None:
        self._modules: dict[str, Module] = {}
        self._imports: dict[str, dict[str, set[ImportSite]]] = {}
        self._importers: dict[str, set[str]] = {}

    # -- building ------------------------------------------------------------------------
    def add_module(self, module: Module) -> None:
        """Add a node; a node added twice keeps its first description."""
        self._modules.setdefault(module.name, module)
        self._imports.setdefault(module.name, {})
        self._importers.setdefault(module.name, set())

    def add_import(self, importer: str, imported: str, site: ImportSite) -> None:
        """Add an edge; both modules must already be nodes."""
        self._imports[importer].setdefault(imported, set()).add(site)
        self._importers[imported].add(importer)

    def add_imports(self, importer: str, imported: str, sites: Iterable[ImportSite]) -> None:
        """`add_import` of each of `sites` (a memoised walk adds 100,000 at once)."""
        self._imports[importer].setdefault(imported, set()).update(sites)
        self._importers[imported].add(importer)

    def add_edges(self, imports: dict[str, dict[str, set[ImportSite]]]) -> None:
        """`add_imports` of every `importer -> imported: sites` of `imports`, whose dicts and
        sets the graph takes as they are (a memoised walk adds 100,000 sites: no copy, no
        call per edge); every module must already be a node."""
        for importer, targets in imports.items():
            mine = self._imports[importer]
            if mine:
                for imported, sites in targets.items():
                    mine.setdefault(imported, set()).update(sites)
            else:
                self._imports[importer] = targets
            for imported in targets:
                self._importers[imported].add(importer)

    def replace_site(self, importer: str, imported: str, old: ImportSite,
                     new: ImportSite) -> None:
        """`new` in place of `old` among the sites of `importer -> imported`."""
        sites = self._imports[importer][imported]
        sites.discard(old)
        sites.add(new)

    # -- queries -------------------------------------------------------------------------
    @property
    def modules_view(self) -> Mapping[str, Module]:
        """Read-only view of the nodes by name (cheap, for hot paths)."""
        return MappingProxyType(self._modules)

    @property
    def modules(self) -> frozenset[str]:
        """Every module name in the graph."""
        return frozenset(self._modules)

    def get_module(self, name: str) -> Module:
        """The node called `name` (KeyError when there is none)."""
        return self._modules[name]

    def find_modules(self, *kinds: ModuleKind) -> list[Module]:
        """The nodes of the given kinds, sorted by name."""
        return sorted(
            (m for m in self._modules.values() if m.kind in kinds), key=lambda m: m.name
        )

    def find_modules_directly_imported_by(self, name: str) -> frozenset[str]:
        """What `name` imports itself."""
        return frozenset(self._imports[name])

    def find_modules_that_directly_import(self, name: str) -> frozenset[str]:
        """Who imports `name` directly."""
        return frozenset(self._importers[name])

    def get_import_sites(self, importer: str, imported: str) -> list[ImportSite]:
        """The lines at which `importer` imports `imported`, in file order."""
        return sorted(self._imports[importer].get(imported, ()))

    def path_exists(self, importer: str, imported: str) -> bool:
        """Whether `importer` reaches `imported` through any chain of imports."""
        return self.find_shortest_chain(importer, imported) is not None

    def find_shortest_chain(self, importer: str, imported: str) -> tuple[Step, ...] | None:
        """The shortest chain of imports from `importer` to `imported`, or None."""
        if importer not in self._modules or imported not in self._modules:
            return None
        previous: dict[str, str | None] = {importer: None}
        queue = deque([importer])
        while queue:
            current = queue.popleft()
            if current == imported:
                return self._chain(previous, imported)
            for nxt in sorted(self._imports[current]):
                if nxt not in previous:
                    previous[nxt] = current
                    queue.append(nxt)
        return None

    def find_chains(self, imported: str, sources: Iterable[str]) -> list[tuple[Step, ...]]:
        """The shortest chain from each of `sources` that reaches `imported`."""
        chains = (self.find_shortest_chain(source, imported) for source in sources)
        return [chain for chain in chains if chain is not None]

    def find_startup_modules(self) -> frozenset[str]:
        """The modules a run of the job imports as it starts: reached from the entry points
        through every import in the job's own code, but through library code only by
        imports outside functions (a library's lazy import runs when it is called)."""
        reached = {name for name, module in self._modules.items() if module.kind == "entry"}
        queue = deque(sorted(reached))
        while queue:
            current = queue.popleft()
            own = self._modules[current].kind != "external"
            for imported, sites in self._imports[current].items():
                if imported not in reached and (own or any(not s.lazy for s in sites)):
                    reached.add(imported)
                    queue.append(imported)
        return frozenset(reached)

    def find_surely_reached(self, avoiding: Collection[str] = ()) -> frozenset[str]:
        """The modules reached from the entry points through imports that are not all
        optional (`except ImportError` fallbacks): what the job needs for sure. With
        `avoiding`, those modules are not entered (what only they lead to is not sure)."""
        reached = {name for name, module in self._modules.items() if module.kind == "entry"}
        queue = deque(sorted(reached))
        while queue:
            current = queue.popleft()
            for imported, sites in self._imports[current].items():
                if imported not in reached and imported not in avoiding and any(
                        not s.optional for s in sites):
                    reached.add(imported)
                    queue.append(imported)
        return frozenset(reached)

    def _chain(self, previous: dict[str, str | None], end: str) -> tuple[Step, ...]:
        steps: list[Step] = []
        current = end
        while (before := previous[current]) is not None:
            sites = self.get_import_sites(before, current)
            # the link that most surely runs: module level, not an ImportError fallback
            best = min(sites, key=lambda s: (s.optional, s.lazy, s.path or "", s.line))
            steps.append(Step(before, current, best))
            current = before
        return tuple(reversed(steps))

    def __iter__(self) -> Iterator[Module]:
        return iter(sorted(self._modules.values(), key=lambda m: m.name))

    def __len__(self) -> int:
        return len(self._modules)
