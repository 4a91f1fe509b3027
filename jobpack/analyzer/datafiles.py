"""The files a job reads, beyond its code: which of them ship, and what to say about each.

The walker finds reads in the job's own code (`open("params.yaml")`, `pd.read_csv(HERE /
"data.csv")`, Hydra's config folder, rootutils' root marker); `cmd` names others
(`python prepare.py data/data.xml`). Here each becomes a decision: an existing file or
folder inside the job's folder ships beside the code (an info naming who reads it); a
missing one is a warning; one over 100 MB, or a folder of more than 1,000 files, does not
ship but is reported with the `inputs` entry that would carry it; `--exclude-file GLOB`
leaves any out. Files that already travel (code, `inputs`) are not repeated.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jobpack import diagnostics as codes
from jobpack.analyzer.facts.reads import ReadKind
from jobpack.files import expand
from jobpack.layout import hash_file
from jobpack.layout.sizes import human_size, megabytes
from jobpack.manifest import DataFile, Diagnostic

BIG_FILE = 100 * 1024 * 1024
MANY_FILES = 1000


@dataclass(frozen=True)
class Read:
    """One read the analysis found: the path it names (absolute, not yet checked), what
    it is for, and where it was found (`file`, `line`; the config for a `cmd` word)."""

    path: Path
    kind: ReadKind
    file: str
    line: int | None = None
    names: tuple[str, ...] = ()  # Hydra's config name; a root marker's indicators
    relative: bool = True  # False: written as an absolute path
    key: str | None = None  # the config key that names it (`cmd`)

    @property
    def site(self) -> str:
        if self.key is not None:
            return f"{self.file} ({self.key})"
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass
class DataFiles:
    """What ships (manifest path -> file) and what was said about it."""

    files: dict[str, Path] = field(default_factory=dict)
    read_by: dict[str, set[str]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def records(self) -> tuple[DataFile, ...]:
        found = []
        for rel, file in sorted(self.files.items()):
            digest, size = hash_file(file)
            found.append(DataFile(rel, digest, size, tuple(sorted(self.read_by[rel]))))
        return tuple(found)


def collect(reads: Iterable[Read], root: Path, *, shipped: Iterable[str] = (),
            declared: Iterable[str] = (), exclude: Sequence[str] = ()) -> DataFiles:
    """Decide every read: `shipped` are manifest paths that travel already (code),
    `declared` the config's inputs and outputs (they travel, or are made, on their own)."""
    result = DataFiles()
    decider = _Decider(root, set(shipped), tuple(declared), tuple(exclude), result)
    for read in reads:
        decider.decide(read)
    return result


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether `--exclude-file` patterns leave `rel` out: a glob matching it, or naming
    a folder above it."""
    return any(fnmatch.fnmatchcase(rel, p) or rel.startswith(p.rstrip("/") + "/")
               for p in patterns)


class _Decider:
    def __init__(self, root: Path, shipped: set[str], declared: tuple[str, ...],
                 exclude: tuple[str, ...], result: DataFiles) -> None:
        self.root, self.shipped, self.declared = root, shipped, declared
        self.exclude, self.result = exclude, result
        self.said: set[tuple[str, str]] = set()

    def decide(self, read: Read) -> None:
        path: Path | None = Path(os.path.normpath(read.path))
        if read.kind == "marker":
            path = self._marker(read, Path(os.path.normpath(read.path)))
        if path is None:
            return
        if not path.is_relative_to(self.root):
            self._outside(read, path)
            return
        rel = path.relative_to(self.root).as_posix()
        if (rel == "." and read.kind != "config") or rel in self.shipped \
                or excluded(rel, self.exclude) \
                or any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in self.declared):
            return
        if not path.exists():
            self._say(read, codes.READ_MISSING, f"reads {rel}, which does not exist here; the "
                      "job will not find it on the VM unless it makes it first")
            return
        if read.kind == "config":
            self._check_config(read, path, rel)
        self._ship(read, path, rel)

    def _ship(self, read: Read, path: Path, rel: str) -> None:
        expansion = expand([path], self.root)
        files = [f for f in expansion.files
                 if not excluded(f.relative_to(self.root).as_posix(), self.exclude)]
        if read.kind == "config":
            files = [f for f in files if _hydra_config(f.relative_to(path))]
        size = sum(f.stat().st_size for f in files)
        what = f"{len(files)} files, " if path.is_dir() else ""
        if size > BIG_FILE or len(files) > MANY_FILES:
            self._say(read, codes.DATA_FILE_TOO_BIG,
                      f"reads {rel} ({what}{megabytes(size, 0)}), too big to ship inside "
                      f"the archive; list it in the config's inputs (`inputs: [{rel}]`) so "
                      "it is uploaded beside the job")
            return
        for file in files:
            name = file.relative_to(self.root).as_posix()
            if name not in self.shipped:
                self.result.files[name] = file
                self.result.read_by.setdefault(name, set()).add(read.site)
        for left, why in expansion.left_out:
            self._say(read, codes.LEFT_OUT, f"reads {left.relative_to(self.root).as_posix()}, "
                      f"which does not ship: {why}")
        if files:
            self._say(read, codes.DATA_FILE, f"reads {rel} ({what}{_size(size)}); it ships "
                      "with the job")

    def _check_config(self, read: Read, folder: Path, rel: str) -> None:
        for name in read.names:
            if not any((folder / candidate).is_file() for candidate in (name, f"{name}.yaml")):
                self._say(read, codes.READ_MISSING, f"Hydra's config {name!r} is not in {rel}")

    def _marker(self, read: Read, start: Path) -> Path | None:
        """The root marker rootutils would find above `start`, or None (said why)."""
        folder = start if start.is_dir() else start.parent
        for candidate in (folder, *folder.parents):
            found = next((candidate / n for n in read.names if (candidate / n).exists()), None)
            if found is None:
                continue
            if found.is_dir():
                self._say(read, codes.ROOT_MARKER, f"the project root is found by the folder "
                          f"{found.name} at {candidate}, which does not ship; add an empty "
                          f"{read.names[0]} file to the job's folder")
                return None
            return found
        self._say(read, codes.ROOT_MARKER, f"no {' or '.join(read.names)} above "
                  f"{folder}: the root search fails on the VM")
        return None

    def _outside(self, read: Read, path: Path) -> None:
        if read.relative:
            self._say(read, codes.READ_OUTSIDE_ROOT, f"reads {path}, outside the job's folder "
                      f"{self.root}; it does not ship")

    def _say(self, read: Read, code: codes.Code, message: str) -> None:
        if (read.site, message) in self.said:
            return
        self.said.add((read.site, message))
        self.result.diagnostics.append(code.at(read.file, read.line, message))


def _hydra_config(rel: Path) -> bool:
    """Whether Hydra reads `rel` (inside a config folder) as config: YAML, and not in the
    folders its runs write (`outputs/`, `multirun/`, `.hydra/`), which `config_path="."`
    would otherwise take in."""
    return rel.suffix in (".yaml", ".yml") and not {"outputs", "multirun", ".hydra"} \
        & set(rel.parts[:-1])


def _size(size: int) -> str:
    return human_size(size)
