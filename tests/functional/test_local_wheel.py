"""A distribution installed from a wheel file on this machine ships as that very wheel.

The story: a team builds its own package and installs the wheel (`pip install
dist/mypkg-0.1.0-py3-none-any.whl`). pip records the file's URL and sha256 in the
distribution's `direct_url.json`. jobpack used to pin it as `mypkg==0.1.0`, as if an index
served it: `build --wheels` failed with "no wheel for cp311 manylinux x86_64", and where an
index does serve a project of that name and version (another team's, a squatter's, an
older build), its wheel shipped instead of the one tested here. A build without `--wheels`
left the VM to ask the index for it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import jobpack
from tests.support.offline import build_with_wheels, offline_or_skip, run_offline
from tests.support.pythons import python_or_skip
from tests.support.wheels import WheelSpec, make_venv, pip_install, write_wheel

pytestmark = pytest.mark.slow  # a real venv and real pip installs


def _installed(tmp_path: Path, tag: str = "py3-none-any") -> tuple[Path, Path, Path]:
    """A venv with `mypkg` installed from its wheel file, and a job importing it: the
    interpreter, the wheel and the job folder."""
    python = make_venv(tmp_path / "venv")
    wheel = write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": "WHO = 'ours'\n"},
                                  tag=tag), tmp_path / "dist")
    pip_install(python, str(wheel))
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text("import mypkg\nprint('built by', mypkg.WHO)\n")
    return python, wheel, job


def _jobpack(job: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=job,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "JOBPACK_CACHE_DIR": str(job.parent / "cache")})


def test_the_installed_wheel_ships_not_an_index_s_namesake(tmp_path: Path) -> None:
    offline_or_skip()
    bare = python_or_skip("3.11")
    python, wheel, job = _installed(tmp_path)
    # an index serving another project under the same name and version
    index = tmp_path / "index"
    write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": "WHO = 'theirs'\n"}),
                index)

    analysis = jobpack.analyze([job / "main.py"], python=str(python), root=job)
    [pin] = analysis.manifest.requirements
    assert pin.local_file == wheel
    assert pin.url == f"{wheel.as_uri()}#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}"

    archive = build_with_wheels(job, str(python), tmp_path / "cache", "main.py",
                                "--no-index", "--find-links", str(index))
    run = run_offline(bare, archive, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "built by ours" in run.stdout


def test_a_build_without_wheels_refuses_in_one_line(tmp_path: Path) -> None:
    python, wheel, job = _installed(tmp_path)
    built = _jobpack(job, "build", "main.py", "--python", str(python), "-o", "dist/")
    assert built.returncode != 0
    assert "Traceback" not in built.stderr
    [line] = [line for line in built.stderr.splitlines() if line.startswith("error")]
    assert str(wheel) in line and "--wheels" in line
    assert not (job / "dist").exists() or not list((job / "dist").glob("*.zip"))


def test_a_changed_file_refuses_and_a_gone_one_is_said(tmp_path: Path) -> None:
    python, wheel, job = _installed(tmp_path)
    original = wheel.read_bytes()
    wheel.write_bytes(original + b"\n")  # rebuilt since, not reinstalled
    built = _jobpack(job, "build", "main.py", "--python", str(python), "--wheels",
                     "--no-index", "-o", "dist/")
    assert built.returncode != 0 and "Traceback" not in built.stderr
    assert f"installed from {wheel}, which has changed since" in built.stderr

    wheel.unlink()
    analysis = jobpack.analyze([job / "main.py"], python=str(python), root=job)
    [pin] = analysis.manifest.requirements
    assert pin.url is None and pin.version == "0.1.0"
    [said] = [d for d in analysis.manifest.diagnostics if d.code == "local-archive-gone"]
    assert str(wheel) in said.message


def test_a_wheel_built_for_another_python_refuses(tmp_path: Path) -> None:
    python, _, job = _installed(tmp_path, tag="cp311-cp311-manylinux_2_17_x86_64")
    built = _jobpack(job, "build", "main.py", "--python", str(python), "--target-python",
                     "3.12", "--wheels", "--no-index", "-o", "dist/")
    assert built.returncode != 0 and "Traceback" not in built.stderr
    assert "cp311-cp311-manylinux_2_17_x86_64, not for the target (CPython 3.12" \
        in built.stderr
