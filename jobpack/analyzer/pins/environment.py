"""Read the analysed interpreter's environment without importing anything from it.

A small stdlib-only script runs in that interpreter (`-E -s`-free: the user's own site
folders count, PYTHONPATH does not since the VM will not have it) and reports its version
and `sys.path`; distributions are then read from those folders with importlib-metadata.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobpack.errors import EnvironmentInspectionError
from jobpack.target import Target

_PROBE = r"""
import json, os, site, sys, sysconfig
paths = sysconfig.get_paths()
stdlib = paths.get("stdlib", "")
zips = [p for p in sys.path if p.endswith(".zip") and p.startswith(sys.base_prefix)]
print(json.dumps({
    "version": list(sys.version_info[:3]),
    "executable": sys.executable,
    "path": [p for p in sys.path if p],
    "stdlib": [stdlib] + zips,
    "site": [paths.get("purelib", ""), paths.get("platlib", "")],
    "platform": sysconfig.get_platform(),
    "user_site": site.getusersitepackages() if site.ENABLE_USER_SITE else "",
}))
"""


@dataclass(frozen=True)
class PythonEnvironment:
    """The facts jobpack needs about the analysed interpreter."""

    executable: str
    version: tuple[int, int, int]
    path: tuple[Path, ...]  # sys.path without the script folder, stdlib first
    stdlib: tuple[Path, ...]
    site: tuple[Path, ...]
    platform: str  # sysconfig platform, e.g. linux-x86_64, macosx-14.0-arm64

    @property
    def target(self) -> Target:
        return Target.of(tuple(self.version))

    @property
    def venv(self) -> Path | None:
        """The virtual environment the interpreter belongs to (its `pyvenv.cfg` folder)."""
        folder = Path(self.executable).parent.parent
        return folder if (folder / "pyvenv.cfg").is_file() else None

    def describe(self) -> str:
        """`/path/bin/python (CPython 3.11.7, venv /path)`: for the first line of reports."""
        where = f"venv {self.venv}" if self.venv else "system"
        version = ".".join(str(v) for v in self.version)
        return f"{self.executable} (CPython {version}, {where})"

    @property
    def distribution_paths(self) -> tuple[Path, ...]:
        """sys.path entries that can hold installed distributions (not the stdlib)."""
        stdlib = set(self.stdlib)
        return tuple(p for p in self.path if p not in stdlib and not _is_under(p, stdlib))


def _is_under(path: Path, folders: set[Path]) -> bool:
    return any(path.is_relative_to(folder) for folder in folders)


def venv_python(virtual_env: str) -> str:
    """The interpreter of the venv at `virtual_env` (as `$VIRTUAL_ENV` names it).

    A folder that holds no working venv is an error, not a silent fallback to jobpack's
    own interpreter (whose packages are not the job's)."""
    for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = Path(virtual_env) / name
        if candidate.exists():
            return str(candidate)
    what = "does not exist" if not Path(virtual_env).exists() else "has no working bin/python"
    raise EnvironmentInspectionError(
        f"VIRTUAL_ENV={virtual_env} {what}; activate a working venv, unset VIRTUAL_ENV, or "
        "name the interpreter with --python")


def inspect_python(python: str | None = None, cache: Path | None = None) -> PythonEnvironment:
    """Run the probe in `python` (default: the one running jobpack) and read its answer;
    with a `cache` folder, an answer given before is reused while nothing it depends on
    changed (`probe_cache`)."""
    executable = python or sys.executable
    if os.sep in executable:
        # The probe runs in a neutral folder, so a relative path must be made absolute
        # first; abspath, not resolve: a venv's python is a symlink out of the venv.
        executable = os.path.abspath(executable)  # noqa: PTH100 - must not follow symlinks
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    from jobpack.analyzer.pins.probe_cache import ProbeCache

    probes = ProbeCache(cache, executable, env)
    known = probes.answer()
    if known is not None:
        return _environment(known)
    found, environment = _probe(executable, env)
    probes.remember(found)
    return environment


def _probe(executable: str, env: dict[str, str]) -> tuple[dict[str, Any], PythonEnvironment]:
    """The interpreter's answer, and the environment it describes (reading it checks it)."""
    try:
        with tempfile.TemporaryDirectory() as neutral:  # not the project: keep it off sys.path
            completed = subprocess.run(
                [executable, "-c", _PROBE],
                capture_output=True,
                text=True,
                cwd=neutral,
                env=env,
                timeout=60,
                check=False,
            )
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentInspectionError(f"cannot run {executable}: {exc}") from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise EnvironmentInspectionError(f"{executable} failed to report its environment: {last}")
    try:
        answer: dict[str, Any] = json.loads(completed.stdout)
        return answer, _environment(answer)
    except (ValueError, KeyError, TypeError, AttributeError):
        first = (completed.stdout.strip().splitlines() or ["nothing"])[0][:80]
        raise EnvironmentInspectionError(
            f"{executable} is not a usable Python 3: it answered {first!r}") from None


def _environment(data: dict[str, Any]) -> PythonEnvironment:
    major, minor, micro = (int(v) for v in data["version"])
    return PythonEnvironment(
        executable=str(data["executable"]),
        version=(major, minor, micro),
        path=tuple(Path(p) for p in data["path"]),
        stdlib=tuple(Path(p) for p in data["stdlib"] if p),
        site=tuple(Path(p) for p in data["site"] if p),
        platform=str(data["platform"]),
    )
