"""The environment cache's bookkeeping: where it is, locks, completeness, pruning.

An entry is `<key>/` (trusted only with its `.jobpack-complete` marker, written last before
the rename that publishes it), `<key>.lock` beside it, and `.tmp-<key>-*` while building
(see `jobpack.publish.build_entry`). Pruning removes entries unused for `MAX_AGE_DAYS` or
beyond the size cap, least recently used first, skipping any entry whose lock is held: by
a build (exclusive) or by each job that runs in it (shared).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from jobpack.layout import sizes
from jobpack.publish import COMPLETE, USED, complete, remove_entry, remove_stale

from .errors import RunnerError
from .progress import say

MAX_AGE_DAYS = 30
DEFAULT_MAX = "10G"


def cache_root(given: Path | None) -> Path:
    """--env-cache, else $JOBPACK_ENV_CACHE, else the user cache folder."""
    if given is not None:
        return given
    if os.environ.get("JOBPACK_ENV_CACHE"):
        return Path(os.environ["JOBPACK_ENV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobpack" / "envs"


def parse_size(text: str) -> int:
    """`500M`, `10G`, `1.5T`, or bytes (layout's one parser); the cap of --env-cache-max."""
    try:
        return sizes.parse_size(text)
    except ValueError:
        raise RunnerError(f"--env-cache-max {text!r}: expected a size such as 500M or 10G"
                          ) from None


def _size(entry: Path) -> int:
    try:
        return int(json.loads((entry / COMPLETE).read_text())["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _last_used(entry: Path) -> float:
    for name in (USED, COMPLETE):
        with contextlib.suppress(OSError):
            return (entry / name).stat().st_mtime
    return 0.0


def prune(cache: Path, max_bytes: int, keep: str = "") -> list[Path]:
    """Remove entries unused for MAX_AGE_DAYS, then the least recently used ones until the
    rest fits in `max_bytes`; also old leftovers of interrupted builds. Returns removed."""
    if not cache.is_dir():
        return []
    now = time.time()
    entries = sorted((e for e in cache.iterdir() if e.is_dir() and complete(e)
                      and e.name != keep), key=_last_used)
    total = sum(_size(e) for e in entries)
    removed = []
    for entry in entries:
        too_old = now - _last_used(entry) > MAX_AGE_DAYS * 86400
        if not too_old and total <= max_bytes:
            continue
        size = _size(entry)
        if _remove(cache, entry):
            removed.append(entry)
            total -= size
    remove_stale(cache, now)
    return removed


def _remove(cache: Path, entry: Path) -> bool:
    if not remove_entry(entry):
        return False
    say(f"pruned environment {entry.name}")
    return True
