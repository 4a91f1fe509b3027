"""PEP 751 lock files, read by real consumers from the package index (pip and uv)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import UserEnv
from tests.functional.test_cli import JOBPACK
from tests.support.pylock import valid_pylock
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow
CONSUMERS = ["pip>=26", "uv>=0.8"]  # both read pylock.toml (pip: `install -r`)


@pytest.fixture(scope="session")
def consumers() -> Path:
    return tool_venv("pylock-consumers", CONSUMERS)


def _jobpack(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | env
    return subprocess.run([JOBPACK, *args], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=300)


def _install_and_import(consumers: Path, lock: Path, tmp: Path, tool: str) -> None:
    target = tmp / f"venv-{tool}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = str(target / "bin" / "python")
    if tool == "pip":
        command = [str(consumers / "bin" / "python"), "-m", "pip", "--python", python,
                   "install", "--no-index", "--disable-pip-version-check", "-r", str(lock)]
    else:
        command = [str(consumers / "bin" / "uv"), "pip", "install", "--offline",
                   "--python", python, "-r", str(lock)]
    installed = subprocess.run(command, capture_output=True, text=True, cwd=tmp,
                               env={**os.environ, "UV_CACHE_DIR": str(tmp / "uv-cache")})
    assert installed.returncode == 0, installed.stderr
    check = subprocess.run([python, "-c", "import greet, colorx; print(greet.HELLO)"],
                           capture_output=True, text=True)
    assert check.stdout == "hello\n", check.stderr


def test_format_pylock_names_each_pins_wheel_and_installs(
        user_env: UserEnv, consumers: Path, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import greet\n")
    result = _jobpack("analyze", "main.py", "--python", str(user_env.python),
                      "--format", "pylock", cwd=tmp_path,
                      PIP_FIND_LINKS=str(user_env.wheelhouse), PIP_NO_INDEX="1")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    valid_pylock(text)
    assert 'lock-version = "1.0"\n' in text
    minor = f"3.{sys.version_info.minor}"
    assert (f'environments = ["sys_platform == \\"linux\\" and platform_machine == '
            f'\\"x86_64\\" and python_version == \\"{minor}\\""]') in text
    for name, version in (("greet", "1.2"), ("colorx", "1.0.3")):
        wheel = next(user_env.wheelhouse.glob(f"{name}-{version}-*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert f'name = "{name}"\nversion = "{version}"\n' in text
        assert f'url = "{wheel.as_uri()}"' in text and f'sha256 = "{digest}"' in text
    lock = tmp_path / "pylock.toml"
    lock.write_text(text)
    for tool in ("pip", "uv"):
        _install_and_import(consumers, lock, tmp_path, tool)


def test_the_archive_carries_a_pylock_of_its_bundled_wheels(
        user_env: UserEnv, consumers: Path, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import greet\n")
    build = _jobpack("build", "main.py", "--python", str(user_env.python), "--wheels",
                     "--find-links", str(user_env.wheelhouse), "--no-index",
                     "-o", "job.zip", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    assert _jobpack("verify", "job.zip", cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(tmp_path / "job.zip") as archive:
        assert "pylock.toml" in archive.namelist()
        assert not any(n.startswith("wheels/") for n in archive.namelist())  # in a layer
    # the archive lays itself out (no jobpack needed), the layers' wheels beside the lock
    unpacked = tmp_path / "unpacked"
    laid = subprocess.run([sys.executable, "job.zip", "--unpack", str(unpacked)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert laid.returncode == 0, laid.stderr
    assert (unpacked / "wheels" / "greet-1.2-py3-none-any.whl").is_file()
    text = (unpacked / "pylock.toml").read_text()
    valid_pylock(text)
    assert 'path = "wheels/greet-1.2-py3-none-any.whl"' in text
    for tool in ("pip", "uv"):  # pip --no-index, uv --offline: the wheels come from DIR
        _install_and_import(consumers, unpacked / "pylock.toml", tmp_path, tool)
    # `jobpack unpack` does the same; an unpacked folder is never written over
    again = _jobpack("unpack", "job.zip", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*")) \
        == sorted(p.relative_to(unpacked) for p in unpacked.rglob("*"))
    refused = _jobpack("unpack", "job.zip", "again", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "not an empty folder" in refused.stderr


def test_no_pylock_in_the_archive_without_wheels(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import yaml\n")
    assert _jobpack("build", "main.py", "-o", "job.zip", cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(tmp_path / "job.zip") as archive:
        assert "pylock.toml" not in archive.namelist()  # a lock entry needs a source


def test_pips_own_error_is_one_line_when_no_wheel_can_be_found(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import yaml\n")
    result = _jobpack("analyze", "main.py", "--format", "pylock", cwd=tmp_path,
                      PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: pip could not find the target's wheels: ")
    assert "No matching distribution found for pyyaml==" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
