"""The one way to write a file and the one way to build a cache entry (`jobpack.publish`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobpack.publish import (
    COMPLETE,
    NoSpace,
    atomic_write,
    build_entry,
    complete,
    lock,
    remove_entry,
    write_atomic,
    write_cache_file,
)
from tests.support.disks import small_disk as mounted


def test_a_failed_write_keeps_the_old_file_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write(b"new, half")
        raise RuntimeError
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    write_atomic(target, b"new", 0o600)
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real full disk."""
    with mounted(tmp_path / "small", "64k") as disk:
        yield disk.path


def test_a_full_disk_is_one_error_and_nothing_half_written(small_disk: Path) -> None:
    target = small_disk / "big.bin"
    with pytest.raises(NoSpace, match=r"no space left .* nothing half-written was kept"):
        write_atomic(target, b"x" * (1 << 20))
    assert list(small_disk.iterdir()) == []
    assert write_cache_file(small_disk / "cache" / "entry.json", b"y" * (1 << 20)) is False
    assert [p.name for p in small_disk.rglob("*") if p.is_file()] == []


def test_a_build_that_fails_on_a_full_disk_publishes_nothing(small_disk: Path) -> None:
    def fill(folder: Path) -> None:
        (folder / "blob").write_bytes(b"z" * (1 << 20))

    with pytest.raises(OSError):
        build_entry(small_disk, "key", fill)
    assert [p.name for p in small_disk.iterdir()] == ["key.lock"]
    entry = build_entry(small_disk, "key", lambda f: (f / "blob").write_bytes(b"ok"))
    assert complete(entry) and (entry / "blob").read_bytes() == b"ok"


def test_an_incomplete_entry_is_never_trusted_and_is_rebuilt(tmp_path: Path) -> None:
    half = tmp_path / "key"
    half.mkdir()
    (half / "blob").write_bytes(b"half")  # a build killed after its rename: impossible,
    # but a hand-copied or damaged entry looks the same
    built: list[Path] = []

    def build(folder: Path) -> None:
        built.append(folder)
        (folder / "blob").write_bytes(b"whole")

    entry = build_entry(tmp_path, "key", build)
    assert built and (entry / "blob").read_bytes() == b"whole" and (entry / COMPLETE).is_file()
    assert build_entry(tmp_path, "key", lambda f: pytest.fail("built twice")) == entry


def test_shared_holders_keep_an_exclusive_taker_out(tmp_path: Path) -> None:
    entry = build_entry(tmp_path, "key", lambda f: (f / "x").write_text("1"))
    with lock(tmp_path / "key.lock", shared=True) as first, \
            lock(tmp_path / "key.lock", shared=True) as second:
        assert first and second
        assert remove_entry(entry) is False
    assert remove_entry(entry) is True and not entry.exists()


def test_a_lock_dies_with_its_holder_even_by_sigkill(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from jobpack.publish import lock\n"
        "with lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)"),
        str(tmp_path / "x.lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with lock(tmp_path / "x.lock", wait=False) as mine:
        assert mine is False
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with lock(tmp_path / "x.lock", wait=False) as mine:
        assert mine is True


def test_a_forked_worker_dies_with_its_parent(tmp_path: Path) -> None:
    marker = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, time; from jobpack.publish import die_with_parent\n"
        "me = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    die_with_parent(me)\n"
        "    open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60); os._exit(0)\n"
        "time.sleep(60)"), str(marker)])
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(marker.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")
