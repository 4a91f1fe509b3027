"""The job's command: `${NAME}` variables and the argv a config's cmd becomes, one
definition for the config reader, the runner and `jobpack trace`."""

from __future__ import annotations

import re
import shlex
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

# `${NAME}` in a config's cmd and paths: one pattern for the config reader and the runner.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A cmd without any of these runs directly, not under /bin/sh.
_SHELL_SYNTAX = re.compile(r"[;&|<>()`$*?~\n'\"\\]|^\s*[A-Za-z_][A-Za-z0-9_]*=")


class CommandError(ValueError):
    """The cmd cannot become an argv: there is none, or a `${NAME}` has no value."""


def variable_lookup(paths: Mapping[str, str], runtime: Collection[str],
                    environ: Mapping[str, str]) -> Callable[[str], str]:
    """A lookup for `${NAME}`: the inputs' and outputs' `paths` first, then, for the
    manifest's `runtime` variables (the service's `DS_PROJECT_HOME`, datasets'), the
    environment. Raises `CommandError` for any other name, or an unset one."""
    def value(name: str) -> str:
        if name in paths:
            return paths[name]
        if name not in runtime:
            raise CommandError(f"cmd uses ${{{name}}}, which no input or output defines")
        if name not in environ:
            raise CommandError(f"cmd uses ${{{name}}}, which is not set: run with "
                               f"{name}=VALUE in the environment")
        return environ[name]

    return value


def command_argv(cmd: str | None, value: Callable[[str], str], extra: Sequence[str],
                 path: str | None) -> list[str]:
    """The argv that runs `cmd` with `extra` arguments appended: every `${NAME}` one
    argument whatever its value holds. A cmd without shell syntax runs directly (found on
    `path`), so forwarded signals reach the job; one with `&&`, pipes or redirections runs
    under /bin/sh with each value quoted. The runner runs it; `jobpack trace` too."""
    cmd = str(cmd or "")
    if not cmd.strip():
        raise CommandError("the manifest has no cmd to run")
    template = VARIABLE.sub("x", cmd)
    if not _SHELL_SYNTAX.search(template):
        argv = [VARIABLE.sub(lambda m: value(m.group(1)), token) for token in cmd.split()]
        program = shutil.which(argv[0], path=path)
        if program is not None:
            return [program, *argv[1:], *extra]
    command = VARIABLE.sub(lambda m: shlex.quote(value(m.group(1))), cmd)
    return ["/bin/sh", "-c", " ".join([command, *(shlex.quote(a) for a in extra)])]



# a command of a shell line that runs `python[3[.X]] [options] NOTEBOOK.ipynb`: where a
# command starts (after `&&`, `;`, `|`, `(`, and `NAME=value` assignments), a python
# (or a path to one), its options (`-u`, `-X dev`), then the notebook's word
_SHELL_NOTEBOOK = re.compile(
    r"(?P<head>(?:^|[;&|(\n])\s*(?:[A-Za-z_]\w*=\S*\s+)*(?:[^\s;&|()<>]*/)?"
    r"python(?:\d(?:\.\d+)?)?(?:\s+-(?:[XW]\s+\S+|[A-Za-z]+))*\s+)"
    r"(?=(?P<quote>['\"]?)[^\s;&|()<>'\"]+\.ipynb(?P=quote)(?:\s|$|[;&|)]))")


def with_notebook_executor(argv: Sequence[str], executor: str) -> list[str] | None:
    """`argv` with `executor` put before each notebook a python runs (`python -u
    train.ipynb` -> `python -u EXECUTOR train.ipynb`), directly or inside the `/bin/sh -c`
    line `command_argv` made (`cd nb && python train.ipynb`); None when it runs none."""
    if len(argv) == 3 and argv[:2] == ["/bin/sh", "-c"]:
        line, count = _SHELL_NOTEBOOK.subn(
            lambda m: m.group("head") + shlex.quote(executor) + " ", argv[2])
        return [*argv[:2], line] if count else None
    if not argv or not re.fullmatch(r"python(\d(\.\d+)?)?", argv[0].rpartition("/")[2]):
        return None
    index = 1
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-":
        index += 2 if argv[index] in {"-X", "-W"} else 1
    if index >= len(argv) or not argv[index].endswith(".ipynb"):
        return None
    return [*argv[:index], executor, *argv[index:]]
