"""The analysed interpreter's answer to the probe, kept while nothing it depends on changed.

Running the probe starts the interpreter with its `site` (a torch venv's `.pth` files
import modules): 0.03 s of CPU and 0.05 to 0.15 s of wall time of every analysis and
rebuild (#23's rebuild of the torch job in under a second). The answer depends on the
interpreter (its path, and the binary and `pyvenv.cfg` it runs with), the `PYTHON*`
variables and `HOME` (the user site folder), and what the folders on its `sys.path` hold
(a `.pth` file adds a folder): the key covers the first, and the answer is reused only
while `environment_state` of those folders, and of the user site folder whether it exists
or not, is the one seen when it was given. An interpreter named without a path (found on
`PATH`) is probed every time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from jobpack import cache_prune
from jobpack.analyzer.pins.env_state import environment_state
from jobpack.publish import write_cache_file

SCHEMA = 1  # bump when the probe's answer changes shape


class ProbeCache:
    """The cached answer of one interpreter, in `folder` (None: no cache)."""

    def __init__(self, folder: Path | None, executable: str, env: dict[str, str]) -> None:
        key = _key(executable, env) if folder is not None and os.sep in executable else None
        self.file = folder / "probes" / f"v{SCHEMA}" / f"{key}.json" \
            if folder is not None and key else None

    def answer(self) -> dict[str, Any] | None:
        """The answer given before, if what it depends on is unchanged."""
        if self.file is None:
            return None
        try:
            said = json.loads(self.file.read_bytes())
            answer: dict[str, Any] = said["answer"]
            if said["state"] == _state(answer):
                cache_prune.mark_used(self.file)  # pruned by last use, as every cache
                return answer
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or damaged: probed again and written afresh
        return None

    def remember(self, answer: dict[str, Any]) -> None:
        if self.file is not None:
            write_cache_file(self.file, json.dumps({"answer": answer,
                                                    "state": _state(answer)}).encode())
            # one answer per interpreter and environment: every venv ever analysed, and
            # every change of a `PYTHON*` variable, leaves one behind
            cache_prune.now_and_then(self.file.parent, cache_prune.PROBES_BYTES)


def _state(answer: dict[str, Any]) -> str:
    folders = [Path(p) for p in answer["path"]]
    if answer.get("user_site"):
        folders.append(Path(answer["user_site"]))
    return environment_state(folders)


def _key(executable: str, env: dict[str, str]) -> str | None:
    digest = hashlib.sha256(f"probe/{SCHEMA}\0{executable}\0".encode())
    here = Path(executable)
    try:
        for path in (here, here.resolve()):
            info = path.stat()
            digest.update(f"{info.st_ino} {info.st_size} {info.st_mtime_ns}\0".encode())
    except OSError:
        return None  # it cannot run either: the probe says so
    for config in (here.parent / "pyvenv.cfg", here.parent.parent / "pyvenv.cfg"):
        try:
            info = config.stat()
            digest.update(f"{config} {info.st_size} {info.st_mtime_ns}\0".encode())
        except OSError:
            digest.update(f"{config} missing\0".encode())
    for name in sorted(env):
        if name.startswith("PYTHON") or name == "HOME":
            digest.update(f"{name}={env[name]}\0".encode())
    return digest.hexdigest()
