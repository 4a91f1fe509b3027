"""Shared, session-scoped artefacts: real wheels and one analysed "user" venv."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_ray import FakeRay, serve
from tests.support.pylock import check_pylocks_under
from tests.support.wheels import WheelSpec, make_venv, pip_install, site_packages, write_wheel

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"

WHEELS = [
    WheelSpec("greet", "1.2", {"greet.py": "import colorx\nHELLO = 'hello'\n"},
              requires=["colorx>=1.0", 'winhelper; sys_platform == "win32"',
                        'oldpy; python_version < "3.8"', 'fancylib; extra == "fancy"',
                        'absentdep; extra == "absent"'],
              extras=["fancy", "absent"]),
    WheelSpec("colorx", "1.0.3", {"colorx/__init__.py": "RED = 1\n"}),
    WheelSpec("fancylib", "0.1", {"fancylib.py": ""}),
    WheelSpec("py-yamlish", "6.0.1", {"yamlish/__init__.py": "def load(s): return s\n",
                                      "yamlish/loader.py": ""}),
    WheelSpec("nspkg-alpha", "2.0", {"nsp/alpha/__init__.py": ""}),
    WheelSpec("nspkg-beta", "3.0", {"nsp/beta/__init__.py": "", "nsp/beta/deep.py": ""}),
    WheelSpec("dupe-one", "1.0", {"dupemod/__init__.py": ""}),
    WheelSpec("dupe-two", "1.0", {"dupemod/extra.py": ""}),
    WheelSpec("binpkg", "0.5", {"binpkg/__init__.py": ""}),
    WheelSpec("vcsdist", "0.0.1", {"vcsmod.py": ""}),
    WheelSpec("editdist", "0.3", {"__editable__.editdist-0.3.pth": ""}),
    WheelSpec("plaindist", "1.0", {"plainmod.py": "import sys\n"}),
]


@dataclass(frozen=True)
class UserEnv:
    python: Path
    wheelhouse: Path
    editable_source: Path


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    for spec in WHEELS:
        write_wheel(spec, folder)
    return folder


@pytest.fixture(scope="session")
def user_env(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> UserEnv:
    """A venv like a user's: installed wheels, an editable, a VCS install, a foreign build."""
    root = tmp_path_factory.mktemp("user-env")
    python = make_venv(root / "venv")
    names = [spec.name for spec in WHEELS]
    pip_install(python, "--find-links", str(wheelhouse), *names)
    site = site_packages(python)
    _edit_dist_info(site, "binpkg-0.5", wheel_tag="cp311-cp311-macosx_11_0_arm64")
    _write(site / "vcsdist-0.0.1.dist-info" / "direct_url.json", json.dumps({
        "url": "https://example.org/vcsdist.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef"}}))
    source = root / "editable-src"
    _write(source / "editmod" / "__init__.py", "from . import inner\n")
    _write(source / "editmod" / "inner.py", "import json\n")
    _write(site / "__editable__.editdist-0.3.pth", f"{source}\n")
    _write(site / "editdist-0.3.dist-info" / "direct_url.json", json.dumps({
        "url": source.as_uri(), "dir_info": {"editable": True}}))
    return UserEnv(python, wheelhouse, source)


def _edit_dist_info(site: Path, dist_info: str, wheel_tag: str) -> None:
    wheel = site / f"{dist_info}.dist-info" / "WHEEL"
    text = wheel.read_text().replace("Root-Is-Purelib: true", "Root-Is-Purelib: false")
    lines = [line for line in text.splitlines() if not line.startswith("Tag:")]
    wheel.write_text("\n".join([*lines, f"Tag: {wheel_tag}"]) + "\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a fixture folder to a fresh tmp path and return its root."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBPACK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


@pytest.fixture(autouse=True)
def _every_pylock_is_valid(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every pylock.toml a test leaves in its tmp_path (a file, or a member of an archive
    it built) is read with packaging.pylock after the test: none goes unchecked."""
    # asked for before the test, so that it is torn down after this check
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames \
        else None
    yield
    if folder is not None:
        check_pylocks_under(folder)


@pytest.fixture
def fake() -> Iterator[FakeRay]:
    """A fake Ray dashboard on 127.0.0.1, for the submit protocol's tests."""
    with serve(FakeRay()) as running:
        yield running
