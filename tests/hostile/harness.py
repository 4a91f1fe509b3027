"""The machinery of the hostile suite: make a job folder, run a real command, compare.

A case lists the files to create (text, bytes, or a special file), the command (words with
`{job}`, `{out}`, `{tmp}` filled in), the expected exit code and message fragments. Every
case runs as a subprocess with a time limit; the job folder is snapshotted before and
compared after, so nothing the user owns may change.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.pythons import python_or_skip

JOBPACK = shutil.which("jobpack", path=str(Path(sys.executable).parent)) or "jobpack"
TIMEOUT = 120
BIG = 1 << 20


@dataclass(frozen=True)
class Special:
    """A file that is not plain bytes: a FIFO, a socket, a symlink or an empty folder."""

    kind: str  # fifo | socket | link | dir
    target: str = ""


FIFO = Special("fifo")
SOCKET = Special("socket")
DIR = Special("dir")


def link(target: str) -> Special:
    return Special("link", target)


FileSpec = str | bytes | Special
Check = Callable[[Path, Path], None]  # (job folder, output folder) -> asserts
NONZERO = -1  # any exit code above zero


@dataclass(frozen=True)
class Case:
    """One hostile input: files, a command, and what must come out."""

    id: str
    files: dict[str, FileSpec]
    argv: tuple[str, ...]
    exit: int = 0  # NONZERO: any failure
    fragments: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # must not appear in the output (echoed secrets, bad codes)
    env: dict[str, str] = field(default_factory=dict)
    setup: tuple[tuple[str, ...], ...] = ()  # commands that must succeed first
    cwd: str = "{job}"
    check: Check | None = None
    xfail: str | None = None
    writes: tuple[str, ...] = ()  # job files the command is asked to change (--write-pep723)


def make_files(job: Path, files: dict[str, FileSpec], fill_in: Callable[[str], str]) -> None:
    for name, spec in files.items():
        path = job / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_text(fill_in(spec))
            if spec.startswith("#!"):
                path.chmod(0o755)
        elif isinstance(spec, bytes):
            path.write_bytes(spec)
        elif spec.kind == "fifo":
            os.mkfifo(path)
        elif spec.kind == "dir":
            path.mkdir()
        elif spec.kind == "link":
            path.symlink_to(spec.target)
        elif spec.kind == "socket":
            with socket.socket(socket.AF_UNIX) as server:
                server.bind(str(path))  # the socket file stays after close


def snapshot(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under `folder` (links not followed): its kind and bytes or link target."""
    state: dict[str, tuple[str, bytes]] = {}
    for base, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(base) / name
            mode = path.lstat().st_mode
            rel = path.relative_to(folder).as_posix()
            if stat.S_ISLNK(mode):
                state[rel] = ("link", str(path.readlink()).encode())
            elif stat.S_ISREG(mode) and path.stat().st_size > BIG:
                info = path.stat()  # too big to keep: its size and times stand for it
                state[rel] = ("big", f"{info.st_size} {info.st_mtime_ns}".encode())
            elif stat.S_ISREG(mode):
                state[rel] = ("file", path.read_bytes())
            elif stat.S_ISDIR(mode):
                state[rel] = ("dir", b"")
            else:
                state[rel] = ("special", oct(stat.S_IFMT(mode)).encode())
    return state


def fill(word: str, job: Path, out: Path, tmp: Path) -> str:
    return (word.replace("{job}", str(job)).replace("{out}", str(out))
            .replace("{tmp}", str(tmp))
            .replace("{py38}", str(python_or_skip("3.8")) if "{py38}" in word else "")
            .replace("{envs}", str(tmp.parent / "hostile-envs"))
            .replace("{python}", sys.executable).replace("{jobrel}", str(job)[1:]))


def command(argv: tuple[str, ...], job: Path, out: Path, tmp: Path) -> list[str]:
    words = [fill(w, job, out, tmp) for w in argv]
    if words[0] == "jobpack":
        return [JOBPACK, *words[1:]]
    if words[0] == "python3":
        return [sys.executable, *words[1:]]
    return words


def run(words: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    full.update({"PIP_CONFIG_FILE": os.devnull, "NO_COLOR": "1", "COLUMNS": "200"})
    full.update(env)
    return subprocess.run(words, cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False)
