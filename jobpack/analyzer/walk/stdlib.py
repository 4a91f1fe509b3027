"""Standard-library membership for the target Python version."""

from __future__ import annotations

from functools import cache

from stdlib_list import stdlib_list

from jobpack.target import Target

# Built into every CPython: found before sys.path, so a local file never shadows them.
BUILTIN = frozenset(
    {"sys", "builtins", "_imp", "_io", "_thread", "_warnings", "_weakref", "marshal", "posix"}
)


@cache
def _top_level_names(version: str) -> frozenset[str]:
    names = {name.partition(".")[0] for name in stdlib_list(version)}
    return frozenset(names | {"__future__", "__main__"} | BUILTIN)


def is_stdlib(module: str, target: Target) -> bool:
    """Whether the top-level package of `module` ships with the target's Python."""
    version = target.python
    try:
        names = _top_level_names(version)
    except ValueError:  # a version stdlib-list does not know yet: take the newest it knows
        names = _top_level_names("3.14")
    return module.partition(".")[0] in names
