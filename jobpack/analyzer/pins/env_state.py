"""The state of an analysed environment, as one digest, and its distribution index cached
under that digest (issue #20: reading 64 distributions' metadata and RECORDs cost a second
of every warm analysis of a torch + transformers venv).

The digest covers every entry of every folder on the analysed `sys.path`: its name, size
and modification time (a dist-info folder's changes when pip adds, removes or rewrites a
file in it; an editable install's `.pth` or finder file is an entry too), and the folder's
own modification time. Installing, removing, upgrading or reinstalling anything changes
it; editing a file inside an installed package in place does not, as for the
per-distribution facts tables (`dist_cache`), which hold a build's files (its name,
version and RECORD) to be immutable.

The index is stored with `pickle` (it is jobpack's own data, in the user's own cache
folder) and written atomically; a missing, truncated or otherwise unreadable file is
ignored and written again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from pathlib import Path

from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.publish import read_cache_pickle, write_cache_file
from jobpack.version import __version__

INDEX_SCHEMA = 2  # bump when InstalledDistribution or DistributionIndex change shape
# (2: `record`, the digest of each RECORD)


def environment_state(paths: Iterable[Path]) -> str:
    """A digest of the folders on `paths`: equal digests, equal installed distributions."""
    digest = hashlib.sha256(f"{__version__}\0{INDEX_SCHEMA}".encode())
    for path in paths:
        digest.update(f"\0path\0{path}\0".encode())
        try:
            top = path.stat()
            digest.update(f"{top.st_mtime_ns} {top.st_size}".encode())
            if not path.is_dir():
                continue
            with os.scandir(path) as found:
                entries = sorted(found, key=lambda e: e.name)
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                digest.update(f"\0{entry.name} {info.st_mtime_ns} {info.st_size}".encode())
        except OSError:
            digest.update(b"\0missing")
    return digest.hexdigest()


def cached_index(paths: tuple[Path, ...], folder: Path | None,
                 state: str | None = None) -> DistributionIndex:
    """The distribution index of `paths`, from `folder` (jobpack's cache folder) when an
    index of this very environment state is there, else read and stored."""
    if folder is None:
        return DistributionIndex.from_paths(paths)
    file = folder / "environments" / f"v{INDEX_SCHEMA}" / \
        f"{state or environment_state(paths)}.pickle"
    loaded = _load(file)
    if loaded is not None:
        return loaded
    index = DistributionIndex.from_paths(paths)
    write_cache_file(file, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    return index


def _load(file: Path) -> DistributionIndex | None:
    index = read_cache_pickle(file)
    return index if isinstance(index, DistributionIndex) else None
