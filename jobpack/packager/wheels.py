"""Fetch the target's wheels (manylinux / linux x86_64, one CPython) with `pip download`.

Wheels are cached between builds in a folder keyed by nothing but their file names (a
wheel file name pins name, version and tags; its digest is recorded in the archive).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from jobpack.errors import MissingWheelsError
from jobpack.manifest import Manifest, Requirement
from jobpack.target import Target, platform_tags


def target_tags(python: str) -> frozenset[Tag]:
    return Target.parse(python).wheel_tags()


@dataclass(frozen=True)
class FetchedWheel:
    name: str
    filename: str
    path: Path


@dataclass
class WheelFetcher:
    """Downloads (or finds in its cache) one wheel per pinned distribution."""

    cache: Path
    allow_sdist: bool = False
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    on_progress: Callable[[str], None] | None = None
    skipped: tuple[str, ...] = ()

    def fetch(self, manifest: Manifest) -> list[FetchedWheel]:
        tags = target_tags(manifest.target.python)
        found: list[FetchedWheel] = []
        missing: list[tuple[Requirement, str]] = []
        for requirement in sorted(manifest.requirements, key=lambda r: r.name):
            if self.on_progress is not None:
                self.on_progress(requirement.name)
            if requirement.url or not requirement.version:
                missing.append((requirement, "not pinned to a version on an index"))
                continue
            wheel = self._cached(requirement, tags) or self._download(requirement, manifest, tags)
            if wheel is None:
                tag = "cp" + manifest.target.python.replace(".", "")
                missing.append((requirement, f"no wheel for {tag} manylinux x86_64"))
            else:
                found.append(wheel)
        if missing and not self.allow_sdist:
            listed = "; ".join(f"{r.name}=={r.version or r.specifier or r.url}: {why}"
                               for r, why in missing)
            raise MissingWheelsError(
                f"no target wheel for {len(missing)} distribution(s): {listed}. Pin a version "
                "that has a manylinux wheel, move it to a manual requirements-file, or pass "
                "--allow-sdist to have pip build it on the VM")
        self.skipped = tuple(r.name for r, _ in missing)
        return found

    def _cached(self, requirement: Requirement, tags: frozenset[Tag]) -> FetchedWheel | None:
        if not self.cache.is_dir():
            return None
        for file in sorted(self.cache.glob("*.whl")):
            if _matches(file.name, requirement, tags):
                return FetchedWheel(requirement.name, file.name, file)
        return None

    def _download(self, requirement: Requirement, manifest: Manifest,
                  tags: frozenset[Tag]) -> FetchedWheel | None:
        self.cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
                   "--no-input", "--quiet", "--only-binary=:all:", "--no-deps",
                   "--implementation", "cp", "--python-version", manifest.target.python,
                   "-d", str(self.cache)]
        for platform in platform_tags():
            command += ["--platform", platform]
        pip = manifest.pip
        if pip.index_url:
            command += ["--index-url", pip.index_url]
        for url in pip.extra_index_urls:
            command += ["--extra-index-url", url]
        for host in pip.trusted_hosts:
            command += ["--trusted-host", host]
        for link in (*pip.find_links, *self.find_links):
            command += ["--find-links", link]
        if self.no_index:
            command.append("--no-index")
        command.append(f"{requirement.name}=={requirement.version}")
        env = {**os.environ, "PIP_NO_INPUT": "1"}
        subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        return self._cached(requirement, tags)


def _matches(filename: str, requirement: Requirement, tags: frozenset[Tag]) -> bool:
    try:
        name, version, _build, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    try:
        same_version = version == Version(requirement.version)
    except InvalidVersion:
        same_version = str(version) == requirement.version
    return canonicalize_name(name) == requirement.name and same_version and bool(
        set(wheel_tags) & tags
    )
