"""Every pylock.toml jobpack writes is checked the way its readers check it: TOML
(`tomllib`) and PEP 751 (`packaging.pylock`, packaging >= 25)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dependency jobpack itself uses there
    import tomli as tomllib

from packaging.pylock import Pylock


def valid_pylock(text: str) -> Pylock:
    """`text` read as a PEP 751 lock file; raises when it is not valid TOML or not a
    valid lock file."""
    return Pylock.from_dict(tomllib.loads(text))


def check_pylocks_under(folder: Path) -> list[str]:
    """Check every pylock.toml under `folder`, as a file (`pylock.toml`, `pylock.*.toml`)
    or as a member of a zip (an archive jobpack built); return where each was found.
    Raises on the first that is not a valid lock file, naming it."""
    found = []
    for parent, _, names in os.walk(folder):
        for name in sorted(names):
            path = Path(parent, name)
            if not path.is_file():  # a hostile case's FIFO named x.zip: opening it blocks
                continue
            if name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")):
                found += _checked(str(path), path.read_text(encoding="utf-8"))
            elif name.endswith(".zip") and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        if member.rsplit("/", 1)[-1] == "pylock.toml":
                            text = archive.read(member).decode("utf-8")
                            found += _checked(f"{path}:{member}", text)
    return found


def _checked(where: str, text: str) -> list[str]:
    try:
        valid_pylock(text)
    except Exception as exc:
        raise AssertionError(f"{where}: not a valid pylock.toml: {exc}") from exc
    return [where]
