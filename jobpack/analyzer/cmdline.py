"""Find the Python entry points in a job's `cmd`, without running it.

`cmd` is split like a shell would split it. Recognised: `python[3[.X]]` or a path to a
python with interpreter options, `python -m pkg.mod`, launchers that take a script
(deepspeed, torchrun, accelerate launch, `python -m torch.distributed.run`, mpirun /
mpiexec / horovodrun followed by python or a script), a script run directly through its
python shebang, and every argument that is an existing `.py` file in the job folder.
Every other argument that names an existing file or folder in the job folder
(`python prepare.py data/data.xml`, `--config=params.yaml`) is a file the job reads.
Paths are relative to where a `cd DIR &&` before them left the shell (`python -m`
modules are not: they are looked for from the job's folder).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jobpack.errors import ConfigError

_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
_PY_FLAGS = set("bBdEhiIOPqsSuvVx")
_PY_VALUE_OPTIONS = {"-X", "-W", "--check-hash-based-pycs"}
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_TORCH_MODULES = {"torch.distributed.run", "torch.distributed.launch"}
# Launcher options that take no value; any other option consumes the next word.
_LAUNCHER_FLAGS = {
    "torchrun": {"--standalone", "--no-python", "--no_python", "--run-path", "--run_path",
                 "-m", "--module"},
    "deepspeed": {"--no_python", "--no_local_rank", "--force_multi", "--elastic_training",
                  "--bind_cores_to_rank", "--enable_each_rank_log", "--save_pid", "--module",
                  "--no_ssh_check", "--no_ssh", "--autotuning"},
    "accelerate": {"--cpu", "--multi_gpu", "--tpu", "--ipex", "--mps", "--use_deepspeed",
                   "--use_fsdp", "--use_megatron_lm", "--use_xpu", "-m", "--module",
                   "--no_python", "--debug", "-q", "--quiet", "--same_network",
                   "--dynamo_use_fullgraph", "--dynamo_use_dynamic", "--downcast_bf16",
                   "--tpu_use_cluster", "--tpu_use_sudo", "--enable_cpu_affinity"},
}
_MODULE_FLAGS = {"-m", "--module"}
_MPI = {"mpirun", "mpiexec", "horovodrun", "srun"}


@dataclass(frozen=True)
class CmdEntries:
    """What `cmd` runs: scripts (relative paths) and modules (`python -m`)."""

    scripts: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    runs_python: bool = False
    outside: tuple[str, ...] = ()  # scripts outside the job's folder (e.g. in an image)
    files: tuple[str, ...] = ()  # other arguments naming files or folders in the job folder
    tools: tuple[tuple[str, str], ...] = ()  # (tool, requirement) of notebook runners

    def as_entry_points(self) -> list[str]:
        return [*self.scripts, *(f"-m {m}" for m in self.modules)]


def find_cmd_entries(cmd: str, root: Path, *, config: str = "config.yaml") -> CmdEntries:
    """The entry points `cmd` starts when run from `root`."""
    try:
        words = shlex.split(cmd, comments=False, posix=True)
    except ValueError as exc:
        raise ConfigError(f"cannot split cmd like a shell: {exc}", path=config, key="cmd") from None
    scripts: list[str] = []
    modules: list[str] = []
    files: list[str] = []
    runs_python = False
    tools: list[tuple[str, str]] = []
    base = PurePosixPath()  # where an earlier `cd DIR &&` left the shell, under root
    for segment in _segments(words):
        if segment[0] == "cd" and len(segment) == 2 and "$" not in segment[1]:
            base /= segment[1]
            continue
        here = root / base
        files += [str(base / f) for f in (_local_file(w, here) for w in segment[1:]) if f]
        tool, notebooks = _notebook_tool(segment, here)
        if tool:
            tools += [(tool, requirement) for requirement in NOTEBOOK_TOOLS[tool]]
            scripts += [str(base / n) for n in notebooks]
            runs_python = True
        found = _segment_entries(segment, here)
        if found is not None:
            runs_python = True
            kind, value = found
            if kind == "module":
                modules.append(value)
            elif kind == "script":
                scripts.append(value if value.startswith("/") else str(base / value))
        for word in segment:
            path = _local_script(word, here)
            if path is not None:
                scripts.append(str(base / path))
    scripts = [s for s in dict.fromkeys(_normalise(s, root) for s in scripts) if s]
    inside = root.resolve()
    outside = tuple(s for s in scripts if not (inside / s).resolve().is_relative_to(inside))
    files = [f for f in dict.fromkeys(_normalise(f, root) for f in files) if f not in scripts]
    return CmdEntries(tuple(s for s in scripts if s not in outside),
                      tuple(dict.fromkeys(modules)), runs_python or bool(scripts), outside,
                      tuple(files), tuple(dict.fromkeys(tools)))


# what runs a notebook's cells in a kernel: the distributions it needs on the target
NOTEBOOK_TOOLS = {"jupyter nbconvert": ("nbconvert", "ipykernel"),
                  "jupyter execute": ("nbclient", "ipykernel"),
                  "papermill": ("papermill", "ipykernel")}
_OUTPUT_OPTIONS = {"--output", "--output-dir"}


def _notebook_tool(words: list[str], root: Path) -> tuple[str, list[str]]:
    """The notebook tool a command runs (`jupyter nbconvert`, `jupyter execute`,
    `papermill`) and the notebooks it executes (papermill: its input only; the second
    notebook is what it writes); ('', []) for any other command."""
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    program = Path(words[0]).name if words else ""
    rest = words[1:]
    if program == "jupyter" and rest[:1] in (["nbconvert"], ["execute"]):
        program, rest = f"jupyter-{rest[0]}", rest[1:]
    tool = {"jupyter-nbconvert": "jupyter nbconvert", "jupyter-execute": "jupyter execute",
            "papermill": "papermill"}.get(program, "")
    if not tool:
        return "", []
    notebooks = [word for before, word in zip(["", *rest], rest, strict=False)
                 if word.endswith(".ipynb") and before not in _OUTPUT_OPTIONS
                 and (root / word).is_file()]
    return tool, notebooks[:1] if tool == "papermill" else notebooks


def _segments(words: list[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for word in words:
        if word in _SEPARATORS:
            segments.append([])
        else:
            segments[-1].append(word)
    return [s for s in segments if s]


def _segment_entries(words: list[str], root: Path) -> tuple[str, str] | None:
    """('script', path), ('module', name) or ('python', '') for what one command runs."""
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]  # FOO=bar python main.py
    if not words:
        return None
    program = Path(words[0]).name
    rest = words[1:]
    if program == "env":
        return _segment_entries(rest, root)
    if _PYTHON.match(program):
        # python with code inline (-c) or on stdin still runs Python: ("python", "")
        return _python_args(rest, root) or ("python", "")
    if program in {"torchrun", "deepspeed"}:
        return _launcher_args(rest, _LAUNCHER_FLAGS[program])
    if program == "accelerate" and rest[:1] == ["launch"]:
        return _launcher_args(rest[1:], _LAUNCHER_FLAGS["accelerate"])
    if program in _MPI:
        for index, word in enumerate(rest):
            if _PYTHON.match(Path(word).name) or _shebang_python(word, root):
                return _segment_entries(rest[index:], root)
        return None
    if _shebang_python(words[0], root):
        return ("script", words[0])
    return None


def _python_args(args: list[str], root: Path) -> tuple[str, str] | None:
    index = 0
    while index < len(args):
        word = args[index]
        if word == "-m" and index + 1 < len(args):
            module = args[index + 1]
            if module in _TORCH_MODULES:
                return _launcher_args(args[index + 2 :], _LAUNCHER_FLAGS["torchrun"])
            return ("module", module)
        if word.startswith("-m") and len(word) > 2:
            return ("module", word[2:])
        if word in {"-c", "-"}:
            return None  # code given inline or on stdin: no entry file
        if word in _PY_VALUE_OPTIONS:
            index += 2
            continue
        if word.startswith(("-X", "-W", "--")) or (
            word.startswith("-") and len(word) > 1 and set(word[1:]) <= _PY_FLAGS
        ):
            index += 1
            continue
        if word.startswith("-"):
            return None
        return ("script", word)
    return None


def _launcher_args(args: list[str], flags: set[str]) -> tuple[str, str] | None:
    as_module = False
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            index += 1
            continue
        if word.startswith("-"):
            if word in _MODULE_FLAGS:
                as_module = True
            index += 1 if ("=" in word or word in flags) else 2
            continue
        return ("module", word) if as_module else ("script", word)
    return None


def _local_script(word: str, root: Path) -> str | None:
    if not word.endswith(".py") or word.startswith("-"):
        return None
    path = (root / word).resolve()
    return word if path.is_file() and path.is_relative_to(root.resolve()) else None


def _local_file(word: str, root: Path) -> str | None:
    """`word` (or the value of `--option=word`) when it names an existing file or folder
    inside `root`, other than `root` itself; `${VAR}` words are the runner's to fill."""
    if word.startswith("-"):
        word = word.partition("=")[2]
    if not word or "$" in word or word.endswith(".py"):
        return None
    inside = root.resolve()
    path = (inside / word).resolve()
    if path == inside or not path.is_relative_to(inside) or not path.exists():
        return None
    return word


def _shebang_python(word: str, root: Path) -> bool:
    path = root / word
    if "/" not in word or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _normalise(script: str, root: Path) -> str:
    path = (root / script).resolve()
    if not path.is_relative_to(root.resolve()):
        return script
    return path.relative_to(root.resolve()).as_posix()
