"""Turn the manifest's cmd into an argv and run it, isolated from the caller's Python.

Every `${NAME}` is one argument whatever its value holds: an input's or output's unpacked
path, or a run-time variable read from the environment (the service's
`DS_PROJECT_HOME`, a dataset's variable). A cmd without shell syntax runs directly (so
forwarded signals reach the job, not a shell that dies of them first); one with `&&`,
pipes or redirections runs under /bin/sh with each value quoted.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from jobpack.layout import CommandError, RunSpec, variable_lookup
from jobpack.layout import command_argv as layout_argv

from .environment import Environment
from .errors import RunnerError
from .tether import tethered

_STRIPPED = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV",
             "PYTHONSAFEPATH"}


def variables(spec: RunSpec, src: Path, environ: Mapping[str, str]) -> Callable[[str], str]:
    """A lookup for `${NAME}` (see `layout.variable_lookup`): the unpacked inputs' and
    outputs' paths, then the spec's `runtime_vars` from the environment."""
    paths = {item.var: str(src / item.path) for item in (*spec.inputs, *spec.outputs)
             if item.var}
    lookup = variable_lookup(paths, set(spec.runtime_vars), environ)

    def value(name: str) -> str:
        try:
            return lookup(name)
        except CommandError as exc:
            raise RunnerError(str(exc)) from None

    return value


def command_argv(spec: RunSpec, value: Callable[[str], str], extra: list[str],
                 path: str | None) -> list[str]:
    """The argv that runs the job's cmd with `extra` arguments appended."""
    try:
        return layout_argv(spec.cmd, value, extra, path)
    except CommandError as exc:
        raise RunnerError(str(exc)) from None


def job_environment(env: Environment, spec: RunSpec,
                    environ: Mapping[str, str], src: Path | None = None) -> dict[str, str]:
    """The caller's environment minus what would leak the caller's Python into the job;
    with the spec's `sys_path` folders (under `src`) on PYTHONPATH, as the editable
    install of a src layout had them on sys.path."""
    result = {k: v for k, v in environ.items() if k not in _STRIPPED}
    result["PYTHONNOUSERSITE"] = "1"
    if env.kind == "venv":
        result["VIRTUAL_ENV"] = str(env.prefix)
    if env.bin is not None:
        result["PATH"] = str(env.bin) + os.pathsep + result.get("PATH", os.defpath)
    folders = [str(src / _inside(p)) for p in spec.sys_path] if src is not None else []
    if env.pythonpath is not None:
        folders.append(env.pythonpath)
    if folders:
        result["PYTHONPATH"] = os.pathsep.join(folders)
    result.update(spec.env_vars)
    return result


def _inside(path: str) -> PurePosixPath:
    folder = PurePosixPath(path)
    if folder.is_absolute() or ".." in folder.parts:
        raise RunnerError(f"sys_path folder {path} leaves the job's folder")
    return folder


def run_job(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run the job, forwarding SIGINT/SIGTERM to its process group; return its exit code
    (128 + N when a signal N ended it, as a shell reports it)."""
    with tethered(argv, cwd=cwd, env=env) as process:

        def forward(signum: int, _frame: object) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            code = process.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return 128 - code if code < 0 else code
