"""The build side's caches stay bounded (`jobpack.cache_prune`): by age, then least
recently used; never a file a build beside this one may be about to read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobpack import cache_prune
from jobpack.packager.archive import Member
from jobpack.packager.layers import LayerStore

NOW = 1_000_000_000.0
HOUR = 3600


def _aged(folder: Path, ages: dict[str, float], size: int = 1000) -> None:
    for name, age in ages.items():
        file = folder / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"x" * size)
        os.utime(file, (NOW - age, NOW - age))


def test_stale_files_go_then_the_least_recently_used_down_to_the_budget(
        tmp_path: Path) -> None:
    _aged(tmp_path, {"old": cache_prune.MAX_AGE + 10, "a/one": 5 * HOUR, "b": 4 * HOUR,
                     "c/two": 3 * HOUR, "new": 0})
    removed = cache_prune.prune(tmp_path, 3000, now=NOW, keep=tmp_path / "a" / "one")
    # the stale one, then the least recently used (in subfolders too) until 3,000 bytes
    # are left; the file just written is kept whatever its age
    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == ["b", "old"]
    assert cache_prune.prune(tmp_path, 10_000, now=NOW) == []


def test_a_file_used_in_the_last_hour_is_never_removed(tmp_path: Path) -> None:
    # a concurrent build found this layer a minute ago and is about to copy it
    _aged(tmp_path, {"layer.zip": 60, "older.zip": 2 * HOUR})
    removed = cache_prune.prune(tmp_path, 0, now=NOW)
    assert [p.name for p in removed] == ["older.zip"]
    assert (tmp_path / "layer.zip").exists()


def test_a_killed_writers_part_file_goes_once_idle(tmp_path: Path) -> None:
    _aged(tmp_path, {".layer.zip.0a1b2c.part": 2 * HOUR, ".other.zip.3d4e5f.part": 60,
                     "kept.zip": 2 * HOUR})
    removed = cache_prune.prune(tmp_path, 1 << 30, now=NOW)
    assert [p.name for p in removed] == [".layer.zip.0a1b2c.part"]  # the other is live


def test_older_format_folders_go_once_no_jobpack_wrote_there_for_a_week(
        tmp_path: Path) -> None:
    week = cache_prune.OLD_FORMAT_AGE
    for name, age in (("v10", week + 10), ("v11", week + 10), ("v12", 10), ("v13", 0),
                      ("vx", week + 10)):
        (tmp_path / name / "00").mkdir(parents=True)
        os.utime(tmp_path / name, (NOW - age, NOW - age))
    # an older jobpack still in use stamps its folder when it prunes there
    (tmp_path / "v11" / cache_prune.STAMP).touch()
    os.utime(tmp_path / "v11" / cache_prune.STAMP, (NOW - 60, NOW - 60))
    removed = cache_prune.old_versions(tmp_path / "v13", now=NOW)
    assert [p.name for p in removed] == ["v10"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v11", "v12", "v13", "vx"]


def test_a_folder_is_pruned_at_most_once_an_hour(tmp_path: Path) -> None:
    _aged(tmp_path, {"a": 5 * HOUR, "b": 4 * HOUR})
    assert len(cache_prune.now_and_then(tmp_path, 0, now=NOW)) == 2
    _aged(tmp_path, {"c": 5 * HOUR})
    assert cache_prune.now_and_then(tmp_path, 0, now=NOW + 60) == []  # stamped a minute ago
    assert len(cache_prune.now_and_then(tmp_path, 0, now=NOW + 2 * HOUR)) == 1


def test_a_read_only_cache_is_left_alone(tmp_path: Path) -> None:
    # as root the chmod does not bind: check as another user
    user: list[str] = []
    if os.geteuid() == 0:
        user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        try:
            probe = subprocess.run([*user, sys.executable, "-c", "import jobpack"],
                                   capture_output=True, text=True, check=False)
        except FileNotFoundError:
            pytest.skip("no setpriv here to run a check as another user (util-linux)")
        if probe.returncode != 0:  # this interpreter, or jobpack, is root's alone
            pytest.skip(f"user 65534 cannot run {sys.executable} with jobpack here: "
                        f"{probe.stderr.strip().splitlines()[-1:]}")
    _aged(tmp_path, {"a": 5 * HOUR})
    tmp_path.chmod(0o555)
    try:
        script = ("import sys; from pathlib import Path; from jobpack import cache_prune; "
                  "print(cache_prune.now_and_then(Path(sys.argv[1]), 0))")
        done = subprocess.run([*user, sys.executable, "-c", script, str(tmp_path)],
                              capture_output=True, text=True, check=False)
    finally:
        tmp_path.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "a").exists()


def test_a_reused_layer_is_marked_used_and_a_new_one_prunes_the_folder(
        tmp_path: Path) -> None:
    folder = tmp_path / "layers"
    store = LayerStore(folder)
    first = store.layer([Member.from_bytes("wheels/a.whl", b"a" * 100)])
    os.utime(first.path, (1, 1))
    assert store.layer([Member.from_bytes("wheels/a.whl", b"a" * 100)]).path == first.path
    assert first.path.stat().st_mtime > 1  # reused: recent again, so a prune keeps it
    assert (folder / cache_prune.STAMP).exists()

