"""Where jobpack keeps its caches (overridable with JOBPACK_CACHE_DIR)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$JOBPACK_CACHE_DIR`, else the platform's user cache folder for jobpack."""
    override = os.environ.get("JOBPACK_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("jobpack", appauthor=False))
