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

