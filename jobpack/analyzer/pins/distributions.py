"""Installed distributions of the analysed environment, indexed by the modules they provide.

Module names come from each distribution's RECORD (every file that is a module makes all
its dotted prefixes known), so namespace packages shared by several distributions
(`google.protobuf`, `google.cloud.storage`) resolve by the deepest matching module.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import Any

import importlib_metadata as metadata
from packaging.utils import canonicalize_name

from jobpack.manifest import archive_sha256

_MODULE_SUFFIXES = (".py", ".so", ".pyd")
_MAPPING = re.compile(r"^MAPPING\s*(?::[^=]*)?=\s*(\{.*?\})\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class InstalledDistribution:
    """What jobpack reads of one installed distribution."""

    name: str  # canonical (PEP 503)
    version: str | None
    requires: tuple[str, ...]
    provides_extras: tuple[str, ...]
    modules: frozenset[str]
    direct_url: dict[str, Any] | None
    wheel_tags: tuple[str, ...]
    purelib: bool | None
    has_extensions: bool
    local_roots: tuple[tuple[str, Path], ...]  # top-level name -> folder, for local code
    concrete: frozenset[str] = frozenset()  # modules with code (a .py or an __init__)
    size: int | None = None  # bytes of the files its RECORD lists (None without a RECORD)
    # sha256 of its RECORD, which holds every file's own: another build reinstalled under
    # the same version (`pip install --force-reinstall` of a rebuilt wheel) has another
    # ("" without a RECORD)
    record: str = ""

    @property
    def is_editable(self) -> bool:
        return bool((self.direct_url or {}).get("dir_info", {}).get("editable"))

    @property
    def is_local_folder(self) -> bool:
        url = (self.direct_url or {}).get("url", "")
        return "dir_info" in (self.direct_url or {}) and str(url).startswith("file:")

    @property
    def archive_url(self) -> str | None:
        """The `file:` URL of the wheel or source archive this was installed from (`pip
        install dist/mypkg-0.1.0-py3-none-any.whl`), with its sha256 as pip recorded it in
        a `#sha256=` fragment; None for an install from an index, a folder or a VCS."""
        info = (self.direct_url or {}).get("archive_info")
        url = str((self.direct_url or {}).get("url", ""))
        if not isinstance(info, dict) or not url.startswith("file:"):
            return None
        digest = archive_sha256(info)
        return f"{url.partition('#')[0]}#sha256={digest}" if digest else url.partition("#")[0]

    @property
    def vcs_url(self) -> str | None:
        info = (self.direct_url or {}).get("vcs_info")
        if not info:
            return None
        url = str((self.direct_url or {}).get("url", ""))
        return f"{info.get('vcs', 'git')}+{url}@{info.get('commit_id', '')}"

    @property
    def pure(self) -> bool:
        if self.wheel_tags:
            return bool(self.purelib) and all(t.endswith("-none-any") for t in self.wheel_tags)
        return not self.has_extensions


class DistributionIndex:
    """The installed distributions and the modules each provides."""

    def __init__(self, distributions: Iterable[InstalledDistribution]) -> None:
        self.distributions: dict[str, InstalledDistribution] = {}
        self._providers: dict[str, set[str]] = {}
        self._concrete: set[str] = set()
        self.local_roots: dict[str, tuple[Path, str]] = {}
        for dist in distributions:
            if dist.name in self.distributions:  # shadowed by one earlier on sys.path
                continue
            self.distributions[dist.name] = dist
            if dist.is_editable or dist.is_local_folder:
                for top, folder in dist.local_roots:
                    self.local_roots.setdefault(top, (folder, dist.name))
                continue
            for module in dist.modules:
                self._providers.setdefault(module, set()).add(dist.name)
            self._concrete |= dist.concrete

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> DistributionIndex:
        found = metadata.distributions(path=[str(p) for p in paths])
        read = (read_distribution(dist) for dist in found)  # type: ignore[arg-type]
        return cls(d for d in read if d is not None)

    def get(self, name: str) -> InstalledDistribution | None:
        return self.distributions.get(canonicalize_name(name))

    def deepest(self, module: str) -> str | None:
        """The longest prefix of `module` that some distribution provides."""
        parts = module.split(".")
        for depth in range(len(parts), 0, -1):
            prefix = ".".join(parts[:depth])
            if prefix in self._providers:
                return prefix
        return None

    def is_namespace(self, module: str) -> bool:
        """Whether `module` is installed only as a namespace (a folder with no __init__)."""
        return module in self._providers and module not in self._concrete

    def providers(self, module: str) -> list[InstalledDistribution]:
        """The distributions that provide `module` (several for a shared namespace)."""
        return [self.distributions[n] for n in sorted(self._providers.get(module, ()))]


def read_distribution(dist: metadata.Distribution) -> InstalledDistribution | None:
    meta: Message | None = dist.metadata
    raw_name = meta["Name"] if meta is not None else None
    if not raw_name:
        return None
    record = dist.read_text("RECORD") or ""
    rows = _record_rows(record)
    # plain strings: a PurePosixPath per RECORD row cost more than the rest of the
    # reading on a torch + transformers venv (tens of thousands of rows)
    names = [row[0] for row in rows]
    if not names:  # legacy egg-info: let importlib-metadata find installed-files.txt
        names = [PurePosixPath(str(f)).as_posix() for f in dist.files or []]
    location = Path(str(dist.locate_file("")))
    modules, concrete = _modules_from_record([tuple(n.split("/")) for n in names])
    if not names:
        modules = concrete = frozenset((dist.read_text("top_level.txt") or "").split())
    direct_url = _json(dist.read_text("direct_url.json"))
    wheel = Message()
    for line in (dist.read_text("WHEEL") or "").splitlines():
        key, _, value = line.partition(":")
        if value:
            wheel[key.strip()] = value.strip()
    return InstalledDistribution(
        name=canonicalize_name(raw_name),
        version=meta.get("Version") if meta is not None else None,
        requires=tuple(dist.requires or ()),
        provides_extras=tuple(meta.get_all("Provides-Extra") or ()) if meta is not None else (),
        modules=modules,
        direct_url=direct_url,
        wheel_tags=tuple(wheel.get_all("Tag") or ()),
        purelib=(wheel.get("Root-Is-Purelib", "").lower() == "true") if wheel.keys() else None,
        has_extensions=any(n.endswith((".so", ".pyd")) for n in names),
        local_roots=_local_roots(names, location, modules, direct_url),
        concrete=concrete,
        size=sum(int(row[2]) for row in rows if len(row) > 2 and row[2].isdigit())
        if rows else None,
        record=hashlib.sha256(record.encode()).hexdigest() if record else "",
    )


def _record_rows(text: str) -> list[list[str]]:
    """The rows of a RECORD's text (path, hash, size). `Distribution.files` would also
    stat every file, which costs more than the rest of an analysis on a large
    environment."""
    return [row for row in csv.reader(text.splitlines()) if row and row[0]]


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _modules_from_record(
    records: Iterable[tuple[str, ...]],
) -> tuple[frozenset[str], frozenset[str]]:
    """Every dotted prefix of every module file, and the modules that have code."""
    modules: set[str] = set()
    concrete: set[str] = set()
    for parts in records:
        if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        if parts[0] in {"..", "__pycache__"} or "__pycache__" in parts:
            continue
        stem, dot, _ = parts[-1].partition(".")
        if not dot or not parts[-1].endswith(_MODULE_SUFFIXES):
            continue
        names = [*parts[:-1], stem] if stem != "__init__" else list(parts[:-1])
        if not names or not all(n.isidentifier() for n in names):
            continue
        concrete.add(".".join(names))
        for depth in range(1, len(names) + 1):
            modules.add(".".join(names[:depth]))
    return frozenset(modules), frozenset(concrete)


def _local_roots(
    names: list[str],
    location: Path,
    modules: frozenset[str],
    direct_url: dict[str, Any] | None,
) -> tuple[tuple[str, Path], ...]:
    """Where the code of an editable or local-folder install really lives."""
    info = (direct_url or {}).get("dir_info")
    if info is None:
        return ()
    if not info.get("editable"):
        return tuple((m, location) for m in sorted(modules) if "." not in m)
    roots: dict[str, Path] = {}
    for record in map(PurePosixPath, names):
        file = location / record
        if record.name.endswith("_finder.py") and record.name.startswith("__editable__"):
            text = file.read_text(encoding="utf-8") if file.is_file() else ""
            for top, target in _finder_mapping(text).items():
                roots[top] = Path(target).parent
        elif record.suffix == ".pth" and file.is_file():
            for line in file.read_text(encoding="utf-8").splitlines():
                folder = Path(line.strip())
                if line.strip() and not line.startswith(("import ", "#")) and folder.is_dir():
                    for top in _top_level_names(folder):
                        roots.setdefault(top, folder)
    return tuple(sorted(roots.items()))


def _finder_mapping(text: str) -> dict[str, str]:
    match = _MAPPING.search(text)
    if match is None:
        return {}
    try:
        value = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _top_level_names(folder: Path) -> list[str]:
    names = []
    for child in sorted(folder.iterdir()):
        if child.suffix == ".py" and child.stem.isidentifier():
            names.append(child.stem)
        elif child.is_dir() and child.name.isidentifier() and (child / "__init__.py").exists():
            names.append(child.name)
    return names
