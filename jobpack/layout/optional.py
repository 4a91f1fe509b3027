"""The optional tier: the distributions the runner installs only when the job first
imports one of them (`optional` in `jobpack.json`), and the spec of one run that the
runner writes for its import hook (`OptionalSpec`).

The runner copies this module and `fields.py` into the job's environment beside the hook
(`_jobpack_layout/`), so the hook reads its spec with this one definition too: keep both
free of the other layout modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fields import field, names, optional, strings

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class OptionalRecord:
    """A distribution of the optional tier (`optional` in `jobpack.json`): the runner
    installs it only when the job first imports one of its `top_level` modules, from the
    bundled `wheel` member when there is one, else with pip from `line`; the optional
    distributions it `requires` come with it."""

    name: str  # canonical
    version: str
    line: str  # its requirements-file line, for pip
    top_level: tuple[str, ...]
    requires: tuple[str, ...] = ()
    wheel: str | None = None  # WHEEL_PREFIX + file name, when bundled

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name, "requires": list(self.requires),
                "top_level": list(self.top_level), "version": self.version,
                "wheel": self.wheel}

    @classmethod
    def from_dict(cls, data: Any) -> OptionalRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        wheel = data.get("wheel") if isinstance(data, dict) else None
        if wheel is not None and not isinstance(wheel, str):
            raise ValueError(f"'wheel' must be a str or null in {data!r}")
        return cls(field(data, "name", str), field(data, "version", str),
                   field(data, "line", str), names(data, "top_level"),
                   names(data, "requires"), wheel)




def closure(records: Mapping[str, OptionalRecord], name: str) -> list[str]:
    """`name` and the optional distributions it requires, transitively, in the order
    found; names that are not among `records` are left out."""
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in records and current not in seen:
            seen.append(current)
            todo.extend(records[current].requires)
    return seen


@dataclass(frozen=True)
class OptionalSpec:
    """What the runner hands its import hook for one run, in a file the variable
    `JOBPACK_OPTIONAL` names: the archive and the interpreter that install a distribution
    (`python ARCHIVE --install-optional NAME`), where each gets its folder, and how."""

    archive: str
    python: str  # the runner's interpreter (not the environment's)
    root: str  # one folder per installed distribution: NAME-VERSION
    distributions: tuple[OptionalRecord, ...]
    offline: bool = False
    pip_options: tuple[str, ...] = ()
    layer_folders: str = ""  # as `--layers` takes them (os.pathsep between)
    scripts_python: str = ""  # the environment's python, for console scripts' shebangs

    def to_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "python": self.python, "root": self.root,
                "offline": self.offline, "pip_options": list(self.pip_options),
                "layer_folders": self.layer_folders, "scripts_python": self.scripts_python,
                "distributions": {r.name: r.to_dict() for r in self.distributions}}

    @classmethod
    def from_dict(cls, data: Any) -> OptionalSpec:
        """Raises ValueError naming the key that is missing or of the wrong type."""
        entries = optional(data, "distributions", dict, {})
        return cls(field(data, "archive", str), field(data, "python", str),
                   field(data, "root", str),
                   tuple(OptionalRecord.from_dict(entries[n]) for n in sorted(entries)),
                   optional(data, "offline", bool, False), strings(data, "pip_options"),
                   optional(data, "layer_folders", str, ""),
                   optional(data, "scripts_python", str, ""))

    def by_name(self) -> dict[str, OptionalRecord]:
        return {r.name: r for r in self.distributions}

    def by_module(self) -> dict[str, str]:
        """Each top-level module's distribution (the first by name, when two claim it)."""
        found: dict[str, str] = {}
        for record in sorted(self.distributions, key=lambda r: r.name):
            for module in record.top_level:
                found.setdefault(module, record.name)
        return found

    def folder(self, name: str) -> str:
        """Where the distribution `name` is installed."""
        return os.path.join(self.root, f"{name}-{self.by_name()[name].version}")
