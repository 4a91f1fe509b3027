"""Lazy modules: where `from pkg import Name` finds `Name` when `pkg` imports on demand.

transformers, diffusers and many other libraries replace their package in `sys.modules`
with a module object (`_LazyModule`) whose `__getattr__` imports the submodule a table
maps the name to, the first time the name is asked for; a PEP 562 `__getattr__` does the
same by hand. The interpreter therefore runs `pkg.trainer` (and what it imports) at the
`from pkg import Trainer`. The table itself is built at run time, but such packages list
the same names as imports under `if TYPE_CHECKING:` (for type checkers and IDEs); those
imports never run, and are read here only as the name -> submodule table (`LazyName`).

A star entry (`from .models import *`) stands for every name of its module: a lazy
package's own table, or the names a plain module exports (`__all__`, else what it
defines). Only the entries that can hold the name are read (the name's bytes must appear
in a plain module), the likeliest first (a submodule whose name the name contains).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from jobpack.analyzer.facts.collector import may_be_lazy
from jobpack.analyzer.facts.model import FileFacts, LazyName
from jobpack.analyzer.walk.star_scan import StarScan

FactsFor = Callable[[Path], FileFacts]
FileOf = Callable[[str], Path | None]  # the installed source file of a dotted module
Source = tuple[str, str]  # (absolute module to import, the attribute's name there)


class LazyTables:
    """Answers `source(pkg, name)` from the lazy tables of installed packages (memoised)."""

    def __init__(self, facts_for: FactsFor, file_of: FileOf,
                 scan: StarScan | None = None) -> None:
        self.facts_for = facts_for
        self.file_of = file_of
        # a star entry whose module cannot bind the name is not read (`star_scan.py`)
        self.scan = scan or StarScan()
        self._memo: dict[tuple[str, str], Source | None] = {}
        # each module's lazy table (None: not lazy), looked up once: most `from` imports
        # of library code ask about modules that are not lazy
        self._tables: dict[str, tuple[Path, FileFacts] | None] = {}

    def source(self, module: str, name: str) -> Source | None:
        """Where the lazy `module` imports `name` from, or None (not lazy, not listed)."""
        if name.startswith("__") or name == "*":
            return None  # dunders (`__version__`) are the module's own attributes
        key = (module, name)
        if key not in self._memo:
            self._memo[key] = None  # a table that lists itself ends here
            self._memo[key] = self._lookup(module, name)
        return self._memo[key]

    def entries(self, module: str, facts: FileFacts, file: Path) -> list[tuple[str, LazyName]]:
        """`facts.lazy` of `module` (whose file is `file`), each with its absolute module."""
        package = module if file.name == "__init__.py" else module.rpartition(".")[0]
        return [(absolute(package, entry), entry) for entry in facts.lazy]

    def _table(self, module: str) -> tuple[Path, FileFacts] | None:
        if module not in self._tables:
            file = self.file_of(module)
            facts = None if file is None or not _may_be_lazy(file) else self.facts_for(file)
            self._tables[module] = None if file is None or facts is None or not facts.lazy \
                else (file, facts)
        return self._tables[module]

    def _lookup(self, module: str, name: str) -> Source | None:
        table = self._table(module)
        if table is None:
            return None
        file, facts = table
        if _bound_when_run(facts, name):
            return None
        stars: list[str] = []
        for target, entry in self.entries(module, facts, file):
            if entry.name == name:
                return target, entry.attr
            if entry.name == "*":
                stars.append(target)
        for star in _likeliest_first(stars, name):
            if not self.scan.may_export(self.file_of(star), name):
                continue
            found = self.source(star, name) or self._exported(star, name)
            if found is not None:
                return found
        return None

    def _exported(self, module: str, name: str) -> Source | None:
        """(`module`, `name`) when the plain module `module` exports `name` to a star."""
        file = self.file_of(module)
        if file is None:
            return None
        try:
            if name.encode() not in file.read_bytes():
                return None  # cheap: most star entries cannot hold the name
        except OSError:
            return None
        facts = self.facts_for(file)
        if facts.all_names is not None:
            return (module, name) if name in facts.all_names else None
        defines = re.compile(rf"^(?:(?:async\s+)?def|class)\s+{re.escape(name)}\b|"
                             rf"^{re.escape(name)}\s*[:=]", re.MULTILINE)
        return (module, name) if defines.search(file.read_text("utf-8", "replace")) else None


def _may_be_lazy(file: Path) -> bool:
    """Whether `file` may hold a lazy table (`collector.may_be_lazy`, or a lazy_loader
    stub: `with_stub_tables`); an unreadable file is left to `facts_for`, as before."""
    try:
        source = file.read_bytes()
    except OSError:
        return True
    return may_be_lazy(source) or _attaches_stub(file, source)


def _attaches_stub(file: Path, source: bytes) -> bool:
    return file.name == "__init__.py" and _ATTACH_STUB in source \
        and file.with_suffix(".pyi").is_file()


_ATTACH_STUB = b"attach_stub"


def with_stub_tables(facts_for: FactsFor) -> FactsFor:
    """`facts_for`, with the lazy table of a package that lazy_loader makes lazy from its
    stub: scikit-image's `__getattr__, __dir__, __all__ = lazy.attach_stub(__name__,
    __file__)` imports on demand what its `__init__.pyi` imports (`from ._canny import
    canny`: `skimage.feature.canny` runs `skimage/feature/_canny.py`). The stub never
    runs; its module-level `from` imports are read only as that table."""
    def facts(path: Path) -> FileFacts:
        found = facts_for(path)
        if found.lazy or path.name != "__init__.py":
            return found
        stub = path.with_suffix(".pyi")
        try:
            if not stub.is_file() or _ATTACH_STUB not in path.read_bytes():
                return found
        except OSError:
            return found
        table = tuple(LazyName(name, fact.module, fact.level, name, fact.line)
                      for fact in facts_for(stub).imports
                      if fact.kind == "from" and fact.scope == "module"
                      for name in fact.names if name != "*")
        return replace(found, lazy=table)

    return facts


def absolute(package: str, entry: LazyName) -> str:
    """The absolute name of `entry.module` seen from `package` (its relative dots)."""
    if not entry.level:
        return entry.module
    parts = package.split(".")
    base = parts[: max(len(parts) - entry.level + 1, 0)]
    return ".".join(base + ([entry.module] if entry.module else []))


def _bound_when_run(facts: FileFacts, name: str) -> bool:
    """Whether module-level code that runs binds `name` by an import (not lazily)."""
    return any(fact.scope == "module" and fact.kind == "from" and name in fact.names
               for fact in facts.imports)


def _likeliest_first(modules: list[str], name: str) -> list[str]:
    """The star entries whose last part the name contains first (`bert` for
    `BertConfig`), longest match first; order only changes the cost, not the answer."""
    lowered = name.lower()

    def key(module: str) -> int:
        last = module.rpartition(".")[2].replace("_", "").lower()
        return -len(last) if last and last in lowered else 0

    return sorted(modules, key=key)
