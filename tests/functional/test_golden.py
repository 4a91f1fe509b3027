"""Golden files: the example job's manifest and `jobpack inspect` listing, byte for byte.

A change that alters either shows up as a diff here. When the change is intended,
regenerate the files with one command and review the diff like any other:

    JOBPACK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/functional/test_golden.py

Two things are masked because they differ for reasons outside the job: the analysed
interpreter's version and folder kind (they depend on the machine), and the digests and
sizes of the runner's own members (they change with every edit of the runner).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("JOBPACK_UPDATE_GOLDEN") == "1"
# The target is fixed (3.11.7); on a machine whose Python is another minor version, the
# analysis rightly warns that the two differ: a fact about the machine, not the job.
MACHINE = ("--ignore", "target-mismatch")


def _jobpack(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "COLUMNS"}}
    completed = subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=cwd, env=env,
                               capture_output=True, text=True, check=True)
    return completed.stdout


def _mask_interpreter(text: str) -> str:
    text = re.sub(r'("interpreter": \{[^}]*?"environment": )"[^"]*"', r'\1"<kind>"', text,
                  flags=re.S)
    text = re.sub(r'("interpreter": \{[^}]*?"platform": )"[^"]*"', r'\1"<platform>"', text,
                  flags=re.S)
    text = re.sub(r'("interpreter": \{[^}]*?"python": )"[^"]*"', r'\1"<version>"', text,
                  flags=re.S)
    return re.sub(r"^Analysed CPython \S+ \([^)]*\)", "Analysed CPython <version> (<kind>)",
                  text, flags=re.M)


def _mask_runner(text: str) -> str:
    """The runner's members (and the manifest, which lists their digests) keep their
    names in the listing; their sizes and digests are masked."""
    runner = r"(?:__main__\.py|jobpack\.json|jobpack/\S+)"
    return re.sub(rf"^({runner}) +\d+(?: +[0-9a-f]+)?$", r"\1  <runner>", text, flags=re.M)


def _compare(name: str, actual: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; run with JOBPACK_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8")


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    job = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", job)
    return job


def test_the_example_manifest_matches_its_golden_file(example: Path) -> None:
    manifest = _jobpack("analyze", "--config", "config.yaml", "--format", "json",
                        "--target-python", "3.11.7", *MACHINE, cwd=example)
    _compare("example.manifest.json", _mask_interpreter(manifest))


def test_the_example_inspect_listing_matches_its_golden_file(example: Path) -> None:
    _jobpack("build", "--config", "config.yaml", "-o", "example.jobpack.zip", "-q",
             "--target-python", "3.11.7", *MACHINE, cwd=example)
    listing = _jobpack("inspect", "example.jobpack.zip", cwd=example)
    _compare("example.inspect.txt", _mask_runner(_mask_interpreter(listing)))
