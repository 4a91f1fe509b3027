"""Sizes as people write and read them. One parser for the runner's `--env-cache-max` and
a cluster job's `--memory` (`512M`, `4GiB`, `1.5T`, bytes; binary units, 1G is 1024**3),
and one unit for showing them: decimal megabytes (MB, 10**6 bytes) everywhere."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
MB = 1_000_000


def parse_size(text: str) -> int:
    """Bytes in '512M', '4GiB', '2g' or '1048576'; raises ValueError for anything else."""
    match = _SIZE.match(text)
    if match is None or (match.group(3) and not match.group(2) and match.group(3) != "b"):
        raise ValueError(f"not a size: {text!r} (use e.g. 512M, 4G, 4GiB or bytes)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def megabytes(size: float, digits: int = 1) -> str:
    """`size` bytes in the one unit sizes are shown in: `140.1 MB` (decimal)."""
    return f"{size / MB:.{digits}f} MB"


def human_size(size: float) -> str:
    """`512 B`, `12.3 kB`, `140.1 MB`: decimal units, as `megabytes` shows them."""
    if size < 1000:
        return f"{size:.0f} B"
    if size < MB:
        return f"{size / 1000:.1f} kB"
    return megabytes(size)
