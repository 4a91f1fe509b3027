"""A stand-in for the runner's `Layers` reader: archive members served from files."""

from __future__ import annotations

from pathlib import Path
from typing import IO


class Members:
    """`check` passes, `open(name)` opens the file given for that member."""

    def __init__(self, members: dict[str, Path]) -> None:
        self.members = members

    def check(self) -> None:
        pass

    def open(self, name: str) -> IO[bytes]:
        return self.members[name].open("rb")
