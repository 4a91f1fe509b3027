"""Find modules on disk the way CPython's PathFinder and FileFinder do.

Within one search folder a package with `__init__.py` wins over `name.py`, which wins over
a folder without `__init__.py`; such folders from every search folder together form a
namespace package, but only when no regular module or package is found anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCE_SUFFIX = ".py"
EXTENSION_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True)
class Located:
    """Where a module was found: its file (None for a namespace package) and `__path__`."""

    name: str
    file: Path | None
    search: tuple[Path, ...] = ()  # the package's __path__; empty for a plain module

    @property
    def is_package(self) -> bool:
        return bool(self.search) or self.file is None

    @property
    def is_namespace(self) -> bool:
        return self.file is None

    @property
    def is_source(self) -> bool:
        return self.file is not None and self.file.suffix == SOURCE_SUFFIX


class Finder:
    """Locates modules in a list of folders; caches directory listings."""

    def __init__(self) -> None:
        self._listings: dict[Path, frozenset[str]] = {}
        self._found: dict[tuple[str, tuple[Path, ...]], Located | None] = {}

    def _listing(self, folder: Path) -> frozenset[str]:
        listing = self._listings.get(folder)
        if listing is None:
            try:
                # names only: cheaper than Path objects on large trees
                listing = frozenset(os.listdir(folder))  # noqa: PTH208
            except OSError:
                listing = frozenset()
            self._listings[folder] = listing
        return listing

    def find(self, name: str, search: tuple[Path, ...]) -> Located | None:
        """Find `name` (full dotted name) whose last part lives in one of `search`."""
        key = (name, search)
        if key not in self._found:
            self._found[key] = self._find(name, search)
        return self._found[key]

    def _find(self, name: str, search: tuple[Path, ...]) -> Located | None:
        tail = name.rpartition(".")[2]
        portions: list[Path] = []
        for folder in search:
            listing = self._listing(folder)
            if tail in listing:
                package = folder / tail
                if "__init__.py" in self._listing(package):
                    return Located(name, package / "__init__.py", (package,))
                if (package).is_dir():
                    portions.append(package)
            if tail + SOURCE_SUFFIX in listing:
                return Located(name, folder / (tail + SOURCE_SUFFIX))
            extension = _extension(tail, listing)
            if extension is not None:
                return Located(name, folder / extension)
        if portions:
            return Located(name, None, tuple(portions))
        return None


def _extension(tail: str, listing: frozenset[str]) -> str | None:
    prefix = tail + "."
    for entry in sorted(listing):
        if entry.startswith(prefix) and entry.endswith(EXTENSION_SUFFIXES):
            return entry
    return None
