"""Where jobpack keeps its caches."""

from __future__ import annotations

from pathlib import Path


def cache_dir(override: str | None = None) -> Path:
    """`override` (the CLI passes `$JOBPACK_CACHE_DIR`), else the platform's user cache
    folder for jobpack."""
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("jobpack", appauthor=False))
