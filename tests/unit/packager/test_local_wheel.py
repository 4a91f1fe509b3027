"""A pin installed from a file on this machine is fetched as that file, or refused in one
line: never looked for on an index (the end-to-end story: tests/functional/test_local_wheel.py)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from jobpack.errors import MissingWheelsError
from jobpack.manifest import Manifest, Requirement
from jobpack.packager.wheels import WheelFetcher
from jobpack.target import Target
from tests.support.wheels import WheelSpec, write_wheel

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _manifest(file: Path, sha256: str | None) -> Manifest:
    url = file.as_uri() + (f"#sha256={sha256}" if sha256 else "")
    return Manifest(target=Target.parse(PYTHON), entry_points=("main.py",),
                    requirements=(Requirement("mypkg", "0.1.0", True, url=url),))


def _fetcher(tmp_path: Path) -> WheelFetcher:
    # no index, nothing else to find: a pin looked for on one fails with pip's words
    return WheelFetcher(tmp_path / "cache", no_index=True, prove=False)


def test_the_file_itself_is_fetched_once_its_digest_is_checked(tmp_path: Path) -> None:
    wheel = write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": ""}), tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    for sha256 in (digest, None):  # uv may record no digest: the file is taken as it is
        [fetched] = _fetcher(tmp_path).fetch(_manifest(wheel, sha256))
        assert fetched.path == wheel and fetched.filename == wheel.name


@pytest.mark.parametrize(("file", "said"), [
    ("mypkg-0.1.0.tar.gz", "a source archive: build its wheel"),
    ("mypkg-0.1.0-cp27-cp27mu-manylinux1_x86_64.whl", "built for cp27-cp27mu-manylinux1"),
    ("gone.whl", "which is gone"),
])
def test_a_file_that_cannot_ship_is_refused_naming_it(tmp_path: Path, file: str,
                                                       said: str) -> None:
    path = tmp_path / file
    if file != "gone.whl":
        path.write_bytes(b"not read")
    with pytest.raises(MissingWheelsError, match=f"installed from {path}.*{said}"):
        _fetcher(tmp_path).fetch(_manifest(path, None))


def test_a_file_changed_since_it_was_installed_is_refused(tmp_path: Path) -> None:
    wheel = write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": ""}), tmp_path)
    with pytest.raises(MissingWheelsError, match="has changed since"):
        _fetcher(tmp_path).fetch(_manifest(wheel, "0" * 64))
