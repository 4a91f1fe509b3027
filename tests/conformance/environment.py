"""The conformance environment: a venv with real distributions, built once per machine.

It lives outside the repository (`<test cache>/conformance-<hash>`, see
`tests.support.cache`, keyed by the requirements file and the Python version), is built in
place under a lock that dies with its holder, and trusted only once its completion marker
is written, so parallel test runs share one build and a killed one is rebuilt.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.support.cache import cached_folder, tests_cache_root

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"


def cache_root() -> Path:
    return tests_cache_root()


def environment_folder(requirements: Path = REQUIREMENTS) -> Path:
    return cache_root() / environment_name(requirements)


def environment_name(requirements: Path = REQUIREMENTS) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return f"conformance-{digest.hexdigest()[:16]}"


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def ensure_environment(requirements: Path = REQUIREMENTS) -> Path:
    """The interpreter of the venv of `requirements` (default: the corpus'), building the
    venv first when absent. A venv names its own path, so it is built in place; its
    completion marker publishes it."""
    def build(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python_of(folder)), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(requirements)], check=True)

    folder = cached_folder(environment_name(requirements), build, in_place=True,
                           finished_by_older="bin/python")
    return python_of(folder)


def ensure_venv(name: str, pip_args: list[str]) -> Path:
    """The interpreter of a venv made by `pip install PIP_ARGS`, built once per machine
    (keyed by name, arguments and Python version) like the conformance environment."""
    digest = hashlib.sha256("\n".join([*pip_args, sys.version]).encode()).hexdigest()[:16]

    def build(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python_of(folder)), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *pip_args], check=True)

    return python_of(cached_folder(f"{name}-{digest}", build, in_place=True))
