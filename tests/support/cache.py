"""The tests' own cache of slow things (downloaded wheels, tool venvs, the conformance and
Ray venvs), built once per machine with jobpack's one locked build
(`jobpack.publish.build_entry`): built in a work folder (or in place, for a venv) and
published under a lock that dies with its holder, trusted only with its completion marker.

Where: `$JOBPACK_TEST_CACHE`, else `$XDG_CACHE_HOME/jobpack-tests`, else
`~/.cache/jobpack-tests`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from jobpack.publish import COMPLETE, build_entry, complete, lock, lock_path


def tests_cache_root() -> Path:
    if os.environ.get("JOBPACK_TEST_CACHE"):
        return Path(os.environ["JOBPACK_TEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobpack-tests"


# Its name starts with "test": a module that imports it must not have it collected as a test.
tests_cache_root.__test__ = False  # type: ignore[attr-defined]


def cached_folder(key: str, build: Callable[[Path], object], *, in_place: bool = False,
                  finished_by_older: str | None = None) -> Path:
    """`<test cache>/key`, built by `build(folder)` the first time on this machine.

    `finished_by_older` names a file whose presence proves that the helper this one
    replaced (one copy per test module, before issue #22) finished the folder: such a
    folder is adopted rather than built again ("" when that helper published by rename,
    so the folder itself is the proof)."""
    root = tests_cache_root()
    entry = root / key
    if finished_by_older is not None and entry.is_dir() and not complete(entry):
        root.mkdir(parents=True, exist_ok=True)
        with lock(lock_path(entry)):
            proof = entry / finished_by_older if finished_by_older else entry
            if entry.is_dir() and not complete(entry) and proof.exists():
                (entry / COMPLETE).write_text("{}\n")
    return build_entry(root, key, build, in_place=in_place)
