"""Notebooks as entry points, for the analyzer (docs/notebooks.md).

A `.ipynb` is read as the Python its code cells hold (`jobpack.notebook` splits the
cells; magics and shell escapes become `pass`, so every line keeps its place), its
`%pip install` lines are declared requirements, and what is said about it names a cell
and a line in that cell. `cmd` tools that run notebooks (`jupyter nbconvert`, `papermill`)
bring their distributions as declared requirements too.

Declared requirements are read the way a PEP 723 block's dependencies are: pinned to the
installed version when it satisfies them (with what that version requires), else shipped
as written, with a diagnostic. Unlike a PEP 723 block they add to what the imports need:
a notebook installs with `%pip` only what its kernel lacks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Parsed
from packaging.utils import canonicalize_name

from jobpack import diagnostics as codes
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.errors import NotebookFormatError
from jobpack.files import read_regular
from jobpack.layout import with_notebook_executor
from jobpack.manifest import DataFile, Diagnostic, Requirement
from jobpack.notebook import (
    Cell,
    NotebookError,
    code_cells,
    load,
    pip_lines,
    python_source,
)

SUFFIX = ".ipynb"


def is_notebook(path: Path | str) -> bool:
    return str(path).endswith(SUFFIX)


def read_cells(data: bytes, shown: str) -> list[Cell]:
    """The notebook's code cells; a file that is no nbformat 4 notebook is one
    `NotebookFormatError` naming it."""
    try:
        return code_cells(load(data, shown))
    except NotebookError as exc:
        message = str(exc).removeprefix(f"{shown}: ")
        raise NotebookFormatError(message, path=shown) from None


def notebook_python(data: bytes, shown: str) -> bytes:
    """The Python the analysis reads for a notebook: its code cells, one after another."""
    source, _ = python_source(read_cells(data, shown))
    return source.encode("utf-8")


@functools.lru_cache(maxsize=64)
def _places(file: Path, size: int, mtime: int) -> tuple[tuple[int, int], ...]:
    del size, mtime  # the cache key only: an edited notebook is read again
    _, where = python_source(read_cells(read_regular(file), str(file)))
    return tuple(where)


def place(file: Path, line: int) -> tuple[int, int] | None:
    """(cell, line in that cell) of line `line` of the notebook's analysed Python."""
    status = file.stat()
    where = _places(file, status.st_size, status.st_mtime_ns)
    return where[line - 1] if 0 < line <= len(where) else None


def placed(diagnostics: Iterable[Diagnostic], sources: Mapping[str, Path],
           ) -> tuple[Diagnostic, ...]:
    """`diagnostics` with those about a line of a notebook said as `cell N, line M`: a
    notebook has no lines of Python of its own, its cells do."""
    notebooks = {rel: file for rel, file in sources.items() if is_notebook(file)}
    result = []
    for said in diagnostics:
        file = notebooks.get(said.path or "")
        found = place(file, said.line) if file is not None and said.line else None
        result.append(said if found is None else replace(
            said, line=None, message=f"cell {found[0]}, line {found[1]}: {said.message}"))
    return tuple(result)


@dataclass(frozen=True)
class Declared:
    """A requirement the job declares outside its imports: a `%pip install` word or a
    tool `cmd` runs; `reason` is what `required_by` says."""

    text: str
    reason: str
    path: str | None = None
    message_prefix: str = ""
    tool: bool = False


def declared_in(file: Path, name: str) -> tuple[list[Declared], list[Diagnostic]]:
    """The `%pip install` words of the notebook `file` (shown as `name`)."""
    found: list[Declared] = []
    notes: list[Diagnostic] = []
    for cell, line, text, words in pip_lines(read_cells(read_regular(file), name)):
        where = f"cell {cell}, line {line}: "
        if " -r " in f" {text} " or "--requirement" in text:
            notes.append(codes.NOTEBOOK_MAGIC.at(name, None, where + (
                f"{text!r}: a requirements file named in a notebook is not read; list it "
                "in the config's requirements-file or %pip install the names")))
        found += [Declared(word, f"{name} cell {cell} (%pip install)", name, where)
                  for word in words]
    return found, notes


def split_declared(declared: Sequence[Declared], index: DistributionIndex,
                   ) -> tuple[list[tuple[str, tuple[str, ...], str]], list[Requirement],
                              list[Diagnostic]]:
    """Declared requirements as roots to pin with their closure (installed, and the
    installed version satisfies them: name, extras, reason), requirements shipped as
    written (not installed, another version, a URL), and what is said about them."""
    roots: list[tuple[str, tuple[str, ...], str]] = []
    unpinned: list[Requirement] = []
    notes: list[Diagnostic] = []
    for item in declared:
        try:
            parsed = Parsed(item.text)
        except InvalidRequirement:
            notes.append(codes.NOTEBOOK_MAGIC.at(item.path, None, item.message_prefix + (
                f"{item.text!r} is not a requirement jobpack can read (a path or an "
                "option); it is not shipped")))
            continue
        name = canonicalize_name(parsed.name)
        extras = tuple(sorted(parsed.extras))
        installed = index.get(name)
        if parsed.url is None and installed is not None and installed.version and \
                parsed.specifier.contains(installed.version, prereleases=True):
            roots.append((name, extras, item.reason))
            continue
        unpinned.append(Requirement(
            name=name, version="", direct=True, required_by=(item.reason,),
            marker=str(parsed.marker) if parsed.marker else None, url=parsed.url,
            extras=extras, specifier=str(parsed.specifier) or None))
        if parsed.url is None:
            notes.append(_unmatched(item, name, installed.version if installed else None))
    return roots, unpinned, notes


def _unmatched(item: Declared, name: str, version: str | None) -> Diagnostic:
    if item.tool:
        return codes.NOTEBOOK_TOOL_NOT_INSTALLED.note(
            f"{item.reason} needs {item.text}, which is not installed here; it is shipped "
            "unpinned and pip resolves it on the target")
    if version is None:
        return codes.NOTEBOOK_PIP_NOT_INSTALLED.at(item.path, None, item.message_prefix + (
            f"{item.text!r} is not installed in the analysed environment; it is shipped "
            "unpinned"))
    return codes.NOTEBOOK_PIP_MISMATCH.at(item.path, None, item.message_prefix + (
        f"{item.text!r} is declared but {name} {version} is installed; it is shipped "
        "as written, unpinned"))


def placed_site(site: str, sources: Mapping[str, Path]) -> str:
    """`site` (`train.ipynb:8`, a line of a notebook's analysed Python) said as the cell
    and line it is (`train.ipynb cell 2, line 3`); any other `file:line` unchanged."""
    path, _, line = site.rpartition(":")
    file = sources.get(path)
    found = place(file, int(line)) if file is not None and is_notebook(file) and \
        line.isdigit() else None
    return f"{path} cell {found[0]}, line {found[1]}" if found else site


def placed_reasons(requirements: Iterable[Requirement], sources: Mapping[str, Path],
                   ) -> tuple[Requirement, ...]:
    """`requirements` whose `required_by` names a line of a notebook as its cell and line."""
    if not any(is_notebook(file) for file in sources.values()):
        return tuple(requirements)
    return tuple(replace(r, required_by=tuple(sorted({placed_site(x, sources)
                                                      for x in r.required_by})))
                 for r in requirements)


def placed_reads(files: Iterable[DataFile], sources: Mapping[str, Path],
                 ) -> tuple[DataFile, ...]:
    """`files` whose `read_by` names a line of a notebook as its cell and line."""
    return tuple(replace(f, read_by=tuple(sorted({placed_site(x, sources)
                                                  for x in f.read_by}))) for f in files)


def executor_argv(argv: list[str]) -> list[str]:
    """`argv` with jobpack's notebook executor put before each notebook a python runs
    (`python X.ipynb` -> `python .../jobpack/notebook.py X.ipynb`, also in a `/bin/sh
    -c` line), as the runner does; any other argv unchanged. For `jobpack trace`."""
    import jobpack.notebook

    return with_notebook_executor(argv, jobpack.notebook.__file__) or argv
