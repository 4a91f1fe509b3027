"""Conformance (#21): dependencies published only as source, from the real package index.

pyperclip 1.9.0 and antlr4-python3-runtime 4.9.3 (which hydra-core 1.3 requires) have no
wheel at all, only a pure-Python sdist: `build --wheels` builds their wheels once, keeps
them in the wheel cache, and the archive runs offline on a bare python3. crcmod 1.7 has
only an sdist with a C extension: the build stops with one line naming it and the ways
out, before any other wheel (numpy's 16 MB here) is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.environment import ensure_venv

pytestmark = pytest.mark.slow

PURE_JOB = """\
import pyperclip
from antlr4 import CommonTokenStream, InputStream
from antlr4.Token import CommonToken

stream = InputStream("hello antlr")
print("pyperclip", pyperclip.__version__, callable(pyperclip.copy))
print("antlr", stream.size, stream.getText(0, 4), CommonToken(type=1).type)
print("tokens", type(CommonTokenStream).__name__)
"""
PLATFORM_JOB = """\
import crcmod
import numpy

crc32 = crcmod.predefined.mkCrcFun("crc-32")
print(crc32(numpy.arange(4, dtype="uint8").tobytes()))
"""


def jobpack_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=900)


def _job(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(text)
    return folder


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
def test_pure_sdist_only_dependencies_are_built_into_wheels_and_run_offline(
        tmp_path: Path) -> None:
    python = ensure_venv("sdist-only", ["pyperclip==1.9.0", "antlr4-python3-runtime==4.9.3"])
    job = _job(tmp_path / "job", PURE_JOB)
    direct = subprocess.run([str(python), "main.py"], cwd=job, capture_output=True,
                            text=True, check=True)
    cache = tmp_path / "wheels"  # empty: the sdists are built in this test
    archives = []
    for attempt in ("first", "second"):
        archive = tmp_path / f"{attempt}.jobpack.zip"
        built = jobpack_cli("build", "main.py", "--python", str(python), "--wheels",
                            "--wheel-cache", str(cache), "-o", str(archive), cwd=job)
        assert built.returncode == 0, built.stderr[-3000:]
        assert ("built from source" in built.stderr) == (attempt == "first"), built.stderr
        archives.append(archive.read_bytes())
    assert archives[0] == archives[1]  # the cached wheels are reused byte for byte
    assert sorted(p.name for p in cache.glob("*.whl")) == [
        "antlr4_python3_runtime-4.9.3-py3-none-any.whl", "pyperclip-1.9.0-py3-none-any.whl"]
    shutil.rmtree(job)
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run(["unshare", "-n", "python3", str(tmp_path / "first.jobpack.zip"),
                          "--offline"], cwd=tmp_path, env=bare, capture_output=True, text=True,
                         check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout == direct.stdout


def test_a_compiled_sdist_only_dependency_fails_at_once_naming_the_ways_out(
        tmp_path: Path) -> None:
    python = ensure_venv("sdist-compiled", ["crcmod==1.7", "numpy==2.1.0"])
    job = _job(tmp_path / "job", PLATFORM_JOB)
    cache = tmp_path / "wheels"
    built = jobpack_cli("build", "main.py", "--python", str(python), "--wheels",
                        "--wheel-cache", str(cache), "-o", str(tmp_path / "x.zip"), cwd=job)
    assert built.returncode == 1
    [line] = [line for line in built.stderr.splitlines() if line.startswith("error:")]
    assert "crcmod==1.7 has no wheel for cp311" in line and "_crcfunext.c" in line
    assert "--exclude crcmod" in line and "--allow-sdist" in line, line
    assert "Traceback" not in built.stderr
    assert not list(cache.glob("numpy-*")), "numpy was downloaded before the refusal"
    assert not (tmp_path / "x.zip").exists()
