"""The optional tier: the distributions the runner installs only when the job first
imports one of them (`optional` in `jobpack.json`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import field, names


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


