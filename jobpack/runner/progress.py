"""One line per phase on stderr, so a long first run is never silent; stdout is the job's."""

from __future__ import annotations

import sys
import time


def say(message: str) -> None:
    print(f"jobpack: {message}", file=sys.stderr, flush=True)


class Phase:
    """`with Phase("unpacking 12 files", size): ...` says what starts (with its size), then
    how long it took and at what throughput."""

    def __init__(self, what: str, size: int = 0) -> None:
        self.what = what
        self.size = size
        self.start = 0.0

    def __enter__(self) -> Phase:
        megabytes = f" ({self.size / 1e6:.1f} MB)" if self.size else ""
        say(f"{self.what}{megabytes}...")
        self.start = time.monotonic()
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            return
        seconds = max(time.monotonic() - self.start, 1e-6)
        rate = f", {self.size / seconds / 1e6:.0f} MB/s" if self.size else ""
        say(f"{self.what}: done in {seconds:.2f} s{rate}")
