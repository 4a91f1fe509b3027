"""The wheel cache is never poisoned: a truncated wheel in it is fetched again, and a full
disk while pip downloads leaves nothing half-written in it (issue #22)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobpack.errors import WheelDownloadError
from jobpack.manifest import Manifest, Requirement
from jobpack.packager.wheels import WheelFetcher, intact
from jobpack.target import Target
from tests.support.disks import small_disk
from tests.support.wheels import WheelSpec, write_wheel

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _manifest(*names: str) -> Manifest:
    return Manifest(target=Target.parse(PYTHON), entry_points=("main.py",),
                    requirements=tuple(Requirement(name=n, version="1.0", direct=True)
                                       for n in names))


def _wheelhouse(folder: Path, size: int = 100) -> Path:
    for name in ("alpha", "beta"):
        write_wheel(WheelSpec(name, "1.0", {f"{name}/__init__.py": "x = 1\n",
                                            f"{name}/blob.py": "#" * size + "\n"}), folder)
    return folder


def test_a_truncated_wheel_in_the_cache_is_fetched_again(tmp_path: Path) -> None:
    house = _wheelhouse(tmp_path / "house")
    cache = tmp_path / "cache"
    cache.mkdir()
    good = house / "alpha-1.0-py3-none-any.whl"
    (cache / good.name).write_bytes(good.read_bytes()[:200])  # what a full disk left
    fetcher = WheelFetcher(cache=cache, find_links=(str(house),), no_index=True,
                           prove=False)
    [wheel] = fetcher.fetch(_manifest("alpha"))
    assert wheel.path.read_bytes() == good.read_bytes()
    assert intact(wheel.path)


@pytest.fixture
def small_cache(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "cache", "256k") as disk:
        yield disk.path


def test_a_full_disk_while_downloading_leaves_no_wheel_and_no_work_folder(
    tmp_path: Path, small_cache: Path,
) -> None:
    # incompressible: each wheel is about 200 KB, the two do not fit in 256 KB
    house = tmp_path / "house"
    for name in ("alpha", "beta"):
        blob = subprocess.run([sys.executable, "-c", "import os,sys; sys.stdout.write("
                               "os.urandom(100000).hex())"], capture_output=True, text=True,
                              check=True).stdout
        write_wheel(WheelSpec(name, "1.0", {f"{name}/blob.py": f"X = {blob!r}\n"}), house)
    fetcher = WheelFetcher(cache=small_cache, find_links=(str(house),), no_index=True,
                           prove=False)
    with pytest.raises((WheelDownloadError, OSError)) as caught:
        fetcher.fetch(_manifest("alpha", "beta"))
    assert "no space left" in str(caught.value).lower()
    left = sorted(p.name for p in small_cache.iterdir())
    assert all(intact(small_cache / name) for name in left if name.endswith(".whl")), left
    assert not [name for name in left if name.startswith(".tmp-")], left


def test_a_source_only_pin_is_built_under_its_lock_and_once(tmp_path: Path) -> None:
    """Two builds needing the same source-only pin: the second waits on the pin's lock
    in the cache (`publish.lock`) and takes the wheel the first published, without
    building (here no index could serve it: a build would find no sdist)."""
    import threading

    from jobpack.packager.sdist import SourceVerdict
    from jobpack.publish import lock, lock_path

    cache = tmp_path / "cache"
    cache.mkdir()
    manifest = _manifest("alpha")
    fetcher = WheelFetcher(cache, no_index=True)
    tags = Target.parse(PYTHON).wheel_tags()
    verdicts: list[SourceVerdict] = []
    with lock(lock_path(cache / "alpha-1.0.source")):  # the first build, under way
        waiting = threading.Thread(target=lambda: verdicts.append(
            fetcher._source_only(manifest.requirements[0], manifest, tags)))
        waiting.start()
        built = write_wheel(WheelSpec("alpha", "1.0", {"alpha/__init__.py": "x = 1\n"}),
                            cache)
    waiting.join(timeout=120)
    assert [(v.wheel, v.problem) for v in verdicts] == [(built, None)]


def test_a_wheel_found_whole_is_not_opened_again(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    house = _wheelhouse(tmp_path / "house")
    cache = tmp_path / "cache"
    fetcher = WheelFetcher(cache=cache, find_links=(str(house),), no_index=True,
                           prove=False)
    [first] = fetcher.fetch(_manifest("alpha"))
    with monkeypatch.context() as patched:
        patched.setattr("jobpack.packager.wheels.intact", _never_called)
        [again] = fetcher.fetch(_manifest("alpha"))
    assert again == first
    # a wheel replaced in the cache (another size, another time) is checked again
    first.path.write_bytes(first.path.read_bytes()[:200])
    [repaired] = fetcher.fetch(_manifest("alpha"))
    assert intact(repaired.path)


def _never_called(wheel: Path, full: bool = False) -> bool:
    raise AssertionError(f"{wheel.name} was opened again")
