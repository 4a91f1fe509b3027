"""pylock.toml as written by hand-made TOML: valid for any text a manifest may hold."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dependency jobpack itself uses there
    import tomli as tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpack.errors import FormatError
from jobpack.formats import toml_string
from jobpack.formats.pylock import LockedWheel, pylock_toml
from jobpack.manifest import Manifest, PipOptions, Requirement
from jobpack.target import Target
from tests.support.pylock import valid_pylock

DIGEST = "0" * 64


def _manifest(index_url: str | None = None, marker: str | None = None) -> Manifest:
    return Manifest(target=Target(3, 11, 7), entry_points=("main.py",),
                    requirements=(Requirement("greet", "1.2", True, marker=marker),
                                  Requirement("tool", "", True, url="git+https://x/t@abc")),
                    pip=PipOptions(index_url=index_url))


@pytest.mark.parametrize("odd", ["\x7f", "\x00", "\x1b[31m", "tab\there", "quote\"back\\",
                                 "line\nbreak", "\u0085\u2028", "emoji \U0001f600"])
def test_control_characters_and_quotes_stay_valid_toml(odd: str) -> None:
    wheels = [LockedWheel("greet", "greet-1.2-py3-none-any.whl", DIGEST,
                          path=f"wheels/{odd}.whl")]
    text = pylock_toml(_manifest(index_url=f"https://example.org/{odd}"), wheels)
    lock = valid_pylock(text)
    greet = next(p for p in lock.packages if str(p.name) == "greet")
    assert greet.index == f"https://example.org/{odd}"
    assert greet.wheels is not None and greet.wheels[0].path == f"wheels/{odd}.whl"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_a_toml_string_that_reads_back(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_a_marker_is_kept_and_valid() -> None:
    wheels = [LockedWheel("greet", "greet-1.2-py3-none-any.whl", DIGEST, url="https://x/g.whl")]
    lock = valid_pylock(pylock_toml(_manifest(marker='python_version >= "3.8"'), wheels))
    greet = next(p for p in lock.packages if str(p.name) == "greet")
    assert str(greet.marker) == 'python_version >= "3.8"'


def test_a_pin_without_a_wheel_is_one_clear_error_not_an_invalid_lock() -> None:
    with pytest.raises(FormatError, match=r"greet==1\.2: no wheel for the target to lock"):
        pylock_toml(_manifest())


def test_every_pylock_a_test_leaves_behind_is_checked(tmp_path: Path) -> None:
    """conftest's autouse check reads pylock.toml files and archive members alike."""
    from tests.support.pylock import check_pylocks_under

    good = pylock_toml(_manifest(), [LockedWheel("greet", "greet-1.2-py3-none-any.whl",
                                                 DIGEST, path="wheels/greet.whl")])
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pylock.toml").write_text(good)
    with zipfile.ZipFile(tmp_path / "job.zip", "w") as archive:
        archive.writestr("pylock.toml", good)
    assert sorted(check_pylocks_under(tmp_path)) == [str(tmp_path / "a" / "pylock.toml"),
                                                     f"{tmp_path / 'job.zip'}:pylock.toml"]
    with zipfile.ZipFile(tmp_path / "job.zip", "a") as archive:
        archive.writestr("sub/pylock.toml", good.replace("lock-version", "lock-versio"))
    with pytest.raises(AssertionError, match=r"job\.zip:sub/pylock\.toml: not a valid"):
        check_pylocks_under(tmp_path)
    (tmp_path / "job.zip").unlink()  # the autouse check runs after this test too


def test_a_pin_installed_from_a_local_wheel_is_locked_by_its_path_and_digest() -> None:
    url = "file:///home/me/dist/my%20pkg-0.1.0-py3-none-any.whl#sha256=" + DIGEST
    manifest = Manifest(target=Target(3, 11, 7), entry_points=("main.py",),
                        requirements=(Requirement("mypkg", "0.1.0", True, url=url),))
    [package] = tomllib.loads(pylock_toml(manifest))["packages"]
    assert package["version"] == "0.1.0"
    assert package["wheels"] == [{"name": "my pkg-0.1.0-py3-none-any.whl",
                                  "path": "/home/me/dist/my pkg-0.1.0-py3-none-any.whl",
                                  "hashes": {"sha256": DIGEST}}]
    without = Requirement("mypkg", "0.1.0", True, url=url.partition("#")[0])
    with pytest.raises(FormatError, match="installed from /home/me/dist"):
        pylock_toml(Manifest(target=Target(3, 11, 7), entry_points=("main.py",),
                             requirements=(without,)))
