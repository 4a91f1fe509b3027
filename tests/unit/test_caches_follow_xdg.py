"""Every cache, jobpack's and the tests', is under `$XDG_CACHE_HOME` when it is set (a
first user's `~/.cache` stays untouched), unless its own variable names another place."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.paths import cache_dir
from tests.support import cached_venv
from tests.support.cache import tests_cache_root


def test_each_cache_honours_xdg_cache_home(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("JOBPACK_TEST_CACHE", raising=False)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six\n")
    assert cache_dir() == tmp_path / "xdg" / "jobpack"
    assert tests_cache_root() == tmp_path / "xdg" / "jobpack-tests"
    assert cached_venv.venv_folder("x", requirements).parent == tmp_path / "xdg" / "jobpack-tests"


def test_their_own_variables_come_first(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("JOBPACK_TEST_CACHE", str(tmp_path / "tests"))
    assert tests_cache_root() == cached_venv.cache_home() == tmp_path / "tests"
    assert cache_dir(str(tmp_path / "mine")) == tmp_path / "mine"
