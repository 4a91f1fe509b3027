"""What several hostile test modules share: a real archive with three big bundled wheels."""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path

import pytest

from jobpack.manifest import LocalFile, Manifest, Requirement, SourceMap
from jobpack.packager.api import build
from jobpack.packager.wheels import WheelFetcher
from jobpack.target import Target
from tests.support.wheels import WheelSpec, write_wheel

NAMES = ("alpha", "beta", "gamma")
JOB = """\
import os, sys, time
import alpha, beta, gamma
wait_for = os.environ.get("JOB_WAIT_FOR")
while wait_for and not os.path.exists(wait_for):
    time.sleep(0.05)
print("JOB OK", alpha.N + beta.N + gamma.N)
"""


def _wheel(name: str, number: int, folder: Path) -> Path:
    # about 12 MB each, so installing takes long enough to be killed in the middle, and
    # the three together are enough for the runner to install on several processes
    files = {f"{name}/__init__.py": f"N = {number}\n"}
    files.update({f"{name}/blob{i}.py": f"X = {secrets.token_hex(150_000)!r}\n"
                  for i in range(40)})
    return write_wheel(WheelSpec(name, "1.0", files), folder)


@pytest.fixture(scope="session")
def runner_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    wheels = root / "wheels"
    for number, name in enumerate(NAMES, 1):
        _wheel(name, number, wheels)
    job = root / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    data = JOB.encode()
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    manifest = Manifest(
        target=Target.parse(python), entry_points=("main.py",), cmd="python main.py",
        requirements=tuple(Requirement(name=n, version="1.0", direct=True) for n in NAMES),
        local_files=(LocalFile("main.py", hashlib.sha256(data).hexdigest(), len(data)),))
    fetcher = WheelFetcher(cache=wheels, find_links=(str(wheels),), no_index=True,
                           prove=False)
    return build(manifest, SourceMap.beside(manifest, job), root / "job.jobpack.zip",
                 wheels=fetcher).path


