"""Every pylock.toml jobpack writes is checked the way its readers check it: TOML
(`tomllib`) and PEP 751 (`packaging.pylock`, packaging >= 25)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dependency jobpack itself uses there
    import tomli as tomllib

from packaging.pylock import Pylock


def valid_pylock(text: str) -> Pylock:
    """`text` read as a PEP 751 lock file; raises when it is not valid TOML or not a
    valid lock file."""
    return Pylock.from_dict(tomllib.loads(text))
