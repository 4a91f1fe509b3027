"""Where the target's wheels for the pins live: one `pip install --dry-run --report` call.

pip picks, for every pin, the wheel a Linux x86_64 machine with the target CPython would
install, and reports its URL and sha256 without installing anything (and, where the index
serves wheel metadata separately, without downloading the wheels). That is what a lock
file needs to name its wheels.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from packaging.utils import canonicalize_name

from jobpack.errors import WheelDownloadError
from jobpack.formats.pylock import LockedWheel
from jobpack.manifest import Manifest, archive_sha256
from jobpack.packager.pip import pip_error, run_pip, target_pip


def locate_wheels(manifest: Manifest, *, find_links: tuple[str, ...] = (),
                  no_index: bool = False) -> list[LockedWheel]:
    """The target's wheel (file name, URL, sha256) for every pin with a version."""
    pins = [f"{r.name}=={r.version}" for r in manifest.installed if r.version and not r.url]
    if not pins:
        return []
    with tempfile.TemporaryDirectory(prefix="jobpack-locate-") as folder:
        requirements = Path(folder) / "pins.txt"
        requirements.write_text("".join(pin + "\n" for pin in pins), encoding="utf-8")
        report = Path(folder) / "report.json"
        command = [*target_pip("install", manifest.target, manifest.pip,
                               find_links=find_links, no_index=no_index),
                   "--dry-run", "--ignore-installed", "--target", str(Path(folder) / "target"),
                   "--report", str(report), "-r", str(requirements)]
        completed = run_pip(command)
        if completed.returncode != 0:
            raise WheelDownloadError("pip could not find the target's wheels: "
                                     + pip_error(completed))
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return [wheel for item in data.get("install", []) if (wheel := _wheel(item)) is not None]


def _wheel(item: dict[str, Any]) -> LockedWheel | None:
    info = item.get("download_info") or {}
    url = str(info.get("url", ""))
    digest = archive_sha256(info.get("archive_info"))
    if not url.endswith(".whl") or not digest:
        return None
    name = canonicalize_name(str(item.get("metadata", {}).get("name", "")))
    filename = unquote(url.rsplit("/", 1)[-1].split("#", maxsplit=1)[0])
    return LockedWheel(name=name, filename=filename, sha256=digest, url=url)
