"""Import facts per file: parsed once, cached by content, parsed in parallel when cold.

An entry is keyed by the file's sha256, the target and jobpack's version, so an edit, a
rename or another target never reads a stale entry. Writes go to a temp file and are
renamed into place, which is atomic, so two jobpack processes can share a cache. An entry
that does not load or does not match its key is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from jobpack import cache_prune
from jobpack.analyzer.facts.model import FileFacts, FileNote
from jobpack.analyzer.facts.workers import WorkerPool
from jobpack.diagnostics import SYNTAX_ERROR
from jobpack.files import read_regular
from jobpack.publish import write_cache_file
from jobpack.target import Target
from jobpack.version import __version__

FACTS_SCHEMA = 29  # 2: the ast fast path (source order, syntax notes); 3: sys.path folders;
# 4: `# jobpack: ignore[...]` comments; 5: notes without a level (the registry's);
# 6: functions and the names code refers to; 7: files read; 8: lazy modules' tables;
# 9: files written; 10: stdlib attributes and unbound builtins are no reference;
# 11: attributes of imported names qualified by their package (`numpy:show_config`);
# 13: what a module's `__dir__` leaves out, `dir(x)` by what x is (`numpy:dir()`), what
# `__main__` blocks refer to, apart, and `NAME = obj.attr` bindings (`tok<:NAME`, `tok@`);
# 14: `Cls.attr = function` bindings (`tok<attr`), displays of names in a global;
# 15: `dir(x)` of an object counts only in code that gets modules by name
# 16: exact tokens (`torch/save`, resolved by the walker) and each module's bindings
# 17: type probes: the bodies under their tests, and their imports, gated on the package
# 18: a standard-library module is no probe's gate (decided in the facts, not the walker)
# 19: a function's parameters name nothing (in its header or body); a one-line function's
# body is no module-level code; 20: an imported name's metadata (`f.__module__ = ...`) is
# read, not named (`tok@`); 21: in a function body, a plain name is no method's name;
# 22: a parameter shadows an import in its own function only (`def f(np=None)`);
# 23: an import module-level code rebinds (`np = None`) names the module's and objects';
# 24: so in the bases of a class too; 25: an f-string's braces kept on one line (its
# `{{` and `}}` left out): a multi-line one shifted the lines of the rest of the file;
# 26: a keyword argument first on its line binds nothing; an import statement continued
# after a backslash binds its names on the next lines; 27: an instance in a module global
# written at a line's start is `Cls>>:NAME` (no attribute of anything names it); 28: one
# outside a class body is, indented under an `if` too (numpy's `test = PytestTester(...)`)
# 29: an annotated assignment binds its target, not its annotation (`self.h: T = ...`)
PARALLEL_THRESHOLD = 24  # fewer uncached files than this are parsed in this process


class FactsStore:
    """Gives the walker `FileFacts` per path; `prefetch` parses a batch in parallel."""

    def __init__(self, target: Target, cache_dir: Path | None, *, workers: int | None = None
                 ) -> None:
        self.target = target
        self.folder = None if cache_dir is None else cache_dir / "facts" / f"v{FACTS_SCHEMA}"
        self.workers = workers if workers is not None else default_workers()
        self._facts: dict[Path, FileFacts] = {}
        # sha256 and size of each file as read here: the manifest takes them, so a local
        # file is read once and its digest is that of the bytes that were analysed
        self.read: dict[Path, tuple[str, int]] = {}
        self._pool: WorkerPool | None = None
        self.parsed = 0  # files parsed (not served from the cache) by this store
        self.hits = 0
        # files read but not parsed yet: waiting for enough to start the workers, or on
        # them (by ticket); parsed ones not yet counted by a `prefetch`
        self._unparsed: dict[Path, tuple[bytes, str]] = {}
        self._inflight: dict[Path, int] = {}
        self._tickets: dict[int, tuple[Path, str]] = {}
        self._fresh: set[Path] = set()
        self._arrived: list[Path] = []  # parsed, not yet told by `arrived`
        # files whose facts another cache keeps (an installed distribution's table,
        # `DistFactsCache`): they are not hashed, and no entry of their own is read or
        # written here (a cold analysis of torch wrote each library file's facts twice)
        self.kept_elsewhere: Callable[[Path], bool] = _nowhere_else

    # -- the walker's seam -----------------------------------------------------------------
    def __call__(self, path: Path) -> FileFacts:
        facts = self._facts.get(path)
        if facts is None:
            self.prefetch([path])
            facts = self._facts[path]
        return facts

    def speculate(self, paths: Iterable[Path], urgent: bool = False) -> None:
        """Start parsing `paths` in the worker processes and return at once. The walker
        names each file here as soon as it knows it will visit it, so the workers parse
        the next wave while it visits this one (when a wave was parsed only once it
        began, the walker waited for the workers and they for the walker: a cold
        analysis of torch used 1.45 of 2 cores). Until there is enough to be worth the
        processes, nothing starts: `prefetch` decides."""
        if self.workers < 2:
            return
        self._read_new(paths)
        if self._unparsed and (self._pool is not None
                               or len(self._unparsed) >= PARALLEL_THRESHOLD):
            self._submit(list(self._unparsed.items()), urgent=urgent)
            self._unparsed.clear()
        if self._pool is not None:
            self._take(self._pool.collect())

    def wait_any(self, paths: Collection[Path]) -> set[Path]:
        """Those of `paths` whose facts are ready, waiting until one is: the read-ahead
        follows each chain on as soon as its module is parsed."""
        self._read_new(paths)
        ready = {path for path in paths if path in self._facts}
        if ready or self._pool is None:
            if not ready:  # nothing runs beside the walk: parse them all here
                self.prefetch(paths)
                ready = set(paths)
            return ready
        todo = [(path, self._unparsed.pop(path)) for path in paths if path in self._unparsed]
        if todo:
            self._submit(todo, urgent=True)
        tickets = [self._inflight[path] for path in paths]
        self._pool.hurry(tickets)
        self._take(self._pool.collect(tickets, any_of=True))
        return {path for path in paths if path in self._facts}

    def arrived(self) -> list[Path]:
        """The files parsed since the last call (without waiting for any)."""
        if self._pool is not None:
            self._take(self._pool.collect())
        arrived, self._arrived = self._arrived, []
        return arrived

    def prefetch(self, paths: Iterable[Path]) -> int:
        """Make facts for `paths` ready: from the cache, else parsed (in parallel if many).
        Returns how many of them were parsed (0: all came from memory or the cache)."""
        batch = list(dict.fromkeys(paths))
        todo: list[tuple[Path, tuple[bytes, str]]] = []
        tickets: list[int] = []
        for path in batch:
            if path in self._facts:
                continue
            if path in self._inflight:
                tickets.append(self._inflight[path])
                continue
            found = self._unparsed.pop(path, None) or self._lookup(path)
            if found is not None:
                todo.append((path, found))
        if todo and self._pool is None and (
                self.workers < 2 or len(todo) < PARALLEL_THRESHOLD):
            from jobpack.analyzer.facts.parser import parse_facts

            for path, (source, key) in todo:
                self._settle(path, key, parse_facts(source, self.target))
        elif todo:
            tickets += self._submit(todo, urgent=True)
        if tickets:
            assert self._pool is not None
            self._pool.hurry(tickets)
            self._take(self._pool.collect(tickets))
        parsed = [path for path in batch if path in self._fresh]
        self._fresh.difference_update(parsed)
        if parsed and self.folder is not None:
            cache_prune.now_and_then(self.folder, cache_prune.FACTS_BYTES)
        return len(parsed)

    @property
    def crashes(self) -> int:
        """Worker processes lost while parsing (each cost only the file it was on)."""
        return 0 if self._pool is None else self._pool.crashes

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- parsing -----------------------------------------------------------------------------
    def _lookup(self, path: Path) -> tuple[bytes, str] | None:
        """Read `path`: its facts from the cache (None), else its source and cache key
        (none, "", for a file whose facts another cache keeps: it is not hashed either)."""
        source = read_regular(path)
        if self.kept_elsewhere(path):  # nothing here is keyed by its content
            return source, ""
        content = hashlib.sha256(source)
        self.read[path] = (content.hexdigest(), len(source))
        if path.suffix == ".ipynb":  # a notebook is read as the Python of its cells
            from jobpack.analyzer.notebooks import notebook_python

            source = notebook_python(source, str(path))
            content = hashlib.sha256(source)
        key = self._key(content)
        cached = self._load(key)
        if cached is None:
            return source, key
        self.hits += 1
        self._facts[path] = cached
        return None

    def _read_new(self, paths: Iterable[Path]) -> None:
        """Read the files of `paths` not seen yet: their facts from the cache, else their
        sources wait in `_unparsed`."""
        for path in paths:
            if path not in self._facts and path not in self._inflight \
                    and path not in self._unparsed and (found := self._lookup(path)):
                self._unparsed[path] = found

    def _submit(self, todo: list[tuple[Path, tuple[bytes, str]]], urgent: bool) -> list[int]:
        from jobpack.analyzer.facts.parser import parse_facts

        if self._pool is None:
            self._pool = WorkerPool(self.target, self.workers, parse_facts, self._retry)
        tickets = self._pool.submit([source for _, (source, _) in todo], urgent=urgent)
        for ticket, (path, (_, key)) in zip(tickets, todo, strict=True):
            self._inflight[path] = ticket
            self._tickets[ticket] = (path, key)
        return tickets

    def _take(self, done: dict[int, FileFacts]) -> None:
        for ticket, facts in done.items():
            path, key = self._tickets.pop(ticket)
            del self._inflight[path]
            self._settle(path, key, facts)

    def _settle(self, path: Path, key: str, facts: FileFacts) -> None:
        self._facts[path] = facts
        self._fresh.add(path)
        if self.workers >= 2:  # one process: nothing parses beside the walk, nor ahead of it
            self._arrived.append(path)
        self.parsed += 1
        if key:  # "": another cache keeps these facts
            self._store(key, facts)

    def _retry(self, source: bytes) -> FileFacts:
        """A file whose worker raised: parse it here, with room for deep recursion."""
        from jobpack.analyzer.facts.parser import parse_facts, run_with_big_stack

        try:
            return run_with_big_stack(lambda: parse_facts(source, self.target))
        except Exception as exc:
            text = str(exc).strip().splitlines()
            return FileFacts(syntax_error=FileNote.of(
                SYNTAX_ERROR, 1, f"jobpack could not read this file: "
                f"{text[0] if text else type(exc).__name__}"))

    # -- the cache on disk ----------------------------------------------------------------
    def _key(self, content: hashlib._Hash) -> str:
        digest = content.copy()
        digest.update(f"\0{self.target.full_version}\0{__version__}\0{FACTS_SCHEMA}".encode())
        return digest.hexdigest()

    def _entry(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / key[:2] / f"{key}.json"

    def _load(self, key: str) -> FileFacts | None:
        entry = self._entry(key)
        if entry is None:
            return None
        try:
            data: Any = json.loads(entry.read_bytes())
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            return FileFacts.from_dict(data["facts"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, corrupt or foreign: parse again and overwrite

    def _store(self, key: str, facts: FileFacts) -> None:
        entry = self._entry(key)
        if entry is None:
            return
        payload = json.dumps({"key": key, "facts": facts.to_dict()}, sort_keys=True)
        write_cache_file(entry, payload.encode())  # read-only or full: only costs speed


def _nowhere_else(path: Path) -> bool:
    return False


def default_workers() -> int:
    """Every core (the CLI passes `$JOBPACK_WORKERS` instead when it is set)."""
    return os.cpu_count() or 1
