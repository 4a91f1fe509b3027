"""The optional tier (issue #20): distributions the analysis could not show the job needs.

They are not installed with the environment. `hook_files` puts an import hook into it
(`import_hook.py`, as `_jobpack_optional.py`, and the `.pth` line that loads it at every
start-up); `job_spec` writes what the hook needs for this run and returns the variable
that hands it to the job. When the job first imports a top-level module of an optional
distribution, the hook runs `python ARCHIVE --install-optional NAME`, which lands in
`install_requested`: under a lock per distribution, the bundled wheel (digest-checked) or,
online, pip with the pinned line installs it into a folder of its own inside the
environment, published by one rename. Processes that import it at once (DataLoader
workers, torchrun ranks) install it once: the others wait for the lock and find it done.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jobpack.layout import OptionalRecord, RunSpec
from jobpack.layout.optional import OptionalSpec, closure
from jobpack.publish import build_entry

from .errors import RunnerError
from .install import Installer, Scheme
from .progress import say

if TYPE_CHECKING:
    from .environment import Environment

HOOK_MODULE = "_jobpack_optional"
LAYOUT_COPY = "_jobpack_layout"  # the name import_hook.py imports it by
SPEC_VARIABLE = "JOBPACK_OPTIONAL"  # the name import_hook.py reads
SPEC_NAME = "jobpack-optional.json"
FOLDER = "jobpack-optional"  # in the environment: one folder per installed distribution


# what the hook reads its spec with: jobpack.layout's optional tier, copied beside it
LAYOUT_MODULES = ("fields.py", "optional.py")


def hook_files(site_packages: Path) -> None:
    """Write the hook, the layout modules it reads its spec with, and the `.pth` line
    that imports it at every start-up."""
    (site_packages / f"{HOOK_MODULE}.py").write_bytes(_source("jobpack.runner",
                                                              "import_hook.py"))
    copy = site_packages / LAYOUT_COPY
    copy.mkdir(exist_ok=True)
    (copy / "__init__.py").write_text('"""jobpack.layout\'s optional tier, for the import '
                                      'hook."""\n', encoding="utf-8")
    for module in LAYOUT_MODULES:
        (copy / module).write_bytes(_source("jobpack.layout", module))
    (site_packages / f"{HOOK_MODULE}.pth").write_text(
        f"import {HOOK_MODULE}; {HOOK_MODULE}.install()\n", encoding="utf-8")


def _source(package: str, module: str) -> bytes:
    source = pkgutil.get_data(package, module)
    if source is None:  # pragma: no cover - the runner's archive always carries it
        raise RunnerError(f"the runner's {package}/{module} is missing")
    return source


def job_spec(spec: RunSpec, workdir: Path, archive: Path, env: Environment,
             offline: bool, layers: list[Path]) -> dict[str, str]:
    """Write the run's optional spec into the work folder; return the environment
    variable that hands it to the job (nothing when no distribution is optional).
    `layers`: the folders searched for dependency layers the archive does not carry."""
    if not spec.optional or env.kind == "system":
        return {}
    written = OptionalSpec(
        archive=str(archive), python=sys.executable, root=str(env.prefix / FOLDER),
        distributions=spec.optional, offline=offline, pip_options=spec.pip_options,
        layer_folders=os.pathsep.join(str(folder) for folder in layers),
        scripts_python=str(env.prefix / "bin" / "python"))
    path = workdir / SPEC_NAME
    path.write_text(json.dumps(written.to_dict(), sort_keys=True, indent=1) + "\n",
                    encoding="utf-8")
    return {SPEC_VARIABLE: str(path)}


def install_requested(records: list[OptionalRecord], name: str, spec_path: Path,
                      open_member: Callable[[str], IO[bytes]], imported: str | None) -> None:
    """Install `name` and the optional distributions it requires, each once; one line on
    stderr for each that this process installed."""
    spec = read_spec(spec_path)
    by_name = {r.name: r for r in records}
    if name not in by_name:
        raise RunnerError(f"{name!r} is not an optional distribution of this job")
    root = Path(spec.root)
    root.mkdir(parents=True, exist_ok=True)
    for each in closure(by_name, name):
        record = by_name[each]
        how = _install_once(root, record, spec, open_member)
        if how:
            because = f" (the job imported {imported})" if imported and each == name else ""
            say(f"installed the optional distribution {record.name} {record.version} "
                f"{how}{because}")


def _install_once(root: Path, record: OptionalRecord, spec: OptionalSpec,
                  open_member: Callable[[str], IO[bytes]]) -> str | None:
    """Where it came from, or None when another process had installed it already."""
    hows: list[str] = []
    build_entry(root, f"{record.name}-{record.version}",
                lambda building: hows.append(_fill(building, record, spec, open_member)))
    return hows[0] if hows else None


def _fill(folder: Path, record: OptionalRecord, spec: OptionalSpec,
          open_member: Callable[[str], IO[bytes]]) -> str:
    if record.wheel is not None:
        scheme = Scheme(folder, folder, folder / "bin", folder / "data", folder / "include",
                        spec.scripts_python or sys.executable)
        with open_member(record.wheel) as wheel:
            Installer(scheme).install(wheel, record.wheel.rsplit("/", 1)[-1])
        return "from its bundled wheel"
    if spec.offline:
        raise RunnerError(f"the optional distribution {record.name} has no bundled wheel "
                          "and --offline forbids the index")
    _pip(folder, record, list(spec.pip_options))
    return "from the index"


def _pip(folder: Path, record: OptionalRecord, options: list[str]) -> None:
    """`pip install --no-deps --target`: what it requires is installed already (the
    required tier) or optional itself, and so installed on its own."""
    with tempfile.TemporaryDirectory(prefix="jobpack-optional-") as temp:
        listing = Path(temp) / "requirements.txt"
        listing.write_text("\n".join([*options, record.line]) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--target",
                   str(folder), "--disable-pip-version-check", "--no-input", "--timeout",
                   "15", "--retries", "1", "-r", str(listing)]
        process = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, check=False)
    if process.returncode != 0:
        lines = [line.strip() for line in (process.stderr + process.stdout).splitlines()
                 if line.strip().startswith("ERROR")] or ["exit code "
                                                           f"{process.returncode}"]
        raise RunnerError(f"pip could not install the optional distribution "
                          f"{record.name}: {lines[-1]}")


def layer_folders(path: Path) -> str:
    """The folders the run searched for dependency layers sent apart, as `--layers` takes
    them: the import hook runs the runner without the `--layers` the run was given."""
    return read_spec(path).layer_folders


def read_spec(path: Path) -> OptionalSpec:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunnerError(f"{path}: cannot read the optional spec: {exc}") from None
    try:
        return OptionalSpec.from_dict(data)
    except ValueError as exc:
        raise RunnerError(f"{path}: not an optional spec: {exc}") from None
