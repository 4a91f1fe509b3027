"""Check that an archive's shipped bytecode was used by Python as it is."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def shipped_bytecode_used_as_is(archive: Path, envs: Path) -> int:
    """How many .pyc files `archive` ships; after a run, each must lie in the environment
    the runner built under `envs`, unchanged: Python rewrites a .pyc it cannot use (and
    its own would name the source's full path, so the bytes would differ)."""
    shipped: dict[str, bytes] = {}
    with zipfile.ZipFile(archive) as outer:
        for name in outer.namelist():
            if name.startswith("bytecode/"):
                with zipfile.ZipFile(io.BytesIO(outer.read(name))) as inner:
                    shipped.update({n: inner.read(n) for n in inner.namelist()})
    [env] = [p for p in envs.iterdir() if p.is_dir()]
    site = next(env.glob("lib/python*/site-packages"))
    for rel, data in shipped.items():
        assert (site / rel).read_bytes() == data, rel
    return len(shipped)
