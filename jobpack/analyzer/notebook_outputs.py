"""The notebooks a `cmd` writes when it runs notebooks, declared as outputs for the user
(docs/notebooks.md): the runner collects them like any declared output.

- `python X.ipynb`: the runner's executor writes `X.executed.ipynb` beside it;
- `papermill IN OUT`: OUT, relative to the working folder;
- `jupyter nbconvert --execute --to FMT X.ipynb`: `X.nbconvert.ipynb` (`--to
  notebook`) or `X.html`, ... beside the notebook, or `--output NAME` there, or in
  `--output-dir DIR`; `--inplace` and `--stdout` write no new file;
- `jupyter execute X.ipynb --output NAME`: `NAME.ipynb` beside the notebook (without
  `--output` it writes nothing).

Paths are relative to where `cd DIR &&` before the command left the shell. A path
that holds a variable (`${OUT}`), leaves the job's folder or is `-` (stdout) is not
guessed at; one the config declares already is not declared twice.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from jobpack.manifest import DataPath
from jobpack.notebook import executed_name

_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
# nbconvert's formats and the suffix of what each writes (its exporters' file_extension)
_NBCONVERT_SUFFIX = {"notebook": ".ipynb", "html": ".html", "slides": ".slides.html",
                     "markdown": ".md", "script": ".py", "python": ".py", "latex": ".tex",
                     "pdf": ".pdf", "webpdf": ".pdf", "rst": ".rst", "asciidoc": ".asciidoc"}


def executed_outputs(cmd: str | None, declared: Sequence[DataPath]) -> tuple[DataPath, ...]:
    """What the notebooks `cmd` runs write, as outputs, unless declared already."""
    try:
        words = shlex.split(cmd or "")
    except ValueError:
        return ()
    taken = {item.path for item in declared}
    found: list[str] = []
    folder = PurePosixPath()  # where an earlier `cd DIR &&` left the shell
    for segment in _segments(words):
        if segment[0] == "cd" and len(segment) == 2:
            folder /= segment[1]
        found += [str(folder / path) for path in _written(segment)]
    paths = (posixpath.normpath(p) for p in found if "$" not in p)
    return tuple(DataPath(path=p) for p in dict.fromkeys(paths)
                 if p not in taken and not p.startswith(("..", "/")))


def _segments(words: list[str]) -> Iterator[list[str]]:
    """Each command of a shell line, without its leading `NAME=value` assignments."""
    for separator, group in itertools.groupby(words, lambda w: w in _SEPARATORS):
        if not separator:
            command = list(itertools.dropwhile(_ASSIGNMENT.fullmatch, group))
            if command:
                yield command


def _written(words: list[str]) -> list[str]:
    program, rest = Path(words[0]).name, words[1:]
    if program == "jupyter" and rest[:1] in (["nbconvert"], ["execute"]):
        program, rest = f"jupyter-{rest[0]}", rest[1:]
    if program == "papermill":
        notebooks = [w for w in rest if w.endswith(".ipynb") or w == "-"]
        return [word for word in notebooks[1:2] if word != "-"]
    if program == "jupyter-nbconvert":
        return _nbconvert_writes(rest)
    if program == "jupyter-execute":
        return _nbclient_writes(rest)
    if _PYTHON.match(program):
        script = next((w for w in _after_options(rest)), "")
        return [executed_name(script)] if script.endswith(".ipynb") else []
    return []


def _after_options(words: list[str]) -> Iterator[str]:
    """The words after a python's interpreter options (`-u`, `-X dev`, `-W error`)."""
    skip = 0
    for index, word in enumerate(words):
        if skip:
            skip -= 1
        elif word.startswith("-") and word != "-":
            skip = 1 if word in {"-X", "-W"} else 0
        else:
            yield from words[index:]
            return


def _options(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """`--name value` / `--name=value` options (value-less ones map to "") and the
    notebooks named among `words`."""
    options: dict[str, str] = {}
    notebooks: list[str] = []
    pending = ""
    for word in words:
        if pending:
            options[pending], pending = word, ""
        elif word.startswith("--"):
            name, equals, value = word[2:].partition("=")
            options[name] = value
            pending = name if not equals and name in {"to", "output", "output-dir"} else ""
        elif word.endswith(".ipynb"):
            notebooks.append(word)
    return options, notebooks


def _nbconvert_writes(words: list[str]) -> list[str]:
    options, notebooks = _options(words)
    form = options.get("to", "")
    if "inplace" in options or "stdout" in options or form not in _NBCONVERT_SUFFIX:
        return []
    extension = _NBCONVERT_SUFFIX[form]
    written = []
    for notebook in notebooks:
        folder = PurePosixPath(options.get("output-dir") or PurePosixPath(notebook).parent)
        name = options.get("output", "").replace("{notebook_name}", Path(notebook).stem)
        if not name:
            # a notebook written beside its input gets `.nbconvert` (not one elsewhere)
            name = Path(notebook).stem + (".nbconvert" if form == "notebook" and
                                          "output-dir" not in options else "")
        written.append(str(folder / (name if name.endswith(extension)
                                     else name + extension)))
    return written


def _nbclient_writes(words: list[str]) -> list[str]:
    options, notebooks = _options(words)
    if "inplace" in options or not options.get("output"):
        return []
    return [str(PurePosixPath(notebook).parent / PurePosixPath(options["output"].replace(
        "{notebook_name}", Path(notebook).stem)).with_suffix(".ipynb"))
            for notebook in notebooks]
