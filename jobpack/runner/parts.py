"""A dependency layer that travelled in parts (`LAYER_PART` files: a Ray package holds at
most 100 MiB), joined back into the layer before use.

The parts are found by name in the folders searched for layers sent apart (each Ray
package is unpacked into a folder of its own); they are joined in index order into a work
folder, and the result is trusted only when its sha256 is the layer's: a missing,
repeated, damaged or foreign part is refused, naming the layer.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from jobpack.layout import CHUNK, LAYER_PART, LayerRecord

from .errors import RunnerError, UnsafeMember
from .progress import Phase

_PART = re.compile(r"jobpack-layer-[0-9a-f]{64}\.part(\d{4})of(\d{4})")


def find_parts(layer: LayerRecord, folders: list[Path]) -> list[Path]:
    """The layer's parts in index order; [] when none is there, an error when some are
    missing or they disagree on their count."""
    found: dict[int, Path] = {}
    counts: set[int] = set()
    stem = LAYER_PART.partition("{index")[0].format(sha256=layer.sha256)
    for folder in folders:
        for path in sorted(folder.glob(f"{stem}*")) if folder.is_dir() else ():
            match = _PART.fullmatch(path.name)
            if match is not None and path.is_file():
                found.setdefault(int(match.group(1)), path)
                counts.add(int(match.group(2)))
    if not found:
        return []
    count = max(counts)
    missing = [index for index in range(1, count + 1) if index not in found]
    if missing or len(counts) != 1:
        raise RunnerError(f"dependency layer {layer.file_name} travels in {count} parts; "
                          f"part {missing[0] if missing else count} is not in "
                          f"{', '.join(map(str, folders))}")
    return [found[index] for index in range(1, count + 1)]


def join_parts(layer: LayerRecord, parts: list[Path], into: Path) -> Path:
    """The layer rebuilt from its parts as `into/LAYER_FILE`, its sha256 checked while it
    is written (published by rename only when it matches)."""
    total = sum(part.stat().st_size for part in parts)
    if total != layer.size:
        raise UnsafeMember(layer.file_name, f"its {len(parts)} parts hold {total} bytes, "
                           f"not the {layer.size} the manifest says")
    into.mkdir(parents=True, exist_ok=True)
    target = into / layer.file_name
    partial = into / f"{layer.file_name}.{os.getpid()}.partial"
    with Phase(f"joining dependency layer {layer.sha256[:12]} from {len(parts)} parts",
               layer.size):
        try:
            _write_joined(layer, parts, partial)
            partial.replace(target)
        finally:
            if partial.exists():
                partial.unlink()
    return target


def _write_joined(layer: LayerRecord, parts: list[Path], partial: Path) -> None:
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)  # one buffer, filled in place: memory bounded
    view = memoryview(buffer)
    with partial.open("xb") as sink:
        for part in parts:
            with part.open("rb", buffering=0) as source:
                while True:
                    count = source.readinto(buffer)
                    if not count:
                        break
                    digest.update(view[:count])
                    sink.write(view[:count])
    if digest.hexdigest() != layer.sha256:
        raise UnsafeMember(layer.file_name, "its parts joined: sha256 differs from the "
                           "manifest")
