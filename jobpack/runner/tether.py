"""Child processes that never outlive the runner: pip, ensurepip, the job.

Each is started in a process group of its own (so SIGINT/SIGTERM reach all of it through
the runner's handlers), and tied to the runner two ways, because SIGKILL gives the runner
no chance to clean up:
- the child asks the kernel for SIGKILL when the runner dies (Linux `PR_SET_PDEATHSIG`,
  set in the child between fork and exec);
- a small watchdog process, outside the group, waits on a pipe only the runner holds open:
  when the runner ends, however it ends, the pipe reads empty and the watchdog kills the
  whole group, so the job's own children (`sh -c "a && b"` runs `a` under the shell) go
  too. A child left running would write into an environment the next run rebuilds, or use
  one a prune removes once the runner's shared lock died with it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

_PR_SET_PDEATHSIG = 1
_SIGKILL = 9

# Runs in its own interpreter (`python -I -S -c`): wait for the runner's end (the pipe reads
# empty) or its word that the child is done, then stop the group, politely first. Signals
# sent to the runner's terminal group are ignored: the runner handles those itself, and
# the watchdog must outlive it to do its work.
WATCHDOG = """\
import os, signal, sys, time
for ignored in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(ignored, signal.SIG_IGN)
group = int(sys.argv[1])
if os.read(0, 4):  # the child ended and the runner said so: nothing to stop
    sys.exit(0)
for signum in (signal.SIGTERM, signal.SIGKILL):
    try:
        os.killpg(group, signum)
    except OSError:
        break
    time.sleep(2)
"""


def _die_with_runner(runner: int) -> Callable[[], None]:
    """A `preexec_fn` that asks for SIGKILL when the runner dies. libc is loaded here, in
    the runner, so the child only calls into it."""
    prctl: Any = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
        if os.getppid() != runner:  # the runner died before prctl took effect
            os._exit(1)

    return preexec


@contextlib.contextmanager
def tethered(argv: list[str], **options: Any) -> Iterator[subprocess.Popen[bytes]]:
    """`subprocess.Popen(argv, **options)` in a new process group, tied to the runner's
    life as the module says. Leaving the block while the child still runs (an exception)
    has the watchdog stop its group too; once it has ended, the watchdog is told to
    just exit (its group's number may be reused later)."""
    # the preexec imports nothing and takes no lock (libc is loaded beforehand), which
    # is what makes a preexec_fn safe beside the runner's threads
    process = subprocess.Popen(
        argv, start_new_session=True,
        preexec_fn=_die_with_runner(os.getpid()), **options)  # noqa: PLW1509
    write = _watch(process.pid)
    try:
        yield process
    finally:
        if write is not None:
            with contextlib.suppress(OSError):
                if process.poll() is not None:
                    os.write(write, b"done")
                os.close(write)


def _watch(group: int) -> int | None:
    """Start the watchdog of process group `group`; return the pipe's write end, which
    only the runner holds (close-on-exec: the job and pip do not inherit it)."""
    read, write = os.pipe()
    try:
        subprocess.Popen([sys.executable, "-I", "-S", "-c", WATCHDOG, str(group)],
                         stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        os.close(write)  # no watchdog: PR_SET_PDEATHSIG alone stops the direct child
        return None
    finally:
        os.close(read)
    return write
