"""Jupyter notebooks (nbformat 4) as jobs: read with `json`, their code cells split into
Python, IPython magics and shell escapes, and run cell by cell without Jupyter.

Standard library only, Python 3.8+, and no import of jobpack: the analyzer reads notebooks
with it (`python_source`, `pip_lines`), and the runner writes this very file beside the
job and runs it as the script that executes a notebook (`main`; docs/notebooks.md).

A cell is numbered by its place among all cells, markdown included, from 1: the number a
reader counts scrolling down. A line is a magic or a shell escape only where a statement
starts (`%`, `!`, `x = !cmd`, `obj?`); a cell whose first line is `%%name` is a cell magic.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tokenize
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NBFORMAT = 4
_LINE_MAGIC = re.compile(r"^(\s*)%(?!%)([A-Za-z_]\w*)\s?(.*)$")
_SHELL = re.compile(r"^(\s*)!(?!=)(.*)$")
_ASSIGNED = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*([!%])(.*)$")
_HELP = re.compile(r"^(\s*)\?{0,2}[A-Za-z_][\w.]*\?{0,2}\s*$")
_FUTURE = re.compile(r"^(\s*)from\s+__future__\s+import\s.*$")
_CELL_MAGIC = re.compile(r"^%%([A-Za-z_]\w*)\s?(.*)$")
# cell magics whose body is Python: analysed, and run once
PYTHON_BODY = frozenset({"time", "timeit", "capture", "prun"})
# pip's options that take a value: the next word is not a requirement
_PIP_VALUED = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--trusted-host", "--platform", "--python-version", "--implementation", "--abi", "--src",
    "--upgrade-strategy", "--progress-bar", "--log", "--cache-dir", "--proxy", "--timeout",
    "--retries", "--exists-action", "--cert", "--client-cert", "-C", "--config-settings",
    "--no-binary", "--only-binary"})
_PIP_CALL = re.compile(r"^(?:%pip3?|!\s*(?:\S*/)?pip3?|!\s*(?:\S*python[\d.]*|\{sys\.executable\})"
                       r"\s+-m\s+pip)\s+install\s+(.*)$")


class NotebookError(ValueError):
    """A file that is no nbformat 4 notebook; the message is one line naming it."""


@dataclass(frozen=True)
class Cell:
    """A code cell: its number among all cells (from 1) and its source text."""

    number: int
    source: str


@dataclass(frozen=True)
class Line:
    """One line of a code cell, as a kind: `code`, `magic` (`%name rest`), `shell`
    (`!cmd`), `help` (`obj?`), `cell-magic` (`%%name rest`, the cell's first line) or
    `body` (a line under a cell magic). `target` is what `x = !cmd` assigns to."""

    kind: str
    text: str
    indent: str = ""
    name: str = ""
    rest: str = ""
    target: str = ""


# -- reading ------------------------------------------------------------------------------
def load(data: bytes, name: str) -> dict[str, Any]:
    """The notebook in `data` as a dict, checked to be nbformat 4 with a list of cells."""
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookError(f"{name}: not a notebook: not UTF-8 text") from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise NotebookError(f"{name}: not a notebook: not valid JSON{where}") from None
    if not isinstance(notebook, dict) or "nbformat" not in notebook:
        raise NotebookError(f"{name}: not a notebook: no 'nbformat' key")
    version = notebook["nbformat"]
    if version != NBFORMAT:
        raise NotebookError(f"{name}: nbformat {version!r} is not supported, only 4 "
                            "(convert it: jupyter nbconvert --to notebook)")
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{name}: not a notebook: no 'cells' list")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"{name}: cell {number} has no cell_type")
        if _text(cell.get("source", "")) is None:
            raise NotebookError(f"{name}: cell {number}: source is not text")
    return notebook


def code_cells(notebook: dict[str, Any]) -> list[Cell]:
    """The code cells of a notebook `load` accepted, in order."""
    return [Cell(number, _text(cell.get("source", "")) or "")
            for number, cell in enumerate(notebook["cells"], 1)
            if cell["cell_type"] == "code"]


def _text(value: object) -> str | None:
    """nbformat's multiline string: a string or a list of strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return None


# -- classifying lines --------------------------------------------------------------------
def lines_of(cell: Cell) -> list[Line]:
    """The cell's lines, each classified (see `Line`)."""
    rows = cell.source.splitlines()
    if not rows:
        return []
    head = _CELL_MAGIC.match(rows[0])
    if head is not None:
        return [Line("cell-magic", rows[0], name=head.group(1), rest=head.group(2)),
                *(Line("body", row) for row in rows[1:])]
    inside = _inside_strings(rows)
    return [Line("code", row) if number in inside else _classify(row)
            for number, row in enumerate(rows, 1)]


def _classify(row: str) -> Line:
    assigned = _ASSIGNED.match(row)
    if assigned is not None:
        indent, target, sign, rest = assigned.groups()
        if sign == "!" or re.match(r"[A-Za-z_]", rest):
            kind = "shell" if sign == "!" else "magic"
            name, _, args = rest.strip().partition(" ")
            return Line(kind, row, indent, "" if kind == "shell" else name,
                        rest.strip() if kind == "shell" else args, target)
    magic = _LINE_MAGIC.match(row)
    if magic is not None:
        return Line("magic", row, magic.group(1), magic.group(2), magic.group(3))
    shell = _SHELL.match(row)
    if shell is not None:
        return Line("shell", row, shell.group(1), rest=shell.group(2))
    if "?" in row and _HELP.match(row):
        return Line("help", row, row[:len(row) - len(row.lstrip())])
    return Line("code", row)


def _inside_strings(rows: list[str]) -> set[int]:
    """Numbers of the lines that continue a multi-line string or bracket: no statement
    starts there, whatever they begin with. Magic lines are blanked first, so the
    tokenizer sees Python only; a cell it cannot read keeps the plain line rule."""
    plain = [row if _classify(row).kind == "code" else "" for row in rows]
    inside: set[int] = set()
    try:
        tokens = tokenize.generate_tokens(io.StringIO("\n".join(plain) + "\n").readline)
        for token in tokens:
            inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return inside
    return inside


# -- for the analyzer ---------------------------------------------------------------------
def python_source(cells: list[Cell]) -> tuple[str, list[tuple[int, int]]]:
    """The code cells as one Python file for analysis, and for each of its lines the
    (cell, line in cell) it comes from. Magics and shell escapes become `pass` (or
    `x = []` for `x = !cmd`) at their indentation, so the lines keep their numbers;
    `%time stmt` and the body of `%%time` stay code."""
    out: list[str] = []
    where: list[tuple[int, int]] = []
    for cell in cells:
        python_body = False
        for number, line in enumerate(lines_of(cell), 1):
            if line.kind == "cell-magic":
                python_body = line.name in PYTHON_BODY
            out.append(_as_python(line, python_body))
            where.append((cell.number, number))
    return "\n".join(out) + "\n", where


def _as_python(line: Line, python_body: bool) -> str:
    if line.kind == "code" or (line.kind == "body" and python_body):
        # a cell may start with a __future__ import (IPython compiles each cell alone);
        # in the cells joined it would be a syntax error, and it imports nothing
        return _FUTURE.sub(r"\1pass", line.text)
    if line.kind in {"body", "cell-magic"}:
        return ""
    if line.target:
        return f"{line.indent}{line.target} = []"
    if line.kind == "magic" and line.name in {"time", "timeit"} and line.rest \
            and not line.rest.startswith("-"):
        return f"{line.indent}{line.rest}"
    script = _run_target(line)
    if script is not None:  # read as what it is, so the script ships and is analysed
        return f"{line.indent}import runpy; runpy.run_path({script!r})"
    return f"{line.indent}pass"


def _run_target(line: Line) -> str | None:
    """The script `%run script.py ARGS` runs, when it is a plain path."""
    if line.kind != "magic" or line.name != "run" or line.target:
        return None
    words = line.rest.split()
    first = words[0] if words else ""
    return first if first.endswith(".py") and not re.search(r"[{}$`]", first) else None


def pip_lines(cells: list[Cell]) -> list[tuple[int, int, str, list[str]]]:
    """Each `%pip install`, `!pip install` or `!python -m pip install` line as (cell, line
    in cell, the line, its requirement words); options and their values are left out,
    and so are words Jupyter would fill in (`{x}`, `$x`)."""
    found = []
    for cell in cells:
        for number, line in enumerate(lines_of(cell), 1):
            match = _PIP_CALL.match(line.text.strip()) if line.kind in {"magic", "shell"} \
                and not line.target else None
            if match is not None:
                found.append((cell.number, number, line.text.strip(),
                              _requirement_words(match.group(1))))
    return found


def _requirement_words(args: str) -> list[str]:
    try:
        words = shlex.split(args, comments=True)
    except ValueError:
        words = args.split()
    found: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _PIP_VALUED
        elif "{" not in word and "$" not in word:
            found.append(word)
    return found


# -- running a notebook (the job's own Python runs this file) -------------------------------
EXECUTED_SUFFIX = ".executed.ipynb"


def executed_name(notebook: str) -> str:
    """Where the executed copy of `notebook` is written: beside it, `x.ipynb` ->
    `x.executed.ipynb`."""
    stem = notebook[:-len(".ipynb")] if notebook.endswith(".ipynb") else notebook
    return stem + EXECUTED_SUFFIX


class _Stream(io.TextIOBase):
    """stdout or stderr: written through to the real stream, and kept as the cell's
    stream outputs (consecutive writes to one stream join one output)."""

    def __init__(self, name: str, real: Any, runner: Runner) -> None:
        super().__init__()
        self.name_ = name
        self.real = real
        self.runner = runner

    def write(self, text: str) -> int:
        self.real.write(text)
        self.runner.record_stream(self.name_, text)
        return len(text)

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self.real.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.real, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.real, "errors", None)

    def __getattr__(self, name: str) -> Any:  # `buffer` and the like: the real stream's
        return getattr(self.real, name)


class Runner:
    """Runs a notebook's code cells in order in one `__main__` namespace, keeping each
    cell's outputs in the notebook (`outputs`, `execution_count`)."""

    def __init__(self, notebook: dict[str, Any], name: str) -> None:
        self.notebook = notebook
        self.name = name
        self.outputs: list[dict[str, Any]] = []
        self.cell = 0
        module = types.ModuleType("__main__")
        module.__dict__["__builtins__"] = builtins
        sys.modules["__main__"] = module  # pickle finds the notebook's classes there
        self.namespace = module.__dict__

    def run(self) -> int:
        """Run every code cell; the exit code: 0, the failing cell's 1, or sys.exit's."""
        builtins.__jobpack_nb__ = self  # type: ignore[attr-defined]
        real = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream("stdout", real[0], self), _Stream("stderr", real[1], self)
        count = 0
        code: int | None = None
        try:
            for number, cell in enumerate(self.notebook["cells"], 1):
                if cell["cell_type"] != "code":
                    continue
                if code is not None:  # after a failure: not run, so no outputs
                    cell["outputs"], cell["execution_count"] = [], None
                    continue
                count += 1
                self.cell, self.outputs = number, []
                code = self._run_cell(Cell(number, _text(cell.get("source", "")) or ""), count)
                cell["outputs"], cell["execution_count"] = self.outputs, count
        finally:
            sys.stdout, sys.stderr = real
        return code or 0

    def record_stream(self, name: str, text: str) -> None:
        if self.outputs and self.outputs[-1].get("name") == name:
            self.outputs[-1]["text"] += text
        else:
            self.outputs.append({"name": name, "output_type": "stream", "text": text})

    def _run_cell(self, cell: Cell, count: int) -> int | None:
        import ast
        import linecache

        lines = lines_of(cell)
        filename = f"{self.name}, cell {cell.number}"
        linecache.cache[filename] = (len(cell.source), None,
                                     cell.source.splitlines(True), filename)
        try:
            if lines and lines[0].kind == "cell-magic" and lines[0].name not in PYTHON_BODY:
                self._cell_magic(lines[0], "\n".join(line.text for line in lines[1:]) + "\n")
                return None
            source = "\n".join(_as_run(line) for line in lines) + "\n"
            tree = ast.parse(source, filename)
            last = None
            end = tree.body[-1] if tree.body else None
            if isinstance(end, ast.Expr) and not cell.source.rstrip().endswith(";"):
                tree.body.pop()
                last = ast.Expression(end.value)
            exec(compile(tree, filename, "exec"), self.namespace)
            if last is not None:
                value = eval(compile(last, filename, "eval"), self.namespace)
                if value is not None:
                    self.outputs.append({"data": {"text/plain": repr(value)},
                                         "execution_count": count, "metadata": {},
                                         "output_type": "execute_result"})
        except SystemExit as exc:
            return _exit_code(exc)
        except BaseException as exc:  # the cell's failure ends the run, as in Jupyter
            return self._failed(cell, exc)
        return None

    def _failed(self, cell: Cell, exc: BaseException) -> int:
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        lines = traceback.format_exception(type(exc), exc, tb)
        _say("".join(lines))  # on stderr, and kept as the error output, not as a stream
        self.outputs.append({"ename": type(exc).__name__, "evalue": str(exc),
                             "output_type": "error",
                             "traceback": [line.rstrip("\n") for line in lines]})
        summary = f"{type(exc).__name__}: {exc}".splitlines()[0]
        _say(f"jobpack: {self.name}: cell {cell.number} failed: {summary}\n")
        return 130 if isinstance(exc, KeyboardInterrupt) else 1

    # -- what magics and shell escapes do --------------------------------------------------
    def shell(self, command: str, local: dict[str, Any], capture: bool = False
              ) -> list[str] | None:
        """`!cmd`: run through /bin/sh in the working folder, `{expr}` and `$name` filled
        in from the namespace; `x = !cmd` gets its output lines."""
        command = self._expand(command, local)
        sys.stdout.flush()
        process = subprocess.run(command, shell=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, check=False)
        text = process.stdout.decode("utf-8", "replace")
        if capture:
            return text.splitlines()
        sys.stdout.write(text)
        return None

    def magic(self, name: str, rest: str, local: dict[str, Any]) -> Any:
        """`%name rest`: pip/conda are no-ops (the archive installed the pins), `%cd`,
        `%env` and `%run` do what IPython does; anything else is skipped, said once on
        stderr."""
        rest = self._expand(rest, local)
        if name in {"pip", "pip3", "conda", "mamba"}:
            self._note(f"%{name} skipped: the archive installs the job's requirements")
        elif name == "cd":
            os.chdir(Path(rest.strip() or "~").expanduser())
        elif name == "env":
            return _env(rest)
        elif name == "run":
            self._run_script(rest)
        elif name not in {"time", "timeit"}:
            self._note(f"%{name} skipped (an IPython magic)")
        return None

    def _cell_magic(self, head: Line, body: str) -> None:
        if head.name in {"bash", "sh", "script"}:
            program = head.rest.strip() or "sh" if head.name == "script" else head.name
            sys.stdout.write(subprocess.run([*shlex.split(program)], input=body.encode(),
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            check=False).stdout.decode("utf-8", "replace"))
        elif head.name == "writefile":
            words = shlex.split(head.rest)
            append = "-a" in words or "--append" in words
            named = [w for w in words if not w.startswith("-")]
            if not named:
                raise ValueError("%%writefile names no file")
            path = Path(named[0]).expanduser()
            with path.open("a" if append else "w", encoding="utf-8") as handle:
                handle.write(body)
        else:
            self._note(f"%%{head.name} cell skipped (an IPython cell magic)")

    def _run_script(self, rest: str) -> None:
        import runpy

        words = shlex.split(rest)
        while words and words[0].startswith("-"):  # %run's own options
            words.pop(0)
        if not words:
            raise ValueError("%run names no script")
        saved = sys.argv
        sys.argv = words
        try:
            found = runpy.run_path(words[0], run_name="__main__")
        finally:
            sys.argv = saved
            sys.modules["__main__"] = types.ModuleType("__main__")
            sys.modules["__main__"].__dict__.update(self.namespace)
        self.namespace.update({k: v for k, v in found.items() if not k.startswith("__")})

    def _expand(self, text: str, local: dict[str, Any]) -> str:
        def value(match: Any) -> str:
            if match.group(1) is not None:
                return str(eval(match.group(1), self.namespace, local))
            name = match.group(2)
            found = local.get(name, self.namespace.get(name, match.group(0)))
            return str(found)

        return re.sub(r"\{([^{}]+)\}|\$([A-Za-z_]\w*)", value, text)

    def _note(self, text: str) -> None:
        _say(f"jobpack: {self.name}: cell {self.cell}: {text}\n")


def _as_run(line: Line) -> str:
    """A line as the runner executes it: magics become calls of the runner's methods."""
    call = "__jobpack_nb__"
    if line.kind in {"code", "body"}:
        return line.text
    if line.kind in {"help", "cell-magic"}:
        return f"{line.indent}pass"
    if line.kind == "magic" and line.name in {"time", "timeit"} and not line.target:
        return _as_python(line, False)
    if line.kind == "shell":
        capture = ", True" if line.target else ""
        assign = f"{line.target} = " if line.target else ""
        return f"{line.indent}{assign}{call}.shell({line.rest!r}, locals(){capture})"
    assign = f"{line.target} = " if line.target else ""
    return f"{line.indent}{assign}{call}.magic({line.name!r}, {line.rest!r}, locals())"


def _env(rest: str) -> Any:
    text = rest.strip()
    if not text:
        return dict(os.environ)
    key, sep, value = text.partition("=") if "=" in text else text.partition(" ")
    if not sep:
        return os.environ.get(key)
    os.environ[key.strip()] = value.strip()
    return None


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    _say(f"{exc.code}\n")
    return 1


def _say(text: str) -> None:
    """One line on the process's own stderr (not a cell's captured stream)."""
    stream = sys.__stderr__ or sys.stderr
    stream.write(text)
    stream.flush()


def write_executed(notebook: dict[str, Any], path: str) -> None:
    """The notebook as Jupyter saves it (one-space indent, sorted keys), via a temporary
    file and a rename, so a reader never sees half of it."""
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    temporary = Path(path + ".part")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    """`python notebook.py NOTEBOOK [ARGS]`: run NOTEBOOK's code cells with sys.argv
    `[NOTEBOOK, *ARGS]`, its folder as working folder and sys.path[0]; write the executed
    copy beside it (`executed_name`). A failing cell ends the run: exit 1, its number in
    one stderr line."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write("usage: python notebook.py NOTEBOOK [ARGS]\n")
        return 2
    path = Path(args[0]).absolute()
    try:
        notebook = load(path.read_bytes(), args[0])
    except OSError as exc:
        sys.stderr.write(f"jobpack: {args[0]}: {exc.strerror}\n")
        return 1
    except NotebookError as exc:
        sys.stderr.write(f"jobpack: {exc}\n")
        return 1
    os.chdir(path.parent)
    sys.path[0] = str(path.parent)
    sys.argv = [args[0], *args[1:]]
    runner = Runner(notebook, path.name)
    try:
        code = runner.run()
    finally:
        write_executed(notebook, executed_name(str(path)))
    return code


if __name__ == "__main__":
    sys.exit(main())
