"""A memo of the walk through installed libraries (issue #20, #23: a rebuild after a code
edit walked torch's and transformers' code again, 11 of its 16 seconds).

The library walk's result (`walk.split.LibraryPart`) is a function of the environment's
state (`pins.env_state`), the target, where the job lives, the rule itself (jobpack's
version, the facts schema, the source of the walk package), and the roots the job's own
code hands it (`walk.split.Roots`). The memo is keyed by a digest of all of these, so a
code edit that leaves the roots alone reuses it, and any change to the roots, the
environment or the rule walks again. Files are pickles (jobpack's own data in the user's cache
folder), written atomically (`publish`); one that cannot be read back (torn, foreign, of an
older layout) is ignored and written again.

The project's folder is part of the key only where the walk's answer depends on it: when
it and a folder of the analysed environment lie one inside the other (a library file's
manifest path is relative to the deepest such folder); a copy of the job in a new folder
replays the memo. The memo is pruned whenever a walk stores one: files unused for
`MAX_AGE` (a replay marks its file used) go, then the least recently used until the folder
holds at most `MAX_BYTES` (a torch + transformers walk is about 3 MB).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jobpack.analyzer.facts.cache import FACTS_SCHEMA
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.walk.split import Answers, LibraryPart, Roots
from jobpack.publish import read_cache_pickle, write_cache_file
from jobpack.target import Target
from jobpack.version import __version__

MEMO_SCHEMA = 1  # the layout of a memo file
MAX_BYTES = 256 * 1024 * 1024  # the memo folder's size after a prune
MAX_AGE = 30 * 86400  # seconds a memo file may stay unused
_WALK_PACKAGE = Path(__file__).parent / "walk"


def rule_digest() -> str:
    """The source of the walk package and the graph: a change to the rule (another
    engineer's, without a version bump) is a different memo."""
    digest = hashlib.sha256()
    for file in sorted([*_WALK_PACKAGE.glob("*.py"), Path(__file__).parent / "graph.py"]):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


class LibraryMemo:
    """Library walks of one environment and target, in `folder/walks`."""

    def __init__(self, folder: Path, environment: str, target: Target) -> None:
        self.folder = folder / "walks" / f"v{MEMO_SCHEMA}"
        base = f"{__version__}\0{FACTS_SCHEMA}\0{MEMO_SCHEMA}\0{rule_digest()}\0" \
               f"{environment}\0{target!r}"
        self._base = hashlib.sha256(base.encode()).hexdigest()

    def key(self, roots: Roots, root: Path, site_paths: Iterable[Path],
            extra_roots: Mapping[str, Path]) -> str:
        digest = hashlib.sha256(self._base.encode())
        site_paths = tuple(site_paths)
        where = str(root) if _nested(root, [*site_paths, *extra_roots.values()]) else ""
        for part in (where, *map(str, site_paths), "\0extra",
                     *(f"{k}={v}" for k, v in sorted(extra_roots.items())),
                     "\0follows", *roots.follows, "\0names", *roots.names,
                     "\0own", *roots.own):
            # a file name may hold bytes that are not UTF-8 (kept as surrogates)
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        return digest.hexdigest()

    def replay(self, key: str, graph: ImportGraph) -> bool:
        """Add the memoised library part of `key` to `graph`; False when there is none.
        The collector stays off while a hundred thousand import sites are made and added
        (they hold no cycles; collecting cost a third of the time)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            part = self.load(key)
            if part is not None:
                part.replay(graph)
            return part is not None
        finally:
            if enabled:
                gc.enable()

    def load(self, key: str) -> LibraryPart | None:
        file = self.folder / f"{key}.pickle"
        part = _checked(read_cache_pickle(file))
        if part is not None:
            _mark_used(file)
        return part

    def answers(self) -> Answers:
        """The lazy modules' answers the job's code asked of this environment before."""
        file = self.folder / f"{self._base}.lazy"
        loaded = read_cache_pickle(file)
        if not isinstance(loaded, dict):
            return {}
        _mark_used(file)
        return loaded

    def store_answers(self, answers: Answers) -> None:
        write_cache_file(self.folder / f"{self._base}.lazy",
                         pickle.dumps(answers, protocol=pickle.HIGHEST_PROTOCOL))

    def store(self, key: str, part: LibraryPart) -> None:
        payload = ("jobpack-library-walk", MEMO_SCHEMA, part)
        write_cache_file(self.folder / f"{key}.pickle",
                         pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        prune(self.folder, keep=self.folder / f"{key}.pickle")


def prune(folder: Path, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE,
          now: float | None = None, keep: Path | None = None) -> list[Path]:
    """Remove the memo files of `folder` unused for `max_age` seconds, then the least
    recently used until the rest take at most `max_bytes`, never `keep` (the file just
    written); returns what it removed. Two
    processes may prune at once: a file already gone is skipped, and a reader that loses
    its file only walks again."""
    now = time.time() if now is None else now
    files: list[tuple[float, int, Path]] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith((".pickle", ".lazy")) and entry.is_file():
                    info = entry.stat()
                    files.append((info.st_mtime, info.st_size, Path(entry.path)))
    except OSError:
        return []
    files.sort(key=lambda found: (found[0], found[2].name))  # oldest first
    total = sum(size for _, size, _ in files)
    removed: list[Path] = []
    for used, size, file in files:
        if now - used <= max_age and total <= max_bytes:
            break
        if file == keep:
            continue
        try:
            file.unlink(missing_ok=True)
        except OSError:
            continue
        total -= size
        removed.append(file)
    return removed


def _mark_used(file: Path) -> None:
    """A replayed memo file is recent again (pruning goes by modification time)."""
    with contextlib.suppress(OSError):  # a read-only cache: pruned early, at worst
        os.utime(file)


def _nested(root: Path, folders: Iterable[Path]) -> bool:
    """Whether `root` and one of `folders` lie one inside the other."""
    return any(root.is_relative_to(f) or f.is_relative_to(root) for f in folders)


def _checked(loaded: Any) -> LibraryPart | None:
    if not (isinstance(loaded, tuple) and len(loaded) == 3
            and loaded[:2] == ("jobpack-library-walk", MEMO_SCHEMA)):
        return None
    part = loaded[2]
    return part if isinstance(part, LibraryPart) else None
