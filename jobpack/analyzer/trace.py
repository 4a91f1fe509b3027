"""`jobpack trace`: run the job once with a recorder and compare with the manifest.

This is the one place jobpack runs user code, on purpose: the static analysis never does.
The recorder is a `sitecustomize` on a private `PYTHONPATH` that adds an audit hook on the
`import` and `open` events; at exit it writes, for every module imported after start-up,
its file and the file:line of the code that imported it (the first frame outside the
import machinery), and every file under the job's folder opened for reading before the
job wrote it, with the file:line of the job's code that opened it; and every file there
it wrote (opened for writing, or renamed into place): what of it no declared output holds
is reported too, so that a user sees the outputs the config forgets. And the other side:
the pins the run needed for nothing (none of their modules imported, none required by a
distribution that was), which the static rule ships because some code may import them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobpack.analyzer.api import Analysis
from jobpack.analyzer.notebooks import executor_argv
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.requirements import pip_closure
from jobpack.analyzer.trace_copy import WorkCopy
from jobpack.errors import ConfigError
from jobpack.layout import CommandError, command_argv, variable_lookup
from jobpack.layout.sizes import megabytes
from jobpack.manifest import Requirement
from jobpack.target import Target, is_stdlib

# where trace keeps what a job wrote: one new folder per run, never the job's folder
OUTPUTS = Path(tempfile.gettempdir()) / "jobpack-trace-outputs"

RECORDER = '''\
import atexit as _atexit
import os as _os
import sys as _sys
import time as _time

_OUT = _os.environ.pop("JOBPACK_TRACE_OUT", None)
_ROOT = _os.environ.pop("JOBPACK_TRACE_ROOT", "")
_SEEN = {}
_OPENED = {}
_WRITTEN = {}
_WRITES = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC | _os.O_APPEND


def _jobpack_frames():
    try:
        frame = _sys._getframe(3)
    except ValueError:  # called from the interpreter's start-up: no Python frame above
        return
    while frame is not None:
        yield frame
        frame = frame.f_back


def _jobpack_importer():
    for frame in _jobpack_frames():
        name = frame.f_code.co_filename
        if not name.startswith("<frozen") and "importlib" not in name:
            return name, frame.f_lineno
    return None, None


def _jobpack_opener():
    for frame in _jobpack_frames():
        name = frame.f_code.co_filename
        if name.startswith(_ROOT + _os.sep) and "site-packages" not in name:
            return name, frame.f_lineno
    return None, None


def _jobpack_opened(path, mode, flags):
    if isinstance(path, bytes):
        path = _os.fsdecode(path)
    if not isinstance(path, str):
        return  # a file descriptor
    full = _os.path.abspath(path)
    if not full.startswith(_ROOT + _os.sep):
        return
    if (mode is not None and ("r" not in mode or "w" in mode)) or (
            mode is None and flags & _WRITES):
        _WRITTEN.setdefault(full, _time.monotonic_ns())
    elif full not in _WRITTEN and full not in _OPENED:
        _OPENED[full] = (*_jobpack_opener(), _time.monotonic_ns())


def _jobpack_hook(event, args):
    if event == "import" and args[0] not in _SEEN:
        _SEEN[args[0]] = _jobpack_importer()
    elif event == "open" and _ROOT:
        _jobpack_opened(*args[:3])
    elif event == "os.rename" and _ROOT and args[3] in (None, -1):  # no dst_dir_fd
        _jobpack_opened(args[1], "w", 0)  # os.replace and shutil.move raise it too


def _jobpack_write():
    import json
    rows = []
    for name in list(_sys.modules):  # import_module() raises no audit event
        if name not in _START and name not in _SEEN:
            _SEEN[name] = (None, None)
    for name, (importer, line) in _SEEN.items():
        module = _sys.modules.get(name)
        rows.append({"module": name, "file": getattr(module, "__file__", None),
                     "importer": importer, "line": line})
    opened = [{"file": name, "opener": opener, "line": line, "at": at}
              for name, (opener, line, at) in _OPENED.items()]
    written = [{"file": name, "at": at} for name, at in _WRITTEN.items()]
    # one file per process: `a && b` runs several Pythons, each writes its own
    with open(f"{_OUT}.{_os.getpid()}.json", "w", encoding="utf-8") as stream:
        json.dump({"imports": rows, "opened": opened, "written": written}, stream)


_START = set(_sys.modules)
if _OUT:
    _sys.addaudithook(_jobpack_hook)
    _atexit.register(_jobpack_write)
'''


@dataclass(frozen=True)
class Imported:
    """One module the job imported at run time."""

    module: str
    file: str | None
    importer: str | None
    line: int | None

    def site(self, root: Path) -> str:
        if self.importer is None:
            return "<unknown>"
        where = Path(self.importer)
        shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
        return f"{shown}:{self.line}" if self.line else shown


@dataclass(frozen=True)
class Missing:
    """A module imported at run time whose distribution (or file) the manifest lacks."""

    what: str  # a distribution name, or a local file's path
    kind: str  # "distribution", "local", "unmanaged"
    imported: Imported


@dataclass(frozen=True)
class Opened:
    """A file under the job's folder the job opened for reading, and the job's file:line
    that opened it (None when no frame of the job's own code was on the stack)."""

    file: str
    opener: str | None
    line: int | None

    def site(self, root: Path) -> str:
        return Imported("", None, self.opener, self.line).site(root)


@dataclass(frozen=True)
class TraceResult:
    returncode: int
    imported: tuple[Imported, ...]
    missing: tuple[Missing, ...]
    opened: tuple[Opened, ...] = ()
    missing_files: tuple[Opened, ...] = ()
    written: tuple[str, ...] = ()  # relative to the job's folder, still there at the end
    undeclared: tuple[str, ...] = ()  # of `written`: under no declared output
    # pins this run needed for nothing (`unneeded`), largest first
    unneeded: tuple[Requirement, ...] = ()
    pinned: int = 0  # how many distributions the archive brings (the image's left out)

    @property
    def exit_code(self) -> int:
        """The job's own exit code when it failed (a signal N is 128+N, as in a shell),
        else 1 when the manifest lacks something, else 0."""
        if self.returncode > 0:
            return self.returncode if self.returncode < 256 else 1
        if self.returncode < 0:
            return 128 - self.returncode
        return 1 if self.missing or self.missing_files else 0


@dataclass(frozen=True)
class Recording:
    """What one run of the job did: its exit status, the modules it imported, the files
    under its folder it read before writing them, and the files it wrote there."""

    returncode: int
    imported: tuple[Imported, ...]
    opened: tuple[Opened, ...]
    written: tuple[str, ...]


def record_imports(argv: Sequence[str], *, python: str, cwd: Path,
                   env: Mapping[str, str] | None = None, root: Path | None = None,
                   ) -> tuple[int, tuple[Imported, ...], tuple[Opened, ...]]:
    """Run `argv` with the recorder, the analysed `python` first on PATH: what it imported,
    and which files under `root` it opened for reading."""
    run = record(argv, python=python, cwd=cwd, env=env, root=root)
    return run.returncode, run.imported, run.opened


def record(argv: Sequence[str], *, python: str, cwd: Path,
           env: Mapping[str, str] | None = None, root: Path | None = None) -> Recording:
    """Run `argv` with the recorder (see `record_imports`)."""
    with tempfile.TemporaryDirectory(prefix="jobpack-trace-") as temp:
        folder = Path(temp)
        (folder / "sitecustomize.py").write_text(RECORDER, encoding="utf-8")
        out = folder / "recorded"
        environment = dict(env if env is not None else os.environ)
        previous = environment.get("PYTHONPATH")
        environment["PYTHONPATH"] = str(folder) + (os.pathsep + previous if previous else "")
        environment["JOBPACK_TRACE_OUT"] = str(out)
        environment["JOBPACK_TRACE_ROOT"] = str(root.resolve()) if root is not None else ""
        environment["PATH"] = search_path(python, environment)
        process = subprocess.run(list(argv), cwd=cwd, env=environment, check=False)
        recorded = [json.loads(f.read_text(encoding="utf-8"))
                    for f in sorted(folder.glob(f"{out.name}.*.json"))]
    imported = tuple(dict.fromkeys(
        Imported(r["module"], r["file"], r["importer"], r["line"])
        for data in recorded for r in data.get("imports", [])))
    written = tuple(sorted({r["file"] for data in recorded for r in data.get("written", [])}))
    return Recording(process.returncode, imported, _read_before_written(recorded), written)


def _read_before_written(recorded: list[dict[str, Any]]) -> tuple[Opened, ...]:
    """The files read, by any of the job's processes, before one of them wrote it (a
    stage that reads what an earlier stage of the same cmd made needs nothing shipped)."""
    first_write: dict[str, int] = {}
    for data in recorded:
        for row in data.get("written", []):
            first_write[row["file"]] = min(row["at"], first_write.get(row["file"], row["at"]))
    opened: dict[str, Opened] = {}
    rows = sorted((r for data in recorded for r in data.get("opened", [])),
                  key=lambda r: r["at"])
    for row in rows:
        if row["file"] not in opened and row["at"] < first_write.get(row["file"], row["at"] + 1):
            opened[row["file"]] = Opened(row["file"], row["opener"], row["line"])
    return tuple(opened.values())


def compare(analysis: Analysis, imported: Sequence[Imported]) -> tuple[Missing, ...]:
    """What was imported at run time but is neither pinned nor shipped as local code."""
    index = analysis.index
    pinned = {r.name for r in analysis.manifest.requirements}
    local = {(analysis.root / f.path).resolve() for f in analysis.manifest.local_files}
    target = analysis.manifest.target
    site_paths = _site_paths(analysis)
    missing: list[Missing] = []
    reported: set[str] = set()
    for item in imported:
        if item.module == "sitecustomize" or not _real_file(item.file):
            continue  # no file, or a made-up one: torch.ops says `_ops.py`
        file = Path(str(item.file)).resolve()
        if is_stdlib(item.module, target) and not _under(file, site_paths):
            continue
        if _under(file, site_paths) and index is not None:
            providers = _owners(index, item.module, file, site_paths)
            if not providers:
                key = item.module.partition(".")[0]
                if key not in reported and key not in analysis.graph.modules:
                    reported.add(key)
                    missing.append(Missing(key, "unmanaged", item))
                continue
            for dist in providers:
                if dist.name not in pinned and dist.name not in reported:
                    reported.add(dist.name)
                    missing.append(Missing(dist.name, "distribution", item))
        elif file.is_relative_to(analysis.root.resolve()) and file not in local:
            rel = file.relative_to(analysis.root.resolve()).as_posix()
            if rel not in reported:
                reported.add(rel)
                missing.append(Missing(rel, "local", item))
    return tuple(missing)


def runtime_distributions(analysis: Analysis, imported: Sequence[Imported]
                          ) -> frozenset[str]:
    """The installed distributions that own a module the run imported: the runtime truth
    of what the job needs (for this run)."""
    index, site_paths = analysis.index, _site_paths(analysis)
    found: set[str] = set()
    for item in imported:
        if index is None or item.module == "sitecustomize" or not _real_file(item.file):
            continue
        file = Path(str(item.file)).resolve()
        if _under(file, site_paths):
            found.update(d.name for d in _owners(index, item.module, file, site_paths))
    return frozenset(found)


def unneeded(analysis: Analysis, imported: Sequence[Imported]) -> tuple[Requirement, ...]:
    """The pins the archive brings that this run needed for nothing: outside pip's closure
    of the distributions it imported (their requirements without extras, for the target),
    largest first. Another run (other arguments, data or configuration) may need them."""
    if analysis.index is None:
        return ()
    target = Target.parse(analysis.manifest.target.python)
    needed = pip_closure(runtime_distributions(analysis, imported), analysis.index, target)
    return tuple(sorted((r for r in analysis.manifest.installed if r.name not in needed),
                        key=lambda r: (-(r.size or 0), r.name)))


def _owners(index: DistributionIndex, module: str, file: Path, site_paths: Sequence[Path]
            ) -> list[InstalledDistribution]:
    """The distributions providing an imported module: by its name, else by the name its
    file has under its site folder (`_cyutility` lives in a package)."""
    return _providers(index, module) or _providers(index, _module_of(file, site_paths))


def _site_paths(analysis: Analysis) -> tuple[Path, ...]:
    return tuple(analysis.environment.distribution_paths) if analysis.environment else ()


def _real_file(file: str | None) -> bool:
    """An absolute path to an existing file: what a module loaded from disk has. Modules
    made at run time (torch's `torch.ops`) carry a relative or invented `__file__`, which
    must not read as a local file the manifest lacks."""
    return file is not None and Path(file).is_absolute() and Path(file).is_file()


def _providers(index: DistributionIndex, module: str | None) -> list[InstalledDistribution]:
    deepest = index.deepest(module) if module else None
    return index.providers(deepest) if deepest else []


def _module_of(file: Path, site_paths: Sequence[Path]) -> str | None:
    """The dotted name a file has under its site folder (`_cyutility` lives in a package)."""
    for folder in site_paths:
        if file.is_relative_to(folder.resolve()):
            parts = list(file.relative_to(folder.resolve()).parts)
            parts[-1] = parts[-1].split(".")[0]
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts) or None
    return None


def _under(file: Path, folders: Sequence[Path]) -> bool:
    return any(file.is_relative_to(folder.resolve()) for folder in folders)


def trace(analysis: Analysis, argv: Sequence[str], *, python: str, cwd: Path,
          work: WorkCopy | None = None) -> TraceResult:
    """Run the job once (user code runs!) and compare its imports and the files it read
    with `analysis`. With `work`, the job runs in that copy of its folder (`argv` and
    `cwd` name the copy); what it saw there is compared as if it were the job's folder."""
    # the job's env.vars, as the runner sets them (a None value passes through)
    env = {**os.environ, **{k: v for k, v in analysis.manifest.env if v is not None}}
    # `python X.ipynb` runs the notebook's cells, with the executor the runner uses
    run = record(executor_argv(list(argv)), python=python, cwd=cwd, env=env,
                 root=work.copy if work is not None else analysis.root)
    # what the job wrote and then removed (a temporary file) is no output
    run = replace(run, written=tuple(f for f in run.written if Path(f).exists()))
    if work is not None:
        run = _in_source(run, work)
    root = analysis.root.resolve()
    written = tuple(Path(f).relative_to(root).as_posix() for f in run.written
                    if Path(f).is_relative_to(root) and "__pycache__" not in Path(f).parts)
    return TraceResult(run.returncode, run.imported, compare(analysis, run.imported),
                       run.opened, unshipped_files(analysis, run.opened), written,
                       undeclared_outputs(analysis, written),
                       unneeded(analysis, run.imported), len(analysis.manifest.installed))


def undeclared_outputs(analysis: Analysis, written: Sequence[str]) -> tuple[str, ...]:
    """The files of `written` that no declared output is or holds: the archive's run
    writes them on the VM, and nobody gets them back."""
    declared = [d.path.rstrip("/") for d in analysis.manifest.outputs]
    return tuple(rel for rel in written
                 if not any(rel == d or rel.startswith(d + "/") for d in declared))


def _in_source(run: Recording, work: WorkCopy) -> Recording:
    """`run` with every path in the work copy named as it is in the job's folder."""
    imported = tuple(replace(i, file=work.to_source(i.file), importer=work.to_source(
        i.importer)) for i in run.imported)
    opened = tuple(Opened(str(work.to_source(o.file)), work.to_source(o.opener), o.line)
                   for o in run.opened)
    written = tuple(str(work.to_source(f)) for f in run.written)
    return Recording(run.returncode, imported, opened, written)


def unshipped_files(analysis: Analysis, opened: Sequence[Opened]) -> tuple[Opened, ...]:
    """The files the job read under its folder that the archive would lack: neither code,
    nor a data file, nor under a config input; outputs and caches are the job's own."""
    manifest = analysis.manifest
    root = analysis.root.resolve()
    shipped = {f.path for f in manifest.local_files} | {f.path for f in manifest.data_files}
    declared = [d.path.rstrip("/") for d in (*manifest.inputs, *manifest.outputs)]
    missing = []
    for item in opened:
        file = Path(item.file)
        if not file.is_relative_to(root) or not file.is_file():
            continue  # gone: the job made it and removed it, or it never existed
        rel = file.relative_to(root).as_posix()
        if rel in shipped or "__pycache__" in file.parts or file.suffix == ".pyc" or any(
                rel == d or rel.startswith(d + "/") for d in declared):
            continue
        missing.append(item)
    return tuple(sorted(missing, key=lambda o: o.file))


def search_path(python: str, environ: Mapping[str, str]) -> str:
    """PATH with the analysed interpreter's folder first: `python` in a cmd is that one."""
    return str(Path(python).parent) + os.pathsep + environ.get("PATH", os.defpath)


def config_argv(analysis: Analysis, extra: Sequence[str], *, python: str, config: str,
                folder: Path | None = None) -> list[str]:
    """The argv of the config's cmd as the runner builds it on the VM: every `${NAME}` one
    argument (an input's or output's path in the job folder, or in `folder`, its work copy;
    an `args` value, or a run-time variable from the environment), `extra` appended."""
    manifest = analysis.manifest
    paths = {item.var: str((folder or analysis.root) / item.path)
             for item in (*manifest.inputs, *manifest.outputs) if item.var}
    try:
        value = variable_lookup(paths, manifest.runtime_vars, os.environ)
        return command_argv(manifest.cmd, value, extra, search_path(python, os.environ))
    except CommandError as exc:
        raise ConfigError(str(exc), path=config, key="cmd") from None


def prepare_outputs(analysis: Analysis, folder: Path) -> None:
    """As the runner does before the job starts: a declared output folder exists, and so
    does the folder of a declared output file."""
    for item in analysis.manifest.outputs:
        target = folder / item.path
        (target if item.folder else target.parent).mkdir(parents=True, exist_ok=True)


def analysed_python(analysis: Analysis) -> str:
    if analysis.environment is not None:
        return str(analysis.environment.executable)
    return sys.executable


def render(result: TraceResult, root: Path) -> list[str]:
    """The lines `jobpack trace` prints: each missing module with where it was imported."""
    lines = [f"missing {m.kind}: {m.what} (imported as {m.imported.module} at "
             f"{m.imported.site(root)})" for m in result.missing]
    resolved = root.resolve()
    lines += [f"missing file: {Path(o.file).relative_to(resolved).as_posix()} (opened at "
              f"{o.site(root)})" for o in result.missing_files]
    lines += [f"undeclared output: {rel} (written at run time; no `outputs:` entry of the "
              "config holds it, so the archive's run does not bring it back)"
              for rel in result.undeclared]
    lines += _unneeded_lines(result)
    counted = (f"{len(result.imported)} modules imported and {len(result.opened)} files of "
               f"the job's folder read at run time, {len(result.written)} written "
               f"({len(result.undeclared)} undeclared)")
    lacking = len(result.missing) + len(result.missing_files)
    if lacking:
        lines.append(f"{counted}; {lacking} missing from the manifest")
    else:
        lines.append(f"{counted}; all are in the manifest")
    if result.returncode != 0:
        lines.append(f"the job exited with status {result.returncode}")
    return lines


def _unneeded_lines(result: TraceResult) -> list[str]:
    """What the archive brings that this run imported nothing of, by tier, largest first."""
    if not result.unneeded or result.returncode != 0:
        return []  # a failed run stopped early: it says nothing of what a whole run needs
    total = sum(r.size or 0 for r in result.unneeded)
    lines = [f"not needed by this run: {len(result.unneeded)} of the {result.pinned} "
             f"distributions the archive brings ({megabytes(total)}): it imported none of "
             "their modules, nor do the distributions it imported require them"]
    for tier in ("required", "optional"):
        names = [f"{r.name} ({megabytes(r.size or 0)})" for r in result.unneeded
                 if r.tier == tier]
        if names:
            lines.append(f"  {tier} tier: {', '.join(names)}")
    lines.append("  another run (other arguments, data or configuration) may need them: "
                 "`jobpack why NAME` shows the code that reaches one; `--on-demand NAME` "
                 "installs it only if the job imports it, `--exclude NAME` leaves it out")
    return lines
