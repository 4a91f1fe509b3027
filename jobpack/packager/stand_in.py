"""Stand-in wheels: a name and a version, nothing else, for resolving against an image.

When the image provides a distribution (`--provided`), the bundled wheels must still be
proved to install offline: pip has to find something that satisfies `accelerate`'s
`torch>=2.0` without a 800 MB torch wheel. A stand-in of the image's version does, and it
never leaves the proof's temporary folder.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_stand_in(folder: Path, name: str, version: str) -> Path:
    """Write `NAME-VERSION-py3-none-any.whl` holding only its metadata; return its path."""
    stem = canonicalize_name(name).replace("-", "_")
    dist_info = f"{stem}-{version}.dist-info"
    files = {
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: jobpack\n"
                              "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={_digest(text.encode())},{len(text.encode())}"
              for path, text in files.items()]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = folder / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(path, _EPOCH), text)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
