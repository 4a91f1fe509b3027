"""Real wheels from the package index, installed by the runner without pip or network,
then imported and executed by a job: compiled extensions with `.libs` folders (numpy,
pandas), console scripts (tqdm), a `google` namespace pair (protobuf and
googleapis-common-protos), a `.pth` file (setuptools' distutils-precedence.pth), and the
bytecode of the modules the job imports, compiled at build time by the target Python and
used as it is. The same job on Python 3.8 and 3.12, each with its own archive and wheels."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from jobpack.manifest import LocalFile, Manifest, Requirement, SourceMap
from jobpack.packager.api import build
from jobpack.packager.bytecode import BytecodeCompiler
from jobpack.packager.wheels import WheelFetcher
from jobpack.target import Target
from tests.support.bytecode import shipped_bytecode_used_as_is
from tests.support.downloads import target_wheels
from tests.support.pythons import python_or_skip

pytestmark = pytest.mark.slow

PYTHONS = ("3.8", "3.12")
STARTUP = frozenset({"numpy", "pandas", "tqdm", "google.protobuf", "google.protobuf.descriptor_pb2",
                     "google.api", "google.api.http_pb2"})
REQUIREMENTS = ["numpy", "pandas", "tqdm", "protobuf", "googleapis-common-protos", "setuptools"]
JOB = """\
import subprocess, sys
import numpy, pandas
from google.protobuf import descriptor_pb2
from google.api import http_pb2

frame = pandas.DataFrame({"a": numpy.arange(5)})
print("SUM", int(frame.a.sum()))
print("PROTO", http_pb2.HttpRule(get="/x").get, descriptor_pb2.FileDescriptorProto.__name__)
tool = subprocess.run(["tqdm", "--version"], capture_output=True, text=True, check=True)
print("TQDM", tool.stdout.strip())
print("PTH", "_distutils_hack" in sys.modules)
print("NO_PIP", subprocess.run([sys.executable, "-m", "pip", "--version"],
                               capture_output=True).returncode != 0)
"""


def _python(version: str) -> Path:
    return python_or_skip(version)


def _archive(version: str, folder: Path) -> Path:
    wheels = target_wheels("runner-real", REQUIREMENTS, version)
    pins = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, parsed, _, _ = parse_wheel_filename(wheel.name)
        pins.append(Requirement(name=str(name), version=str(parsed), direct=True))
    job = folder / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    data = JOB.encode()
    manifest = Manifest(target=Target.parse(version), entry_points=("main.py",),
                        cmd="python main.py", requirements=tuple(pins),
                        local_files=(LocalFile("main.py", hashlib.sha256(data).hexdigest(),
                                               len(data)),))
    fetcher = WheelFetcher(cache=wheels, find_links=(str(wheels),), no_index=True)
    # what the job imports at start-up, compiled by the target Python itself
    compiler = BytecodeCompiler(str(_python(version)), STARTUP)
    return build(manifest, SourceMap.beside(manifest, job), folder / f"real-{version}.zip",
                 wheels=fetcher, bytecode=compiler).path


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_real_wheels_install_offline_without_pip_and_run(version: str, tmp_path: Path) -> None:
    python = _python(version)
    archive = _archive(version, tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1"}
    result = subprocess.run([str(python), str(archive), "--offline", "--env-cache",
                             str(tmp_path / "envs")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["SUM"] == "10"
    assert lines["PROTO"] == "/x FileDescriptorProto"
    assert lines["TQDM"][0].isdigit()
    assert lines["PTH"] == "True"
    assert lines["NO_PIP"] == "True"  # nothing was installed with pip
    assert "wheels" in result.stderr and "pip install" not in result.stderr
    [env_folder] = [p for p in (tmp_path / "envs").iterdir() if p.is_dir()]
    site = next(env_folder.glob("lib/python*/site-packages"))
    assert (site / "numpy.libs").is_dir() or (site / "numpy" / ".libs").is_dir()
    assert (site / "distutils-precedence.pth").exists()
    assert shipped_bytecode_used_as_is(archive, tmp_path / "envs") >= 4
