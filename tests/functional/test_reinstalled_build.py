"""A wheel rebuilt under the same version and reinstalled over the old one is analysed
afresh: the per-distribution facts tables are keyed by the build (name, version and the
digest of its RECORD), not by name and version alone.

The story: a team's own package, `mypkg` 0.1.0, installed from a wheel they build. A new
release of the code imports `depa` and is built and installed again, still 0.1.0 (`pip
install --force-reinstall`). With tables keyed by (name, version), the second analysis,
sharing the first one's cache, read the old build's facts and did not pin depa: the job
would fail on the VM with ModuleNotFoundError.
"""

from __future__ import annotations

from pathlib import Path

import jobpack
from tests.support.wheels import WheelSpec, make_venv, pip_install, write_wheel


def _pins(job: Path, python: Path, cache: Path) -> set[str]:
    analysis = jobpack.analyze([job / "main.py"], python=str(python), root=job,
                               cache_dir=cache)
    return {r.name for r in analysis.manifest.requirements}


def test_a_rebuilt_wheel_reinstalled_under_the_same_version_is_read_again(
        tmp_path: Path) -> None:
    python = make_venv(tmp_path / "venv")
    first, second = tmp_path / "first", tmp_path / "second"
    write_wheel(WheelSpec("depa", "1.0", {"depa/__init__.py": "X = 1\n"}), first)
    write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": "import json\n"}), first)
    write_wheel(WheelSpec("mypkg", "0.1.0", {"mypkg/__init__.py": "import depa\n"}), second)
    pip_install(python, "--find-links", str(first), "depa", "mypkg")
    job, cache = tmp_path / "job", tmp_path / "cache"
    job.mkdir()
    (job / "main.py").write_text("import mypkg\n")

    assert _pins(job, python, cache) == {"mypkg"}
    pip_install(python, "--force-reinstall", "--no-deps", str(next(second.glob("*.whl"))))
    assert _pins(job, python, cache) == {"mypkg", "depa"}
