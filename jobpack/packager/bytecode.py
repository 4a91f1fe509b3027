"""Compile, at build time, the library modules a job imports when it starts.

A first run spends most of its time compiling the modules it imports (scikit-learn and
matplotlib: about 1,000 modules, 1.7 s of CPU), as pip's byte-compiling would at install
time. Those modules are known from the analysis, and their sources are the bundled
wheels' own bytes, so they are compiled here, once, by the analysed interpreter (the
target's Python), and shipped beside each wheel: `bytecode/CACHE_TAG/WHEEL.zip`, a stored
zip of `PACKAGE/__pycache__/MODULE.CACHE_TAG.pyc` files that the runner adds to the
wheel's installation and its RECORD.

The `.pyc` files are hash-based and checked (PEP 552): Python compares them with the
source's hash on import, so one never stands in for a source it was not compiled from.
They are byte-reproducible for a given interpreter: each compiling process is fresh, runs
without site (`-s -S`) in an empty folder with nothing of this environment but PATH, and
has a fixed hash seed, since `marshal`'s output depends on what else the process holds and
(before Python 3.11) writes a frozen set's elements in their hash order. Not `-I`: it
ignores PYTHONHASHSEED, and every 3.10 build then wrote `x in {'a', 'b'}` differently.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jobpack import cache_prune
from jobpack.errors import BuildError
from jobpack.layout import ZIP_EPOCH_DATE, bytecode_member, bytecode_tag
from jobpack.packager.archive import Member, write_members
from jobpack.publish import write_cache_file
from jobpack.target import Target

# How the bytecode is made, in its cache key: 2 since the hash seed is really fixed (what
# an older jobpack compiled for a 3.8 to 3.10 target had a random one: compiled again)
_COMPILED_BY = b"2"
# Runs in the analysed interpreter with -s -S: standard library only, nothing from site.
_COMPILE = r"""
import importlib.util, json, marshal, os, sys, zipfile
flags = (3).to_bytes(4, "little")  # PEP 552: hash-based, checked against the source
for wheel, out, members in json.load(sys.stdin):
    with zipfile.ZipFile(wheel) as archive:
        for member in members:
            source = archive.read(member)
            try:
                code = compile(source, member, "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                continue  # Python reports it where the job imports it
            folder, _, name = member.rpartition("/")
            path = os.path.join(out, folder, "__pycache__",
                                name[:-3] + "." + sys.implementation.cache_tag + ".pyc")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as stream:
                stream.write(importlib.util.MAGIC_NUMBER + flags
                             + importlib.util.source_hash(source) + marshal.dumps(code))
print(json.dumps({"cache_tag": sys.implementation.cache_tag,
                  "version": list(sys.version_info[:2])}))
"""


@dataclass(frozen=True)
class CompiledWheel:
    """The bytecode of one wheel: its archive member name, the stored zip's digest and
    size, and its bytes (in memory, or the cache entry `path` holding them: a rebuild
    whose layers are cached never reads them)."""

    wheel: str  # the wheel's file name
    member: str
    sha256: str
    size: int
    files: int  # .pyc files in it
    path: Path | None = field(default=None, compare=False)  # where the bytes are, not what
    stored: bytes | None = field(default=None, compare=False)

    @classmethod
    def of(cls, wheel: str, member: str, data: bytes, files: int) -> CompiledWheel:
        return cls(wheel, member, hashlib.sha256(data).hexdigest(), len(data), files,
                   stored=data)

    @property
    def data(self) -> bytes:
        if self.stored is not None:
            return self.stored
        assert self.path is not None
        return self.path.read_bytes()

    def as_member(self) -> Member:
        """The archive member, its bytes read (and re-hashed) only when it is written."""
        if self.path is None:
            return Member(self.member, self.sha256, self.size, data=self.stored)
        return Member(self.member, self.sha256, self.size, source=self.path,
                      changed=f"the cached bytecode {self.path} changed since it was "
                              "written; build again with --no-cache")


@dataclass(frozen=True)
class BytecodeCompiler:
    """Compiles `modules` (dotted names) wherever a bundled wheel holds their source, with
    `python`, which must be the target's Python (its X.Y), on up to `workers` processes.
    With a `cache` folder, a wheel's bytecode is kept by what decides its bytes (the
    interpreter's binary, the wheel's digest, the modules) and reused by later builds."""

    python: str
    modules: frozenset[str]
    workers: int = 2
    cache: Path | None = None

    def compile(self, wheels: Mapping[Path, str], target: Target) -> list[CompiledWheel]:
        """One `CompiledWheel` per wheel (path -> its sha256) that holds at least one of
        the modules."""
        plan = [(wheel, members) for wheel in sorted(wheels, key=lambda w: w.name)
                if (members := self.sources_in(wheel, wheels[wheel]))]
        keys = {w: self._key(wheels[w], m, target.python) for w, m in plan} \
            if self.cache else {}
        done = {w: hit for w, _ in plan if (hit := self._cached(w, keys.get(w)))}
        todo = [(w, m) for w, m in plan if w not in done]
        if todo:
            with tempfile.TemporaryDirectory(prefix="jobpack-bytecode-") as temp:
                outs = {wheel: Path(temp) / str(index) for index, (wheel, _) in enumerate(todo)}
                shares = _shares([(str(w), str(outs[w]), m) for w, m in todo], self.workers)
                cache_tag = self._run(shares, target, Path(temp))
                for wheel, _ in todo:
                    if outs[wheel].is_dir():  # else nothing of it compiled
                        done[wheel] = CompiledWheel.of(wheel.name,
                                                       bytecode_member(cache_tag, wheel.name),
                                                       *_stored_zip(outs[wheel]))
                        self._store(done[wheel], keys.get(wheel))
        return [done[wheel] for wheel, _ in plan if wheel in done]

    def _key(self, wheel_sha256: str, members: list[str], target_python: str) -> str:
        binary = Path(os.path.realpath(self.python))
        try:
            stat = binary.stat()
        except OSError:
            return ""  # it cannot run either: _run says so
        digest = hashlib.sha256(_COMPILED_BY)
        for part in (str(binary), str(stat.st_mtime_ns), str(stat.st_size), target_python,
                     wheel_sha256, *members):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()

    def _cached(self, wheel: Path, key: str | None) -> CompiledWheel | None:
        """The bytecode compiled before under `key`: found by its index entry
        (`KEY.json`: cache tag, digest, size, files) without reading the zip; an entry
        without an index (an older jobpack's) is read once and indexed."""
        if self.cache is None or not key:
            return None
        try:
            said = json.loads((self.cache / f"{key}.json").read_bytes())
            entry = self.cache / f"{key}.{said['tag']}.zip"
            if entry.stat().st_size == said["size"]:
                cache_prune.mark_used(entry)
                cache_prune.mark_used(self.cache / f"{key}.json")
                return CompiledWheel(wheel.name, bytecode_member(str(said["tag"]), wheel.name),
                                     str(said["sha256"]), int(said["size"]),
                                     int(said["files"]), path=entry)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no index, or a damaged one: the zip itself is looked for
        for entry in sorted(self.cache.glob(f"{key}.*.zip")):
            try:
                data = entry.read_bytes()
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    files = len(archive.namelist())
            except (OSError, zipfile.BadZipFile):
                continue  # unreadable: compiled again and rewritten
            cache_tag = entry.name[len(key) + 1: -len(".zip")]
            cache_prune.mark_used(entry)
            found = CompiledWheel.of(wheel.name, bytecode_member(cache_tag, wheel.name), data,
                                     files)
            self._index(found, key)
            return found
        return None

    def _store(self, compiled: CompiledWheel, key: str | None) -> None:
        if self.cache is None or not key:
            return
        entry = self.cache / f"{key}.{bytecode_tag(compiled.member)}.zip"
        write_cache_file(entry, compiled.data)  # read-only or full: only costs speed
        self._index(compiled, key)
        cache_prune.now_and_then(self.cache, cache_prune.BYTECODE_BYTES, keep=entry)

    def _index(self, compiled: CompiledWheel, key: str) -> None:
        assert self.cache is not None
        said = {"tag": bytecode_tag(compiled.member), "sha256": compiled.sha256,
                "size": compiled.size, "files": compiled.files}
        write_cache_file(self.cache / f"{key}.json", json.dumps(said).encode())

    def sources_in(self, wheel: Path, sha256: str = "") -> list[str]:
        """The wheel's root-level `.py` members that are among `modules`, sorted. With a
        cache and the wheel's digest, its list of `.py` members is kept beside the
        bytecode: a rebuild opens no wheel's zip directory."""
        names = self._python_members(wheel, sha256)
        found = []
        for name in names:
            first = name.split("/", 1)[0]
            if not name.endswith(".py") or first.endswith((".dist-info", ".data")):
                continue
            dotted = name[:-3].replace("/", ".").removesuffix(".__init__")
            if dotted in self.modules:
                found.append(name)
        return sorted(found)

    def _python_members(self, wheel: Path, sha256: str) -> list[str]:
        listing = self.cache / f"{sha256}.py-members" if self.cache and sha256 else None
        if listing is not None:
            try:
                return listing.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                pass  # missing or unreadable: listed again and rewritten
        with zipfile.ZipFile(wheel) as archive:
            names = [name for name in archive.namelist() if name.endswith(".py")]
        if listing is not None:
            write_cache_file(listing, "".join(f"{n}\n" for n in names).encode())
        return names

    def _run(self, shares: list[list[tuple[str, str, list[str]]]], target: Target,
             folder: Path) -> str:
        # `-s -S` and a bare environment, not `-I`, which would drop PYTHONHASHSEED; run in
        # `folder` (empty but for the output), since `-c` puts the working folder first
        # on sys.path
        env = {"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
        python = str(Path(self.python).absolute()) if os.sep in self.python else self.python
        command = [python, "-s", "-S", "-B", "-c", _COMPILE]
        try:
            running = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env, cwd=folder)
                       for _ in shares]
        except OSError as exc:
            raise BuildError(f"cannot run {self.python} to compile bytecode: {exc}") from None
        answers = [process.communicate(json.dumps(share).encode())
                   for process, share in zip(running, shares, strict=True)]
        tags = set()
        for process, (out, err) in zip(running, answers, strict=True):
            last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            if process.returncode != 0:
                raise BuildError(f"compiling bytecode with {self.python} failed: {last}")
            said = json.loads(out)
            if not target.runs(tuple(said["version"])):
                raise BuildError(f"{self.python} is Python {'.'.join(map(str, said['version']))}"
                                 f", not the target's {target.python}: it cannot compile "
                                 "the target's bytecode")
            tags.add(str(said["cache_tag"]))
        return tags.pop()


def _shares(jobs: list[tuple[str, str, list[str]]], workers: int
            ) -> list[list[tuple[str, str, list[str]]]]:
    """The (wheel, out, members) jobs dealt round-robin by member over `workers`
    processes, so each process's work is fixed by the inputs alone."""
    count = max(1, min(workers, sum(len(members) for _, _, members in jobs)))
    shares: list[dict[tuple[str, str], list[str]]] = [{} for _ in range(count)]
    index = 0
    for wheel, out, members in jobs:
        for member in members:
            shares[index % count].setdefault((wheel, out), []).append(member)
            index += 1
    return [[(w, o, m) for (w, o), m in share.items()] for share in shares]


def _stored_zip(folder: Path) -> tuple[bytes, int]:
    """The files under `folder` as a stored zip (sorted, dated 1980, mode 0644), and how
    many there are."""
    files = [Member.from_bytes(p.relative_to(folder).as_posix(), p.read_bytes())
             for p in folder.rglob("*") if p.is_file()]
    buffer = io.BytesIO()
    write_members(buffer, files, ZIP_EPOCH_DATE)
    return buffer.getvalue(), len(files)
