"""The job's Python environment: built once per content, cached, reused, pruned.

An environment is keyed by what decides its content (the dependency layers' digests, the
pins pip installs, the interpreter, the runner's version; never the job's own files),
built in a temporary folder and published by rename under a lock
(`jobpack.publish.build_entry`): two first runs at once both succeed and build it once,
and a run killed at any point leaves only a work folder that no later run trusts (and
prune removes). A running job holds the entry's lock shared.

When every pin has a bundled wheel the stdlib installer (`install.py`) lays them out in a
venv made `--without-pip` (fast, and it works where Debian's ensurepip is missing); where
`venv` itself is unusable, in a plain site folder whose `.pth` files a `sitecustomize`
processes. pip runs only for pins without a bundled wheel, its output on stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from jobpack.layout import CONSTRAINTS_NAME, RUNNER_VERSION, RunSpec
from jobpack.publish import build_entry, complete, lock, lock_path

from .base import BASE_PTH, BasePlan, base_pth
from .base import plan as plan_base
from .errors import RunnerError
from .install import Scheme
from .optional import hook_files
from .progress import Phase, say
from .tether import tethered
from .wheels import PARALLEL_BYTES, install_wheels

__all__ = ["PARALLEL_BYTES", "Environment", "environment_key", "prepared"]

@dataclass(frozen=True)
class Environment:
    """Where the job's Python lives: `bin` goes first on PATH; `pythonpath` is set only for
    the plain site folder (its sitecustomize processes the `.pth` files)."""

    prefix: Path
    kind: str  # "venv", "site" or "system"
    bin: Path | None = None
    pythonpath: str | None = None


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class Bundle(Protocol):
    """The dependency layers: `check` them (once, before any process forks), then `open`
    their members (wheels, bytecode) by name."""

    def check(self) -> None: ...

    def open(self, name: str) -> IO[bytes]: ...


@contextlib.contextmanager
def prepared(workdir: Path, spec: RunSpec, cache: Path, offline: bool,
             bundle: Bundle) -> Iterator[Environment]:
    """The environment for this archive, reused when cached, else built and cached from
    the wheels of `bundle`; held with a shared lock while the caller uses it, so no prune
    removes it under a running job."""
    if spec.plain:
        yield Environment(Path(sys.prefix), "system")
        return
    missing = unbundled_pins(spec)
    if missing and offline and not spec.wheels:
        raise RunnerError("--offline: the archive carries no wheels; build it with --wheels")
    base = plan_base(spec, list(spec.wheels), offline)
    missing += base.pip_lines
    key = environment_key(spec, base.key_parts())
    built: list[bool] = []

    def build(building: Path) -> None:
        built.append(True)
        _build(building, cache / key, workdir, spec, base, missing, offline, bundle)

    while True:
        entry = build_entry(cache, key, build)
        with lock(lock_path(entry), shared=True):
            if complete(entry):  # else pruned between its build and this lock: again
                if not built:
                    say(f"reusing environment {entry}")
                yield _describe(entry)
                return


def environment_key(spec: RunSpec, base: Sequence[str] = ()) -> str:
    """What decides an environment's content, from the run spec alone: the runner's
    layout version, the interpreter, the machine, the dependency layers' digests and how
    pip is asked for the pins without a wheel, and for an archive with a provided set, the
    base's site folders and the versions they hold of it (`base`). Never the job's files:
    a code change reuses the environment, and jobs with the same dependencies share one."""
    constraints = {f.path: f.sha256 for f in spec.files}.get(CONSTRAINTS_NAME, "")
    digest = hashlib.sha256()
    for part in (RUNNER_VERSION, sys.version, os.path.realpath(sys.executable),
                 platform.machine(), *(layer.sha256 for layer in spec.layers),
                 *sorted(w.file for w in spec.wheels), *(p.line for p in spec.pins),
                 *spec.pip_options, str(spec.no_deps), constraints, *base):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:24]


def unbundled_pins(spec: RunSpec) -> list[str]:
    """The requirement lines of the pins no bundled wheel provides: pip installs them (the
    optional tier's wait for the job's first import of them)."""
    skipped = {canonical(w.name) for w in spec.wheels}
    skipped |= {canonical(r.name) for r in spec.optional}
    return [p.line for p in spec.pins if canonical(p.name) not in skipped]


def _build(building: Path, final: Path, workdir: Path, spec: RunSpec, base: BasePlan,
           missing: list[str], offline: bool, bundle: Bundle) -> None:
    kind = _create(building)
    scheme = _scheme(building, final, kind)
    if base.active and kind == "venv":  # a site folder runs on the base python itself
        scheme.purelib.mkdir(parents=True, exist_ok=True)
        (scheme.purelib / BASE_PTH).write_text(base_pth(list(base.folders)), encoding="utf-8")
    if base.wheels:
        sizes = {name: record.size for name, (_, record) in spec.layer_files().items()}
        bundle.check()
        install_wheels(list(base.wheels), scheme, bundle.open, sizes)
    if missing:
        _pip_install(building, kind, workdir, missing, spec, offline)
        _relocate_scripts(building, final)
    hook_files(scheme.purelib)  # after pip: its own runs need no hook
    (building / "jobpack-env.json").write_text(json.dumps({"kind": kind}) + "\n")


def _create(folder: Path) -> str:
    """A venv without pip; where venv is unusable, a plain site folder."""
    if _Venv is not None:
        try:
            with Phase("creating a venv"):
                _Venv(with_pip=False, symlinks=True).create(str(folder))
            return "venv"
        except (OSError, subprocess.CalledProcessError) as exc:
            say(f"venv is unusable here ({exc}); using a plain site folder instead")
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
    (folder / "site").mkdir()
    (folder / "bin").mkdir()
    (folder / "boot").mkdir()
    (folder / "bin" / "python").symlink_to(sys.executable)
    (folder / "bin" / "python3").symlink_to(sys.executable)
    (folder / "boot" / "sitecustomize.py").write_text(
        "# jobpack: process the .pth files of the environment's site folder\n"
        "import os, site\n"
        "site.addsitedir(os.path.join(os.path.dirname(os.path.dirname("
        "os.path.abspath(__file__))), 'site'))\n")
    return "site"


try:
    import venv as _venv_module

    class _Venv(_venv_module.EnvBuilder):
        """No activate scripts: they would name the temporary folder, and nobody runs them."""

        def setup_scripts(self, context: Any) -> None:
            return None
except ImportError:  # pragma: no cover - a Python built without venv
    _Venv = None  # type: ignore[assignment,misc]


def _scheme(building: Path, final: Path, kind: str) -> Scheme:
    if kind == "site":
        site = building / "site"
        return Scheme(site, site, building / "bin", building / "data",
                      building / "include", str(final / "bin" / "python"))
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = building / "lib" / version / "site-packages"
    return Scheme(site, site, building / "bin", building, building / "include" / "site" /
                  version, str(final / "bin" / "python"))


def _pip_install(building: Path, kind: str, workdir: Path, missing: list[str],
                 spec: RunSpec, offline: bool) -> None:
    """pip, only for pins without a bundled wheel; its output goes to stderr."""
    options = list(spec.pip_options)
    requirements = building / "jobpack-pip-requirements.txt"
    requirements.write_text("\n".join([*options, *missing]) + "\n", encoding="utf-8")
    if kind == "venv":
        command = [str(building / "bin" / "python"), "-m", "pip", "install"]
    else:
        command = [sys.executable, "-m", "pip", "install", "--target", str(building / "site")]
    command += ["--disable-pip-version-check", "--no-input", "-r", str(requirements)]
    if spec.no_deps:
        command.append("--no-deps")
    if (workdir / CONSTRAINTS_NAME).exists():
        command += ["-c", str(workdir / CONSTRAINTS_NAME)]
    if offline:
        command.append("--no-index")
    with Phase(f"pip installing {len(missing)} requirements without a bundled wheel"):
        if kind == "venv":
            _run_quietly([command[0], "-m", "ensurepip", "--default-pip"],
                         "pip is missing (on Debian/Ubuntu: apt-get install python3-venv)")
        _run_quietly(command, "pip install failed")


def _run_quietly(command: list[str], failure: str) -> None:
    """Run a helper with its output on stderr. It gets a process group of its own, so if
    the runner is interrupted the whole group (ensurepip runs pip as a child) is stopped
    before the temporary folder it writes into is removed; if the runner is killed, the
    group dies with it (`tether`)."""
    with tethered(command, stdout=sys.stderr.fileno(), stdin=subprocess.DEVNULL) as process:
        try:
            code = process.wait()
        except BaseException:
            _stop_group(process)
            raise
    if code != 0:
        raise RunnerError(f"{failure} (exit code {code})")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for signum, patience in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if process.poll() is None:
                time.sleep(0.05)
                continue
            try:
                os.killpg(process.pid, 0)  # a child of the helper still alive?
            except ProcessLookupError:
                return
            time.sleep(0.05)


def _relocate_scripts(building: Path, final: Path) -> None:
    """pip wrote the temporary folder into its scripts' shebangs; point them at the final
    place the folder is renamed to."""
    old, new = f"#!{building}/".encode(), f"#!{final}/".encode()
    for script in (building / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            with script.open("rb") as handle:
                head = handle.read(len(old))
            if head == old:
                script.write_bytes(new + script.read_bytes()[len(old):])


def _describe(final: Path) -> Environment:
    kind = json.loads((final / "jobpack-env.json").read_text())["kind"]
    if kind == "site":
        return Environment(final, "site", final / "bin", str(final / "boot"))
    return Environment(final, "venv", final / "bin")

