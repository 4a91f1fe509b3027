"""Work folders killed runs leave are removed by a later run, and nothing else is
(`jobpack/runner/workdirs.py`). Locks are held by real other processes: `flock` is per
open file, so a lock this process held would prove nothing about a runner's."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobpack.runner.workdirs import KEPT, LOCK, WorkFolder, sweep

# holds the lock of the folder given, says so, and waits for its stdin to close
HOLDER = """\
import fcntl, os, sys
fd = os.open(os.path.join(sys.argv[1], ".jobpack-lock"), os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture()
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder of this test's own, as `$TMPDIR` would give."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root


def _abandoned(prefix: str = "jobpack-run-") -> Path:
    """A work folder as a runner killed by SIGKILL leaves it: locked by nobody."""
    folder = WorkFolder(prefix)
    (folder.path / "layers").mkdir()
    (folder.path / "layers" / "joined.zip").write_bytes(b"x" * 1000)
    folder.release()
    return folder.path


def test_a_folder_is_locked_under_its_final_name_from_its_first_moment(tmp: Path) -> None:
    folder = WorkFolder()
    assert folder.path.parent == tmp and folder.path.name.startswith("jobpack-run-")
    assert sorted(p.name for p in folder.path.iterdir()) == [LOCK]
    assert sweep() == []  # its runner (this process) lives
    assert folder.path.is_dir()
    folder.remove()
    assert not folder.path.exists()


def test_the_folders_of_killed_runs_are_removed(tmp: Path) -> None:
    run, layers = _abandoned(), _abandoned("jobpack-layers-")
    assert sorted(sweep()) == sorted([run, layers])
    assert not run.exists() and not layers.exists()


def test_a_folder_whose_runner_lives_is_left(tmp: Path) -> None:
    folder = _abandoned()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        assert sweep() == []
        assert (folder / "layers" / "joined.zip").is_file()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert sweep() == [folder]  # its holder is gone: so is the lock


def test_a_kept_folder_is_left(tmp: Path) -> None:
    folder = WorkFolder()
    folder.keep()
    folder.release()
    assert sweep() == []
    assert (folder.path / KEPT).is_file()


def test_what_is_no_runners_folder_is_left(tmp: Path, tmp_path: Path) -> None:
    unlocked = tmp / "jobpack-run-older"  # an older runner's, or being made this instant
    unlocked.mkdir()
    (unlocked / "file").write_text("mine")
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / LOCK).touch()
    (elsewhere / "file").write_text("mine")
    (tmp / "jobpack-run-link").symlink_to(elsewhere)
    (tmp / "jobpack-run-file").write_text("a file")
    other = tmp / "someone-else"
    other.mkdir()
    (other / LOCK).touch()
    assert sweep() == []
    assert (unlocked / "file").read_text() == "mine"
    assert (elsewhere / "file").read_text() == "mine"
    assert (tmp / "jobpack-run-file").read_text() == "a file" and other.is_dir()


def test_another_users_folder_is_left(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _abandoned()
    monkeypatch.setattr("jobpack.runner.workdirs.os.getuid", lambda: folder.stat().st_uid + 1)
    assert sweep() == []
    assert folder.is_dir()


def test_a_missing_temporary_folder_sweeps_nothing(tmp_path: Path) -> None:
    assert sweep(tmp_path / "absent") == []


def test_only_a_work_folder_prefix_is_made(tmp: Path) -> None:
    with pytest.raises(ValueError, match="prefix"):
        WorkFolder("precious-")


def test_a_folder_whose_lock_cannot_be_made_is_not_left(tmp: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: WorkFolder) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(WorkFolder, "_lock", full)
    with pytest.raises(OSError, match="No space"):
        WorkFolder()
    assert list(tmp.iterdir()) == []  # no unlocked folder that no later run would remove
