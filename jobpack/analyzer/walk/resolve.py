"""What a qualified reference names: `torch.save` is `torch/serialization.py`'s `save`.

A reference written on a module (`torch.save`, `nn.Linear` after `from torch import nn`,
`load_iris` after `from sklearn.datasets import load_iris`) reaches the very binding the
module's namespace holds: its own `def` or `class` (the key `module::name`), or what its
module-level `from x import y [as z]`, `import x.y [as z]` or `from x import *` binds the
name to, followed through re-export chains (`torch/__init__.py`'s `from torch.serialization
import save`). Each module's table comes from its facts (`FileFacts.bindings`), read once;
every answer is memoised.

A compiled module's namespace is read from its type stub where one ships beside it
(`torch/_C/_VariableFunctions.pyi`, `torch/_C/__init__.pyi`): a name the stub defines is
the compiled module's own, which runs no Python function of the package (`torch.concat`,
bound by `torch/__init__.py` from `_C._VariableFunctions`, is no datapipe's `concat`).

Where a namespace cannot say (a compiled module without a stub or a name its stub does not
define, a name bound at run time: `NAME = obj.attr`, a lazy module's table or
`__getattr__`, a name bound nowhere), the answer falls back to the package-wide rule:
`pkg:name`, every function of that name in the top-level package (`docs/reachability.md`,
rule 9).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.walk.star_scan import StarScan
from jobpack.target import BUILTIN


class ParseAhead(Protocol):
    """Parsing that runs beside the walk (`FactsStore`): started now, waited for later."""

    def speculate(self, paths: Iterable[Path], urgent: bool = False) -> None: ...

    def wait_any(self, paths: Collection[Path]) -> set[Path]: ...

    def arrived(self) -> list[Path]: ...

FactsFor = Callable[[Path], FileFacts]
# the installed file of a dotted module: None (not installed), the source file, or the
# module's other file (compiled: its namespace is unknown)
FileOf = Callable[[str], Path | None]
IsModule = Callable[[str], bool]
# ("module", name) | ("exact", key) | ("package", top) | ("alias", top): what is read from
# a module global bound at run time (`NAME = obj.attr`) is the package's | ("compiled",
# key): a compiled module's own name (its stub defines it), no Python code of the package
Answer = frozenset[tuple[str, str]]


@dataclass
class _Table:
    names: dict[str, list[str]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    all_names: frozenset[str] | None = None
    lazy: frozenset[str] = frozenset()  # names its lazy table imports on demand
    getattr: bool = False  # it has a module `__getattr__` (PEP 562)
    compiled: bool = False  # read from the type stub of a compiled module


def _chain_keys(kind: str, value: str, parts: list[str], index: int, read: bool
                ) -> list[str]:
    """The keys of `parts[index:]` when `parts[index]` is answered by (`kind`, `value`):
    an exact key or `pkg:name` for it; for what follows, the package's names again
    (`package`: the namespace could not say) or bare names (methods of an object)."""
    if kind == "exact":
        keys = [value, *parts[index + 1:]]
    elif kind == "alias":
        keys = [f"{value}:{part}" for part in parts[index + 1:]]
    else:
        keys = [f"{value}:{part}" for part in parts[index:]]
    if read and keys:  # only the last part is read, not called
        keys[-1] += "@"
    return keys


def absolute(package: str, module: str) -> str | None:
    """`module` (relative with leading dots) seen from `package`; None beyond the top."""
    level = len(module) - len(module.lstrip("."))
    if not level:
        return module
    parts = package.split(".") if package else []
    if level > len(parts):
        return None
    base = parts[: len(parts) - level + 1]
    rest = module[level:]
    return ".".join(base + ([rest] if rest else []))


class Namespaces:
    """Answers `lookup(module, name)` for installed modules, memoised."""

    def __init__(self, facts_for: FactsFor, file_of: FileOf, is_module: IsModule,
                 is_stdlib: Callable[[str], bool],
                 prefetch: Callable[[list[Path]], int] | None = None,
                 scan: StarScan | None = None, ahead: ParseAhead | None = None) -> None:
        self.facts_for = facts_for
        self.prefetch = prefetch
        self.ahead = ahead
        # a star import's module that cannot bind the name is not read (`star_scan.py`)
        self.scan = scan or StarScan()
        self.file_of = file_of
        self.is_module = is_module
        self.is_stdlib = is_stdlib
        self._tables: dict[str, _Table | None] = {}
        self._memo: dict[tuple[str, str], Answer] = {}
        # a chain's keys, by (module, parts, read): `torch/nn.Module` is written in
        # hundreds of files (each lookup is memoised, so the answer is the same)
        self._keys: dict[tuple[str, tuple[str, ...], bool], tuple[str, ...]] = {}

    def keys(self, module: str, parts: list[str], read: bool = False) -> list[str]:
        """The reachability keys of the chain `module.parts[0].parts[1]...`: an exact key
        for a function or class (what follows it: bare, a method's name), `pkg:name` where
        the namespace cannot say. `read`: the last part is read, not called (`@`)."""
        chain = (module, tuple(parts), read)
        known = self._keys.get(chain)
        if known is None:
            known = self._keys[chain] = tuple(self._resolve_chain(module, parts, read))
        return list(known)

    def _resolve_chain(self, module: str, parts: list[str], read: bool) -> list[str]:
        found: list[str] = []
        current = {module}
        for index, part in enumerate(parts):
            deeper: set[str] = set()
            for namespace in sorted(current):
                for kind, value in sorted(self.lookup(namespace, part)):
                    if kind == "module":
                        deeper.add(value)
                    elif kind != "compiled":  # compiled code: no key to wait on
                        found += _chain_keys(kind, value, parts, index, read)
            current = deeper
            if not current:
                break
        return list(dict.fromkeys(found))

    def warm(self, chains: Iterable[tuple[str, tuple[str, ...]]], until_cached: bool = False
             ) -> None:
        """Read the tables of the modules these chains (`module`, `parts`) pass through,
        a hop at a time and each hop's files in one batch: on a cold cache they are
        parsed together, in parallel, where resolving the chains one by one would parse
        them one at a time. `until_cached`: stop at a hop with nothing to parse (the
        cache is warm there). Answers do not depend on it; only the order of reading."""
        if self.ahead is not None and not until_cached:
            self._warm_as_parsed(set(chains), self.ahead)
            return
        pending, seen = set(chains), set()
        while pending and self.prefetch is not None:
            seen |= pending
            files = [file for module in sorted({module for module, _ in pending})
                     if module not in self._tables and (file := self._source(module))]
            parsed = self.prefetch(files) if files else 0
            if until_cached and not parsed:
                return
            following: set[tuple[str, tuple[str, ...]]] = set()
            for module, parts in pending:
                following |= self._next_hops(module, parts)
            pending = following - seen

    def _warm_as_parsed(self, pending: set[tuple[str, tuple[str, ...]]], ahead: ParseAhead
                        ) -> None:
        """`warm` with each chain followed on as soon as its module's file is parsed, not
        hop by hop: each hop waited for its slowest file while the workers ran out of
        work."""
        seen = set(pending)
        waiting: dict[Path, list[tuple[str, tuple[str, ...]]]] = {}
        while pending or waiting:
            ready, started = [], []
            for chain in sorted(pending):
                file = None if chain[0] in self._tables else self._source(chain[0])
                if file is None:
                    ready.append(chain)
                    continue
                if file not in waiting:
                    started.append(file)
                waiting.setdefault(file, []).append(chain)
            if started:
                ahead.speculate(started, urgent=True)
            if not ready:
                for file in sorted(ahead.wait_any(list(waiting))):
                    ready += waiting.pop(file)
            pending = set()
            for module, parts in ready:
                following = self._next_hops(module, parts) - seen
                seen |= following
                pending |= following

    def _next_hops(self, module: str, parts: tuple[str, ...]
                   ) -> set[tuple[str, tuple[str, ...]]]:
        """Where resolving `parts` in `module` reads next (a superset is fine: it only
        reads ahead)."""
        name, rest = parts[0], parts[1:]
        table = self._table(module)
        targets = [] if table is None else table.names.get(name, [])
        hops = set()
        for target in targets:
            source, _, path = target.partition("/")
            if not source or target in ("!", "?") or self.is_stdlib(source):
                continue
            if path:
                hops.add((source, (path, *rest)))
            elif rest:
                hops.add((source, rest))
        if not targets:
            submodule = f"{module}.{name}"
            if self.is_module(submodule):
                if rest:
                    hops.add((submodule, rest))
            elif table is not None and name not in table.lazy:
                hops |= {(star, parts) for star in self._stars_for(table, name)}
        return hops

    def bound_as(self, module: str, target: str) -> list[str]:
        """The names `module`'s namespace binds to `target` (`tqdm.auto/tqdm`: `from
        tqdm.auto import tqdm as old_tqdm` binds `old_tqdm`)."""
        table = self._table(module)
        return [] if table is None else [
            name for name, targets in table.names.items() if target in targets]

    def lookup(self, module: str, name: str) -> Answer:
        key = (module, name)
        known = self._memo.get(key)
        if known is None:
            # a chain that leads back here says nothing more than the package-wide rule
            self._memo[key] = frozenset({("package", module.partition(".")[0])})
            known = self._memo[key] = self._lookup(module, name)
        return known

    def _lookup(self, module: str, name: str) -> Answer:
        top = module.partition(".")[0]
        table = self._table(module)
        submodule = f"{module}.{name}"
        if table is None:
            if self.is_module(submodule):
                return frozenset({("module", submodule)})
            return frozenset({("package", top)})
        answer: set[tuple[str, str]] = set()
        for target in table.names.get(name, ()):
            if table.compiled and not target.partition("/")[0]:
                answer.add(("compiled", f"{module}::{name}"))  # defined by the stub
            else:
                answer |= self._target(module, name, target)
        if name in table.lazy:
            answer.add(("package", top))  # imported on first access: its `__getattr__`
        if answer:
            return frozenset(answer)
        if table.getattr:  # its `__getattr__` answers a name it does not bind
            answer.add(("exact", f"{module}::{name}"))
        if self.is_module(submodule):
            answer.add(("module", submodule))
        else:
            answer |= self._starred(table, name) or {("package", top)}
        return frozenset(answer)

    def _target(self, module: str, name: str, target: str) -> set[tuple[str, str]]:
        if target == "!":  # an instance (`NAME = Cls(...)`): what is read from it, a method
            return {("exact", f"{module}::{name}")}
        if target == "?":  # `NAME = obj.attr` (maybe a module): what is read from it, the
            # package's names
            return {("exact", f"{module}::{name}"), ("alias", module.partition(".")[0])}
        source, _, path = target.partition("/")
        if not source:
            return {("exact", f"{module}::{path}")}
        if self.is_stdlib(source):
            return set()
        if not path:
            return {("module", source)}
        if self.is_module(f"{source}.{path}"):
            return {("module", f"{source}.{path}")}
        return set(self.lookup(source, path))

    def _starred(self, table: _Table, name: str) -> set[tuple[str, str]]:
        """What the module's star imports bind `name` to (empty: none binds it)."""
        answer: set[tuple[str, str]] = set()
        for star in self._stars_for(table, name):
            other = self._table(star)
            if other is None:  # a compiled module: it may bind anything
                answer.add(("package", star.partition(".")[0]))
            elif (name in other.names or other.stars or other.lazy) and (
                    other.all_names is None or name in other.all_names):
                answer |= self.lookup(star, name)
        return answer

    def _stars_for(self, table: _Table, name: str) -> list[str]:
        """The star-imported modules of `table` that may bind `name` (no `_private` name
        comes through a star; the standard library's bind no library function): where
        `_starred` looks, and so where `_next_hops` reads ahead."""
        if name.startswith("_"):
            return []
        return [star for star in table.stars if not self.is_stdlib(star)
                and self.scan.may_bind(self._source(star), name)]

    def _table(self, module: str) -> _Table | None:
        if module not in self._tables:
            self._tables[module] = self._read(module)
        return self._tables[module]

    def _source(self, module: str) -> Path | None:
        """The file whose facts hold `module`'s namespace (a compiled module's stub); None:
        none can say."""
        if module.partition(".")[0] in BUILTIN:
            return None
        file = self.file_of(module)
        if file is None or file.suffix not in (".py", ".pyi"):
            return self._stub(module, file)
        return file

    def _stub(self, module: str, file: Path | None) -> Path | None:
        """The type stub of compiled module `module` (`file`: its extension; None for a
        submodule a compiled module makes, as `torch._C._VariableFunctions`): `name.pyi`
        or `name/__init__.pyi` beside it."""
        parent, _, tail = module.rpartition(".")
        if file is not None:
            folder = file.parent
            tail = file.name.partition(".")[0]
        elif parent and (above := self.file_of(parent)) is not None \
                and above.suffix not in (".py", ".pyi"):
            folder = above.parent / above.name.partition(".")[0]
        else:
            return None
        for stub in (folder / f"{tail}.pyi", folder / tail / "__init__.pyi"):
            if stub.is_file():
                return stub
        return None

    def _read(self, module: str) -> _Table | None:
        file = self._source(module)
        if file is None:
            return None
        facts = self.facts_for(file)
        if facts.syntax_error is not None:
            return None
        compiled = file.suffix == ".pyi"  # the finder finds none but a compiled one's
        package = module if file.name.startswith("__init__.") else module.rpartition(".")[0]
        table = _Table(all_names=None if facts.all_names is None
                       else frozenset(facts.all_names), compiled=compiled)
        for entry in facts.bindings.split():
            name, _, target = entry.partition("=")
            source, slash, path = target.partition("/")
            if slash and source.startswith("."):
                resolved = absolute(package, source)
                if resolved is None:
                    continue
                target = f"{resolved}/{path}"
            if name == "*":
                table.stars.append(target.rstrip("/"))
            else:
                table.names.setdefault(name, []).append(target)
        table.lazy = frozenset(entry.name for entry in facts.lazy)
        table.getattr = any(function.name == "__getattr__" for function in facts.functions)
        return table
