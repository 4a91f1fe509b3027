"""Check that an archive's shipped bytecode was used by Python as it is."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from jobpack.runner.layers import Layers
from jobpack.runner.verify import read_spec


def layer_member(archive: Path, name: str) -> bytes:
    """A member of one of the archive's dependency layers (a wheel, a bytecode zip)."""
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    with Layers(archive, spec, []).open(name) as handle:
        return handle.read()


def layer_names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        return sorted(read_spec(opened).layer_files())


def shipped_bytecode_used_as_is(archive: Path, envs: Path) -> int:
    """How many .pyc files `archive` ships; after a run, each must lie in the environment
    the runner built under `envs`, unchanged: Python rewrites a .pyc it cannot use (and
    its own would name the source's full path, so the bytes would differ)."""
    shipped: dict[str, bytes] = {}
    for name in layer_names(archive):
        if name.startswith("bytecode/"):
            with zipfile.ZipFile(io.BytesIO(layer_member(archive, name))) as inner:
                shipped.update({n: inner.read(n) for n in inner.namelist()})
    [env] = [p for p in envs.iterdir() if p.is_dir()]
    site = next(env.glob("lib/python*/site-packages"))
    for rel, data in shipped.items():
        assert (site / rel).read_bytes() == data, rel
    return len(shipped)
