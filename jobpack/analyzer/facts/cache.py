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
from collections.abc import Iterable
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

FACTS_SCHEMA = 16  # 2: the ast fast path (source order, syntax notes); 3: sys.path folders;
# 4: `# jobpack: ignore[...]` comments; 5: notes without a level (the registry's);
# 6: functions and the names code refers to; 7: files read; 8: lazy modules' tables;
# 9: files written; 10: stdlib attributes and unbound builtins are no reference;
# 11: attributes of imported names qualified by their package (`numpy:show_config`);
# 13: what a module's `__dir__` leaves out, `dir(x)` by what x is (`numpy:dir()`), what
# `__main__` blocks refer to, apart, and `NAME = obj.attr` bindings (`tok<:NAME`, `tok@`);
# 14: `Cls.attr = function` bindings (`tok<attr`), displays of names in a global;
# 15: `dir(x)` of an object counts only in code that gets modules by name
# 16: exact tokens (`torch/save`, resolved by the walker) and each module's bindings
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

    # -- the walker's seam -----------------------------------------------------------------
    def __call__(self, path: Path) -> FileFacts:
        facts = self._facts.get(path)
        if facts is None:
            self.prefetch([path])
            facts = self._facts[path]
        return facts

    def prefetch(self, paths: Iterable[Path]) -> int:
        """Make facts for `paths` ready: from the cache, else parsed (in parallel if many).
        Returns how many were parsed (0: all came from memory or the cache)."""
        todo: list[tuple[Path, bytes, str]] = []
        for path in dict.fromkeys(paths):
            if path in self._facts:
                continue
            source = read_regular(path)
            content = hashlib.sha256(source)
            self.read[path] = (content.hexdigest(), len(source))
            if path.suffix == ".ipynb":  # a notebook is read as the Python of its cells
                from jobpack.analyzer.notebooks import notebook_python

                source = notebook_python(source, str(path))
                content = hashlib.sha256(source)
            key = self._key(content)
            cached = self._load(key)
            if cached is not None:
                self.hits += 1
                self._facts[path] = cached
            else:
                todo.append((path, source, key))
        if not todo:
            return 0
        results = self._parse_all([source for _, source, _ in todo])
        self.parsed += len(todo)
        for (path, _, key), facts in zip(todo, results, strict=True):
            self._facts[path] = facts
            self._store(key, facts)
        if self.folder is not None:
            cache_prune.now_and_then(self.folder, cache_prune.FACTS_BYTES)
        return len(todo)

    @property
    def crashes(self) -> int:
        """Worker processes lost while parsing (each cost only the file it was on)."""
        return 0 if self._pool is None else self._pool.crashes

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- parsing -----------------------------------------------------------------------------
    def _parse_all(self, sources: list[bytes]) -> list[FileFacts]:
        from jobpack.analyzer.facts.parser import parse_facts

        if self.workers < 2 or len(sources) < PARALLEL_THRESHOLD:
            return [parse_facts(source, self.target) for source in sources]
        if self._pool is None:
            self._pool = WorkerPool(self.target, self.workers, parse_facts, self._retry)
        return self._pool.parse(sources)

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


def default_workers() -> int:
    """Every core (the CLI passes `$JOBPACK_WORKERS` instead when it is set)."""
    return os.cpu_count() or 1
