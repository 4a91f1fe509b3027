"""Which declared outputs are folders, decided before the job runs, so that the runner
makes each one, empty, before the job starts writing into it.

The config decides first: `models/` (a trailing slash) or a folder that exists here is a
folder, a file that exists here is a file. An output that does not exist here (a fresh
clone or a CI checkout, where `models/` is git-ignored) is decided from the job's own
code, read statically: a file it writes or reads inside it (`open("models/m.pkl", "wb")`,
`Path("models") / "m.pt"`, `os.makedirs("models")`) makes it a folder; a write of the path
itself (`df.to_csv("results")`) makes it a file. With no such evidence, a bare output's
name decides: no suffix (`models`, `checkpoints`) is a folder, a suffix (`model.pkl`) a
file, whose parent folder the runner makes; but not one that `cmd` names (`mv figures
figures-txt`): the command makes it, and an empty folder made first would change what it
does (`mv` would move into it). An output bound to a variable (`- models: MODEL_DIR`)
is judged the same way, except that its name alone does not decide: it reaches the job
through `cmd`, where the code's paths cannot be followed, and the official DataSphere
example writes a file named `model` that way (`- model: OUTPUT`). So it is a folder only
when its variable or the `cmd` option passing it names one (`MODEL_DIR`, `--out-dir`),
and stays a file otherwise (docs/config.md, "outputs").
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from jobpack import diagnostics as codes
from jobpack.analyzer.datafiles import Read
from jobpack.manifest import DataPath, Diagnostic

_VERBS = {"write": "writes", "mkdir": "makes"}
# a word of a variable or option that names a folder: MODEL_DIR, OUTDIR, --save-folder
_FOLDER_WORD = re.compile(r"(?i)(dirs?|directory|folders?)(?![a-z])")


def settle_outputs(outputs: Sequence[DataPath], root: Path, reads: Sequence[Read],
                   config: str | None, cmd: str | None = None,
                   ) -> tuple[tuple[DataPath, ...], tuple[Diagnostic, ...]]:
    """`outputs` with `folder` decided for those that do not exist here, and an info
    `output-folder` for each one taken as a folder that way."""
    named = {word.rstrip("/") for word in (cmd or "").split()}
    settled: list[DataPath] = []
    said: list[Diagnostic] = []
    for output in outputs:
        if output.folder or (root / output.path).exists():
            settled.append(output)
            continue
        read, folder = _evidence(output.path, root, reads)
        if read is not None and folder:
            rel = _relative(read.path, root)
            said.append(codes.OUTPUT_FOLDER.at(read.file, read.line, (
                f"output {output.path} does not exist here; this line "
                f"{_VERBS.get(read.kind, 'reads')} {rel}, inside it, so the runner makes it "
                "an empty folder before the job starts")))
        elif read is None and output.path not in named \
                and not PurePosixPath(output.path).suffix:
            why = _named_folder(output, cmd or "")
            folder = why is not None
            if why is not None:
                said.append(codes.OUTPUT_FOLDER.at(config, None, (
                    f"output {output.path} does not exist here and {why}: the runner "
                    f"makes it an empty folder before the job starts (write "
                    f"`{output.path}/` to say so; if the job writes it as a file, make it "
                    "exist here)")))
        settled.append(replace(output, folder=folder))
    return tuple(settled), tuple(said)


def _named_folder(output: DataPath, cmd: str) -> str | None:
    """Why a suffix-less output with no evidence in the code is a folder, or None. A bare
    name is enough; one bound to a variable (`- models: MODEL_DIR`) reaches the job
    through `cmd`, and DataSphere's own example binds a file that way (`- model:
    OUTPUT`, written by `shutil.move`), so there the variable's name (`MODEL_DIR`,
    `OUTDIR`, `CKPT_FOLDER`) or the option that passes it (`--model-dir ${OUT}`) must
    say folder."""
    if output.var is None:
        return "its name has no suffix"
    if _FOLDER_WORD.search(output.var):
        return f"its variable {output.var} names a folder"
    option = re.search(r"(--?[\w-]+)[= ]['\"]?\$\{" + re.escape(output.var) + r"\}", cmd)
    if option is not None and _FOLDER_WORD.search(option.group(1)):
        return f"cmd passes it as {option.group(1)}"
    return None


def _evidence(path: str, root: Path, reads: Sequence[Read]) -> tuple[Read | None, bool]:
    """The first read or write of the job's code that shows what `path` is: one inside it
    (or a `makedirs` of it) makes it a folder, a write of it a file."""
    as_file = None
    for read in reads:
        rel = _relative(read.path, root)
        if rel is None:
            continue
        if rel.startswith(path + "/") or (rel == path and read.kind == "mkdir"):
            return read, True
        if rel == path and read.kind == "write" and as_file is None:
            as_file = read
    return as_file, False


def _relative(path: Path, root: Path) -> str | None:
    normal = Path(os.path.normpath(path))
    return normal.relative_to(root).as_posix() if normal.is_relative_to(root) else None
