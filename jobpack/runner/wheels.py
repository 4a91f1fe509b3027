"""Install the bundled wheels on every core: the work is dealt in pieces of about equal
size, a big wheel's files split across the workers (each opens the same wheel in place).

Dealing whole wheels left one core idle on a job whose one wheel is most of the bytes
(torch: 192 of 219 MB), so a wheel bigger than an even share of the work is installed in
parts (`members.deal`), at once by several workers; the parent then checks that no two
parts wrote one path and writes the wheel's `RECORD` from all of them. Which wheel wrote
which path is checked across every piece, whichever process installed it.
"""

from __future__ import annotations

import math
import platform
import sys
from collections.abc import Callable, Iterator
from typing import IO, NamedTuple

from jobpack.layout import WheelRecord, bytecode_tag
from jobpack.publish import usable_cores
from jobpack.wheelset import Listing, WheelSetError, check_wheel_set, linux_accepts

from .errors import RunnerError
from .install import Installer, Part, Scheme
from .processes import map_in_processes
from .progress import Phase

PARALLEL_BYTES = 16 * 1024 * 1024  # less than this installs faster than processes start
PIECE_BYTES = 8 * 1024 * 1024  # no smaller parts: each one reads the wheel's listing again


class Piece(NamedTuple):
    wheel: WheelRecord
    part: int
    parts: int
    size: int  # about the bytes this piece reads


def pieces(wheels: list[WheelRecord], sizes: dict[str, int], workers: int) -> list[Piece]:
    """The work, biggest piece first: a wheel over half a worker's even share is split
    into up to `workers` parts (torch on two cores: two parts of 96 MB)."""
    total = sum(sizes.get(w.file, 0) for w in wheels)
    share = max(total / max(2 * workers, 1), PIECE_BYTES)
    found = []
    for wheel in wheels:
        size = sizes.get(wheel.file, 0)
        parts = max(1, min(workers, math.ceil(size / share))) if workers > 1 else 1
        found += [Piece(wheel, part, parts, size // parts) for part in range(parts)]
    return sorted(found, key=lambda p: (-p.size, p.wheel.file, p.part))


def install_wheels(wheels: list[WheelRecord], scheme: Scheme,
                   open_member: Callable[[str], IO[bytes]], sizes: dict[str, int],
                   workers: int | None = None) -> None:
    """Install the wheels on one process per core (up to four; `workers` to choose)
    when there is enough to share: inflating and writing files halves on two cores."""
    total = sum(sizes.get(w.file, 0) for w in wheels)
    if workers is None:
        workers = min(4, usable_cores()) if total >= PARALLEL_BYTES else 1

    def install(piece: Piece) -> Part:
        with open_member(piece.wheel.file) as source:
            bytecode = _open_bytecode(piece.wheel, open_member) if piece.part == 0 else None
            try:
                return Installer(scheme).install_part(
                    source, piece.wheel.filename, bytecode, piece.part, piece.parts,
                    listings.get(piece.wheel.filename))
            finally:
                if bytecode is not None:
                    bytecode.close()

    listings = _check_set(wheels, open_member)  # read once; the workers fork with them
    work = pieces(wheels, sizes, workers)
    with Phase(f"installing {len(wheels)} wheels", total):
        installer = Installer(scheme)
        split: dict[str, list[Part]] = {}
        results = map_in_processes(install, work, workers)
        for piece, done in ((work[i], results[i]) for i in range(len(work))):
            if piece.parts == 1:
                installer.merge(done.claims)
            else:
                split.setdefault(piece.wheel.file, []).append(done)
        for name in sorted(split):
            installer.finish(split[name])


def _open_bytecode(wheel: WheelRecord, open_member: Callable[[str], IO[bytes]]
                   ) -> IO[bytes] | None:
    # compiled for another Python (--allow-python-mismatch): it would never be read
    if wheel.bytecode is None or bytecode_tag(wheel.bytecode) != sys.implementation.cache_tag:
        return None
    return open_member(wheel.bytecode)


def _check_set(wheels: list[WheelRecord], open_member: Callable[[str], IO[bytes]]
               ) -> dict[str, Listing]:
    """The wheel-set check the packager ran at build time (`jobpack.wheelset`), again
    here before a file is written: an archive built otherwise is refused the same way.
    Returns each wheel's listing as the check read it, by file name."""
    handles: list[IO[bytes]] = []
    listings: dict[str, Listing] = {}

    def opened() -> Iterator[tuple[str, IO[bytes]]]:
        for wheel in sorted(wheels, key=lambda w: w.filename):
            handles.append(open_member(wheel.file))
            yield wheel.filename, handles[-1]

    on_target = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")
    interpreter = linux_accepts(*sys.version_info[:2]) if on_target else None
    try:
        check_wheel_set(opened(), interpreter, listings)
    except WheelSetError as exc:
        raise RunnerError(str(exc)) from None
    finally:
        for handle in handles:
            handle.close()
    return listings
