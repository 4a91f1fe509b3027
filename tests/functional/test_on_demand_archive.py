"""`jobpack build --wheels --on-demand NAME` end to end: a job that imports PyYAML (a
compiled extension) in a branch pins it in the required tier; named on demand, it is in
the optional tier, its wheel still bundled, and the archive runs offline on a bare
`python3` 3.11: a run that never imports it installs nothing of it; one that does gets
it installed at that import, with one stderr line, and prints what the direct run
printed. Real distributions from the index: PyYAML 6.0.2 (MIT) and six 1.17.0 (MIT)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

import jobpack
from tests.support.offline import build_with_wheels, offline_or_skip
from tests.support.pythons import python_or_skip
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow

JOB = """\
import sys
import six

if sys.argv[1:] == ["yaml"]:
    import yaml
    print("YAML", yaml.safe_dump({"answer": 42}).strip())
else:
    print("PLAIN", six.PY3)
"""


def _run(bare: Path, archive: Path, folder: Path, *args: str
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-n", str(bare), str(archive), "--offline", "--env-cache",
         str(folder / "envs"), "--", *args],
        cwd=folder, env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True, text=True, check=False, timeout=600)


def test_a_distribution_named_on_demand_is_installed_at_its_first_import(
        tmp_path: Path) -> None:
    offline_or_skip()
    bare = python_or_skip("3.11")
    venv = tool_venv("on-demand", ["six==1.17.0", "PyYAML==6.0.2"])
    python = str(venv / "bin" / "python")
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    direct = subprocess.run([python, "main.py", "yaml"], cwd=job, capture_output=True,
                            text=True, check=True).stdout

    plain = jobpack.analyze([job / "main.py"], python=python, cache_dir=tmp_path / "cache")
    assert {r.name: r.tier for r in plain.manifest.requirements}["pyyaml"] == "required"

    archive = build_with_wheels(job, python, tmp_path / "cache", "main.py",
                                "--on-demand", "PyYAML")
    with zipfile.ZipFile(archive) as members:
        spec = json.loads(members.read("jobpack.json"))
    assert {r["name"]: r["tier"] for r in spec["requirements"]} == {
        "pyyaml": "optional", "six": "required"}
    assert [o["name"] for o in spec["optional"]] == ["pyyaml"]
    assert spec["optional"][0]["wheel"]  # bundled: an offline VM must never fail for it

    run = _run(bare, archive, tmp_path, "plain")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == "PLAIN True\n"
    assert "optional distribution" not in run.stderr

    run = _run(bare, archive, tmp_path, "yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == direct
    assert "jobpack: installed the optional distribution pyyaml 6.0.2" in run.stderr
