"""Dependency layers: what each is (`layers` in `jobpack.json`) and where the layers an
archive carries lie, right before its own zip."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import Any

from .fields import field, records
from .names import LAYER_FILE
from .records import FileRecord


@dataclass(frozen=True)
class LayerRecord:
    """A dependency layer: a stored zip (ZIP64 when it must be) of wheels and their
    bytecode, named by its sha256; its members are `files` (names unique across layers)."""

    sha256: str
    size: int
    files: tuple[FileRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "sha256": self.sha256,
                "size": self.size}

    @classmethod
    def from_dict(cls, data: Any) -> LayerRecord:
        return cls(field(data, "sha256", str), field(data, "size", int),
                   records(data, "files", FileRecord.from_dict))

    @property
    def file_name(self) -> str:
        return LAYER_FILE.format(sha256=self.sha256)



def inline_layers(layers: tuple[LayerRecord, ...], prefix: int
                  ) -> dict[str, int] | None:
    """Where the layers carried inside an archive start, by sha256: they lie right before
    its zip, in order, and the archive carries the LAST of them (all, or none when they
    travel apart, as Ray packages). None when `prefix` bytes hold no such suffix."""
    offsets: dict[str, int] = {}
    end = prefix
    for layer in reversed(layers):
        if end == 0:
            break
        end -= layer.size
        if end < 0:
            return None
        offsets[layer.sha256] = end
    return offsets if end == 0 else None


def zip_start(path: str | os.PathLike[str]) -> int:
    """Where an archive's own zip starts: the bytes before it are the layers it carries.
    (zipfile adds that offset to every member's header offset; jobpack writes the first
    member at the zip's offset 0.)"""
    with zipfile.ZipFile(path) as archive:
        return min((info.header_offset for info in archive.infolist()), default=0)
