"""Import facts of installed distributions, cached by build: no hashing on a warm run.

A distribution's files never change for a given build, named by its name, version and the
sha256 of its RECORD (which holds each file's own: a wheel rebuilt under the same version
and reinstalled over it is another build). So the facts of its files are kept in one table
per build and target, and only there: the content-addressed per-file cache (`FactsStore`)
serves local code and anything not owned by exactly one installed (non-editable)
distribution. Tables are written atomically, once the walk is done; two processes writing
the same table both write complete, valid tables.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from jobpack import cache_prune
from jobpack.analyzer.facts.cache import FACTS_SCHEMA, FactsStore
from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.publish import write_cache_file
from jobpack.target import Target
from jobpack.version import __version__


class DistFactsCache:
    """The walker's `facts_for` for library files: a table per distribution version."""

    def __init__(self, inner: FactsStore, index: DistributionIndex,
                 site_paths: Sequence[Path], folder: Path, target: Target) -> None:
        self.inner = inner
        self.index = index
        self.site_paths = tuple(site_paths)
        self.folder = folder / "dists" / f"v{FACTS_SCHEMA}"
        self.target = target
        # a table's entries stay as loaded (plain dicts) until a file is asked for: a walk
        # reads a few hundred of torch's thousands of files
        self._tables: dict[tuple[str, str], dict[str, FileFacts | dict[str, Any]]] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._prefixes = [(str(base).rstrip("/") + "/") for base in self.site_paths]
        self._owners: dict[Path, tuple[tuple[str, str], str] | None] = {}
        inner.kept_elsewhere = self.owns

    def __call__(self, path: Path) -> FileFacts:
        owner = self._owner(path)
        if owner is None:
            return self.inner(path)
        key, rel = owner
        table = self._table(key)
        facts = table.get(rel)
        if facts is None:
            facts = table[rel] = self.inner(path)
            self._dirty.add(key)
        elif not isinstance(facts, FileFacts):
            try:
                facts = table[rel] = FileFacts.from_dict(facts)
            except (KeyError, TypeError, ValueError, AttributeError):
                facts = table[rel] = self.inner(path)  # a corrupt entry: made again
                self._dirty.add(key)
        return facts

    def prefetch(self, paths: Iterable[Path]) -> int:
        """As `FactsStore.prefetch`: how many files were parsed."""
        todo = [path for path in paths if not self._tabled(path)]
        return self.inner.prefetch(todo) if todo else 0

    def speculate(self, paths: Iterable[Path], urgent: bool = False) -> None:
        """As `FactsStore.speculate`, for files no table holds."""
        self.inner.speculate((path for path in paths if not self._tabled(path)), urgent)

    def wait_any(self, paths: Collection[Path]) -> set[Path]:
        """As `FactsStore.wait_any`."""
        tabled = {path for path in paths if self._tabled(path)}
        return tabled or self.inner.wait_any(paths)

    def arrived(self) -> list[Path]:
        """As `FactsStore.arrived`."""
        return self.inner.arrived()

    def owns(self, path: Path) -> bool:
        """Whether `path`'s facts are kept in a table here (not in the per-file cache)."""
        return self._owner(path) is not None

    def _tabled(self, path: Path) -> bool:
        owner = self._owner(path)
        return owner is not None and owner[1] in self._table(owner[0])

    def flush(self) -> None:
        """Write the tables that gained facts (merged with what is on disk now)."""
        for key in sorted(self._dirty):
            table = {**self._load(key), **self._tables[key]}
            self._write(key, table)
        if self._dirty:
            cache_prune.now_and_then(self.folder, cache_prune.DISTS_BYTES)
        self._dirty.clear()

    # -- ownership and tables ---------------------------------------------------------------
    def _owner(self, path: Path) -> tuple[tuple[str, str], str] | None:
        if path not in self._owners:
            self._owners[path] = self._find_owner(str(path))
        return self._owners[path]

    def _find_owner(self, text: str) -> tuple[tuple[str, str], str] | None:
        # string prefixes, not Path.relative_to: this runs for every file a walk visits
        for prefix in self._prefixes:
            if not text.startswith(prefix):
                continue
            rel = text[len(prefix):]
            parts = rel.split("/")
            parts[-1] = parts[-1].split(".")[0]
            if parts[-1] == "__init__":
                parts.pop()
            deepest = self.index.deepest(".".join(parts)) if parts else None
            providers = self.index.providers(deepest) if deepest else []
            if len(providers) != 1 or providers[0].is_editable:
                return None
            provider, version = providers[0], providers[0].version
            if not version:
                return None
            # without a RECORD (a legacy egg-info), the version alone names the build
            build = f"{version}-{provider.record[:16]}" if provider.record else version
            return (provider.name, build), rel
        return None

    def _table(self, key: tuple[str, str]) -> dict[str, FileFacts | dict[str, Any]]:
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = self._load(key)
        return table

    def _file(self, key: tuple[str, str]) -> Path:
        name, build = key
        return self.folder / f"{name}-{build}-py{self.target.full_version}-{__version__}.json"

    def _load(self, key: tuple[str, str]) -> dict[str, FileFacts | dict[str, Any]]:
        try:
            data: Any = json.loads(self._file(key).read_bytes())
            files = data["files"]
            if not isinstance(files, dict):
                return {}
            cache_prune.mark_used(self._file(key))
            return {rel: _checked(facts) for rel, facts in files.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}  # missing or corrupt: its files are parsed again

    def _write(self, key: tuple[str, str], table: dict[str, FileFacts | dict[str, Any]]
               ) -> None:
        payload = json.dumps({"files": {rel: f.to_dict() if isinstance(f, FileFacts) else f
                                        for rel, f in sorted(table.items())}},
                             sort_keys=True)
        write_cache_file(self._file(key), payload.encode())  # a full cache only costs speed


def _checked(entry: Any) -> dict[str, Any]:
    """A table's entry as loaded, converted when asked for; one that is not even a dict
    makes the whole table corrupt (rebuilt)."""
    if not isinstance(entry, dict):
        raise TypeError("not a facts entry")
    return entry
