"""Dependency layers: where each one is, checked once, and its members read in place.

An archive is `LAYER... ZIP`: the dependency layers (stored zips of wheels and their
bytecode, ZIP64 when big) lie before the small zip that holds `__main__.py`, the runner,
`jobpack.json` and the job's files. `zipimport` and `zipfile` find that zip from its end,
whatever comes before it, so `python3 job.zip` runs on every Python 3.8+ however big the
layers are. A layer the archive does not carry (sent apart, as a Ray package) is the file
`jobpack-layer-SHA256.zip` in a folder of `--layers` / `$JOBPACK_LAYERS`, or beside the
archive; one sent in parts (`parts.py`) is joined into the run's `scratch` folder first.
Each layer's sha256 is checked before a member of it is used.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from jobpack.layout import LayerRecord, RunSpec, hash_stream, inline_layers, zip_start

from .errors import RunnerError, UnsafeMember
from .parts import find_parts, join_parts
from .progress import Phase


class Slice(io.RawIOBase):
    """A read-only, seekable view of `size` bytes of a file from `start`: a layer inside
    an archive, or a stored member inside a layer, read in place without a copy."""

    def __init__(self, path: str, start: int, size: int) -> None:
        super().__init__()
        # unbuffered: readinto fills the caller's buffer straight from the file
        self._handle = Path(path).open("rb", buffering=0)  # noqa: SIM115 - closed by close()
        self.path, self.start, self.size, self._pos = path, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), max(self.size - self._pos, 0))
        if wanted == 0:
            return 0
        self._handle.seek(self.start + self._pos)
        count = self._handle.readinto(memoryview(buffer)[:wanted]) or 0
        self._pos += count
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()


def search_folders(archive: Path, given: str | None) -> list[Path]:
    """Where layers the archive does not carry are looked for, in order."""
    text = given if given is not None else os.environ.get("JOBPACK_LAYERS", "")
    folders = [Path(part) for part in text.split(os.pathsep) if part]
    return [*folders, archive.parent]


class Layers:
    """The spec's dependency layers, found and checked on first use."""

    def __init__(self, archive: Path, spec: RunSpec, folders: list[Path],
                 scratch: Path | None = None) -> None:
        self.archive, self.spec, self.folders = archive, spec, folders
        self.scratch = scratch  # where a layer sent in parts is joined
        self.members = spec.layer_files()
        self._where: dict[str, tuple[str, int]] = {}  # every layer as (file, offset)
        self._checked: dict[str, tuple[str, int]] = {}  # those whose sha256 matched

    def locate(self) -> dict[str, tuple[str, int]]:
        """Every layer as (file, offset); raises naming the first one not found."""
        prefix = zip_start(self.archive)
        inline = inline_layers(self.spec.layers, prefix)
        if inline is None:
            raise RunnerError(f"{self.archive}: the {prefix} bytes before the archive's zip "
                              "are not its layers (truncated or damaged?)")
        found = {}
        for layer in self.spec.layers:
            if layer.sha256 in inline:
                found[layer.sha256] = (str(self.archive), inline[layer.sha256])
            else:
                found[layer.sha256] = (self._find(layer), 0)
        return found

    def _find(self, layer: LayerRecord) -> str:
        for folder in self.folders:
            candidate = folder / layer.file_name
            if candidate.is_file() and candidate.stat().st_size == layer.size:
                return str(candidate)
        parts = find_parts(layer, self.folders)
        if parts and self.scratch is not None:
            joined = str(join_parts(layer, parts, self.scratch))
            self._checked[layer.sha256] = (joined, 0)  # its sha256 was checked joining it
            return joined
        if parts:
            raise RunnerError(f"dependency layer {layer.file_name} travels in parts, and "
                              "this command has no work folder to join them in")
        raise RunnerError(f"dependency layer {layer.file_name} ({layer.size} bytes) is not "
                          f"in the archive nor in {', '.join(map(str, self.folders))}")

    def check(self, only: LayerRecord | None = None) -> None:
        """Find every layer and check the sha256 of each (or of `only`) not checked yet:
        one read of each, memory bounded."""
        wanted = [layer for layer in self.spec.layers if layer.sha256 not in self._checked
                  and (only is None or layer.sha256 == only.sha256)]
        if not wanted:
            return
        self._where = self._where or self.locate()
        wanted = [layer for layer in wanted if layer.sha256 not in self._checked]
        if not wanted:
            return
        total = sum(layer.size for layer in wanted)
        plural = "s" if len(wanted) != 1 else ""
        with Phase(f"checking {len(wanted)} dependency layer{plural}", total):
            for layer in wanted:
                path, start = self._where[layer.sha256]
                with Slice(path, start, layer.size) as view:
                    digest, _ = hash_stream(view)  # type: ignore[arg-type]
                if digest != layer.sha256:
                    raise UnsafeMember(layer.file_name, "sha256 differs from the manifest")
                self._checked[layer.sha256] = (path, start)

    def open(self, name: str) -> BinaryIO:
        """A member of a checked layer (a wheel, its bytecode), read in place. Its layer
        is checked first unless it was (by `check()` before the install workers fork; an
        optional install checks the one layer it reads)."""
        if name not in self.members:
            raise RunnerError(f"bundled file {name!r} is in no dependency layer")
        layer, record = self.members[name]
        self.check(layer)
        path, start = self._checked[layer.sha256]
        with Slice(path, start, layer.size) as view, \
                zipfile.ZipFile(view) as opened:
            info = opened.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != record.size:
            raise UnsafeMember(name, "not a stored member of the size the manifest says")
        return Slice(path, _data_start(path, start + info.header_offset),
                     info.file_size)  # type: ignore[return-value]


def _data_start(path: str, header: int) -> int:
    """Where a stored member's data starts in the file: past its local header."""
    with Path(path).open("rb") as handle:
        handle.seek(header)
        fixed = handle.read(30)
    if len(fixed) < 30 or fixed[:4] != b"PK\x03\x04":
        raise RunnerError(f"{path}: a layer's member header is damaged")
    name_length, extra_length = struct.unpack("<HH", fixed[26:30])
    return header + 30 + int(name_length) + int(extra_length)
