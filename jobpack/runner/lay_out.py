"""`python3 job.zip --unpack DIR` (and `jobpack unpack ARCHIVE DIR`): the whole archive
laid out as files, its zip's members AND its dependency layers' (`wheels/...`,
`bytecode/...`), so what names them by relative path finds them: the archive's
`pylock.toml` (PEP 751 paths are relative to the lock file), `pip install --no-index
--find-links DIR/wheels`, or a person reading the code. Extracting the zip alone cannot
do that: the layers lie before it (or travel apart), and a zip tool sees only the zip.

Nothing is trusted unchecked: the zip's members are verified and re-hashed as `unpack`
does for a run, each layer's sha256 is checked before a member is read from it, and every
member written is re-hashed against its record.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from jobpack.layout import MANIFEST_NAME, FileRecord

from .errors import RunnerError, UnsafeMember
from .layers import Layers
from .progress import Phase, say
from .unpack import copy_checked, inside, unpack
from .verify import read_spec


def lay_out(archive: Path, into: Path, folders: list[Path]) -> int:
    """Write every member of `archive` (zip and layers) under `into`, which must be empty
    or absent; `folders`: where layers sent apart are looked for. Returns the count."""
    _empty_folder(into)
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
        manifest = opened.read(MANIFEST_NAME)
    unpack(archive, into, spec)
    (into / MANIFEST_NAME).write_bytes(manifest)
    with tempfile.TemporaryDirectory(prefix="jobpack-layers-") as scratch:
        layers = Layers(archive, spec, folders, Path(scratch))
        layers.check()
        records = sorted(layers.members.items())
        total = sum(record.size for _, (_, record) in records)
        root = os.path.realpath(into)
        with Phase(f"laying out {len(records)} files of the dependency layers", total):
            for name, (_, record) in records:
                target = into.joinpath(*PurePosixPath(name).parts)
                if not inside(str(target.parent), root):
                    raise UnsafeMember(name, "path leaves the folder")
                _copy(layers, record, target)
    count = len(spec.files) + 1 + len(records)
    say(f"unpacked {count} files into {into}")
    return count


def _empty_folder(into: Path) -> None:
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise RunnerError(f"{into}: not an empty folder")
    into.mkdir(parents=True, exist_ok=True)


def _copy(layers: Layers, record: FileRecord, target: Path) -> None:
    """One member of a checked layer to `target` (which must not exist), re-hashed."""
    with layers.open(record.path) as source:
        copy_checked(source, record, target)
    target.chmod(0o644)
