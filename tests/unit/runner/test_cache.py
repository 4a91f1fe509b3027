"""The environment cache: parsing the cap, pruning by age and size, skipping locked ones."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jobpack.publish import build_entry, lock
from jobpack.runner.cache import parse_size, prune
from jobpack.runner.errors import RunnerError

DAY = 86400


def _entry(cache: Path, name: str, size: int, used_days_ago: float) -> Path:
    entry = build_entry(cache, name, lambda folder: (folder / "blob").write_bytes(b"x" * size))
    when = time.time() - used_days_ago * DAY
    os.utime(entry / ".jobpack-used", (when, when))
    return entry


def test_sizes_parse_with_units_and_nonsense_is_refused() -> None:
    assert parse_size("500M") == 500 << 20
    assert parse_size("1.5G") == 3 << 29
    assert parse_size("10GiB") == 10 << 30
    assert parse_size("123") == 123
    with pytest.raises(RunnerError, match="expected a size"):
        parse_size("lots")


def test_entries_unused_for_30_days_go_whatever_the_cap(tmp_path: Path) -> None:
    old = _entry(tmp_path, "old", 10, 31)
    recent = _entry(tmp_path, "recent", 10, 29)
    assert prune(tmp_path, 1 << 40) == [old]
    assert not old.exists() and recent.exists()


def test_beyond_the_cap_the_least_recently_used_go_first(tmp_path: Path) -> None:
    a = _entry(tmp_path, "a", 1000, 3)
    b = _entry(tmp_path, "b", 1000, 2)
    c = _entry(tmp_path, "c", 1000, 1)
    removed = prune(tmp_path, 2500)
    assert removed == [a] and b.exists() and c.exists()


def test_an_entry_in_use_is_never_removed(tmp_path: Path) -> None:
    busy = _entry(tmp_path, "busy", 10, 40)
    with lock(tmp_path / "busy.lock"):
        assert prune(tmp_path, 0) == []
    with lock(tmp_path / "busy.lock", shared=True):  # a job running in it
        assert prune(tmp_path, 0) == []
    assert busy.exists()


def test_leftovers_of_interrupted_builds_are_removed_after_a_day(tmp_path: Path) -> None:
    stale = tmp_path / ".tmp-abc-1"
    fresh = tmp_path / ".tmp-abc-2"
    stale.mkdir()
    fresh.mkdir()
    os.utime(stale, (time.time() - 2 * DAY, time.time() - 2 * DAY))
    prune(tmp_path, 1 << 40)
    assert not stale.exists() and fresh.exists()
