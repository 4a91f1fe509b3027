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
replays the memo. The memo is pruned as every build-side cache is (`jobpack.cache_prune`;
a replay marks its file used), down to `cache_prune.WALKS_BYTES` (a torch + transformers
walk is about 3 MB).
"""

from __future__ import annotations

import gc
import hashlib
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobpack import cache_prune
from jobpack.analyzer.facts.cache import FACTS_SCHEMA
from jobpack.analyzer.graph import ImportGraph, ImportSite, Module
from jobpack.analyzer.walk.reach import Frontier
from jobpack.analyzer.walk.split import Answers, JobToken, LibraryPart, Roots
from jobpack.publish import read_cache_pickle, write_cache_file
from jobpack.target import Target
from jobpack.version import __version__

MEMO_SCHEMA = 2  # the layout of a memo file (2: the graph's own shape, `_Stored`)
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
            extra_roots: Mapping[str, Path], closure: bool = False) -> str:
        """The memo key of a library walk from `roots`; with `closure`, that of every walk
        of a job with the same modules of its own, whatever it imports from installed
        libraries and whatever names it refers to (their `Closure`)."""
        digest = hashlib.sha256(self._base.encode())
        site_paths = tuple(site_paths)
        where = str(root) if _nested(root, [*site_paths, *extra_roots.values()]) else ""
        for part in (where, *map(str, site_paths), "\0extra",
                     *(f"{k}={v}" for k, v in sorted(extra_roots.items())),
                     *(("\0any follows, any names",) if closure else
                       ("\0follows", *roots.follows, "\0names", *roots.names)),
                     "\0own", *roots.own):
            # a file name may hold bytes that are not UTF-8 (kept as surrogates)
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        return digest.hexdigest()

    def replay(self, key: str, graph: ImportGraph,
               referrers: Mapping[tuple[str, str], str] | None = None) -> bool:
        """Add the memoised library part of `key` to `graph`; False when there is none.
        `referrers`: where each of the job's functions is now (`SplitWalker.referrers`),
        so that a site the job's code first named says so at its line of today, not at
        the line of the walk that was memoised (an edit above it moved it). The collector
        stays off while a hundred thousand import sites are made and added (they hold no
        cycles; collecting cost a third of the time)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            stored = self.load(key)
            if stored is not None:
                modules, imports = stored
                if referrers:
                    _moved(imports, referrers)
                for module in modules:
                    graph.add_module(module)
                graph.add_edges(imports)
            return stored is not None
        finally:
            if enabled:
                gc.enable()

    def load(self, key: str) -> _Stored | None:
        file = self.folder / f"{key}.pickle"
        stored = _checked(read_cache_pickle(file))
        if stored is not None:
            cache_prune.mark_used(file)
        return stored

    def answers(self) -> Answers:
        """The lazy modules' answers the job's code asked of this environment before."""
        file = self.folder / f"{self._base}.lazy"
        loaded = read_cache_pickle(file)
        if not isinstance(loaded, dict):
            return {}
        cache_prune.mark_used(file)
        return loaded

    def store_answers(self, answers: Answers) -> None:
        write_cache_file(self.folder / f"{self._base}.lazy",
                         pickle.dumps(answers, protocol=pickle.HIGHEST_PROTOCOL))

    def store(self, key: str, part: LibraryPart) -> None:
        payload = ("jobpack-library-walk", MEMO_SCHEMA, _stored(part))
        write_cache_file(self.folder / f"{key}.pickle",
                         pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        cache_prune.now_and_then(self.folder, cache_prune.WALKS_BYTES,
                                 keep=self.folder / f"{key}.pickle")

    def closure(self, key: str) -> Closure | None:
        """The `Closure` kept under `key` (`key(..., closure=True)`), if any."""
        file = self.folder / f"{key}.closure"
        loaded = read_cache_pickle(file)
        if not (isinstance(loaded, tuple) and len(loaded) == 3
                and loaded[:2] == ("jobpack-library-closure", MEMO_SCHEMA)
                and isinstance(loaded[2], Closure)):
            return None
        cache_prune.mark_used(file)
        return loaded[2]

    def store_closure(self, key: str, closure: Closure) -> None:
        write_cache_file(self.folder / f"{key}.closure", pickle.dumps(
            ("jobpack-library-closure", MEMO_SCHEMA, closure),
            protocol=pickle.HIGHEST_PROTOCOL))


@dataclass(frozen=True)
class Closure:
    """A library walk, kept as far as more imports and names of the job's code could
    change it: the installed modules the job imported (`Roots.follows`) and those the
    walk visited, the names the job referred to (`SplitWalker.job_keys`), what its
    reachability (and the job's, over lazy modules' tables) would do with another
    (`Frontier`), and the memo key of the `LibraryPart` it added. Reachability is a least
    fixpoint: a job with the same modules of its own that imports all of those modules
    and names all of those names, and more of them that are inert (a module the walk
    visited anyway; a name already referred to, or awaited by nothing), adds the very
    same part. So an edit that calls a library function the walk had reached, or imports
    a module it had visited, replays it instead of walking torch and transformers again
    (8 of the 8.3 s such an analysis took)."""

    follows: frozenset[str]
    seen: frozenset[str]
    job: Mapping[JobToken, tuple[str, ...]]  # `SplitWalker.job_keys`
    library: Frontier
    lazy: Frontier
    part: str

    def covers(self, follows: Iterable[str], job: Mapping[JobToken, tuple[str, ...]]
               ) -> bool:
        """Whether a walk whose job imports `follows` and refers to `job` ends where this
        one did."""
        imported = frozenset(follows)
        if not (self.follows <= imported and imported - self.follows <= self.seen):
            return False
        before, now = _keys(self.job), _keys(job)
        more = now - before
        return before <= now and self.library.inert(more) and self.lazy.inert(more)


def _keys(job: Mapping[JobToken, tuple[str, ...]]) -> set[str]:
    return {key for keys in job.values() for key in keys}


def _moved(imports: dict[str, dict[str, set[ImportSite]]],
           referrers: Mapping[tuple[str, str], str]) -> None:
    """Each site whose `reached_by` names a function of the job's own at another line than
    `referrers` says it is at now, said anew (in place)."""
    prefixes = tuple({f"{rel}:" for rel, _ in referrers})
    for targets in imports.values():
        for sites in targets.values():
            stale = []
            for site in sites:
                if site.reached_by.startswith(prefixes):
                    where, _, name = site.reached_by.partition(", in ")
                    now = referrers.get((where.rpartition(":")[0], name))
                    if now is not None and now != site.reached_by:
                        stale.append((site, now))
            for site, now in stale:  # equal sites (`reached_by` is not compared)
                sites.discard(site)
                sites.add(replace(site, reached_by=now))


def _nested(root: Path, folders: Iterable[Path]) -> bool:
    """Whether `root` and one of `folders` lie one inside the other."""
    return any(root.is_relative_to(f) or f.is_relative_to(root) for f in folders)


# What a memo file keeps of a `LibraryPart`: its modules, and its edges in the graph's own
# shape (importer -> imported -> sites), so that a replay hands the graph whole dicts and
# sets (`ImportGraph.add_edges`) instead of adding 33,000 edges one call at a time.
_Stored = tuple[tuple[Module, ...], dict[str, dict[str, set[ImportSite]]]]


def _stored(part: LibraryPart) -> _Stored:
    imports: dict[str, dict[str, set[ImportSite]]] = {}
    for importer, imported, sites in part.edges:  # in the part's order: the same graph
        imports.setdefault(importer, {}).setdefault(imported, set()).update(sites)
    return part.modules, imports


def _checked(loaded: Any) -> _Stored | None:
    if not (isinstance(loaded, tuple) and len(loaded) == 3
            and loaded[:2] == ("jobpack-library-walk", MEMO_SCHEMA)):
        return None
    stored = loaded[2]
    if not (isinstance(stored, tuple) and len(stored) == 2
            and isinstance(stored[0], tuple) and isinstance(stored[1], dict)):
        return None
    return stored
