"""The records the packager writes into `jobpack.json` and the runner reads back: each
member (`files`), each bundled wheel (`wheels`), each pin pip installs (`install`), each
input and output of the job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import field, optional


@dataclass(frozen=True)
class FileRecord:
    """One member of the archive (every member but the manifest): path, sha256, size."""

    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_dict(cls, data: Any) -> FileRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        return cls(field(data, "path", str), field(data, "sha256", str),
                   field(data, "size", int))


@dataclass(frozen=True)
class WheelRecord:
    """A bundled wheel: the distribution's name, its member name, its sha256, and the
    member holding the bytecode compiled from it, if any (see `bytecode_member`)."""

    name: str
    file: str  # WHEEL_PREFIX + the wheel's file name
    sha256: str
    bytecode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"file": self.file, "name": self.name, "sha256": self.sha256}
        if self.bytecode is not None:
            data["bytecode"] = self.bytecode
        return data

    @classmethod
    def from_dict(cls, data: Any) -> WheelRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        bytecode = field(data, "bytecode", str) if "bytecode" in data else None
        return cls(field(data, "name", str), field(data, "file", str),
                   field(data, "sha256", str), bytecode)

    @property
    def filename(self) -> str:
        return self.file.rsplit("/", 1)[-1]




@dataclass(frozen=True)
class PinRecord:
    """A pinned requirement as the runner hands it to pip when no wheel of it is bundled."""

    name: str  # canonical
    line: str  # a requirements-file line

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name}

    @classmethod
    def from_dict(cls, data: Any) -> PinRecord:
        return cls(field(data, "name", str), field(data, "line", str))


@dataclass(frozen=True)
class DataRecord:
    """An input or output of the job, at its path under `src/`, maybe bound to `${VAR}`."""

    path: str
    var: str | None = None
    folder: bool = False  # an output folder, created empty before the job starts

    @classmethod
    def from_dict(cls, data: Any) -> DataRecord:
        return cls(field(data, "path", str), optional(data, "var", str, None),
                   optional(data, "folder", bool, False))
