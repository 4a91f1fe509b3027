"""Folders a file puts on `sys.path`, when the expression names one without running code.

Scripts in a subfolder often reach their project's other packages with
`sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))` or
`sys.path.append(str(Path(__file__).resolve().parents[1]))`. The interpreter then finds
those packages, so the walker must too. Both parsers translate such an expression into the
neutral `PathExpr`; `folder_named` reads it with `os.path` / `pathlib` semantics, anchored at
the file (`__file__`) or at the working folder (a relative string), and gives up (None) on
anything else: a name it does not know, an environment variable, a call it cannot model.
A name counts when it was assigned at module level from an expression it can evaluate
(`ROOT = Path(__file__).parent`, `DATA = "data"`); both parsers visit every module-level
statement, so they see the same names. `reads` evaluates the paths of files read alike.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

SYS_PATH_CALLS = frozenset({"sys.path.insert", "sys.path.append"})
# pathlib's, on any receiver
PATH_METHODS = frozenset({"resolve", "absolute", "joinpath", "with_name"})
Anchor = Literal["file", "cwd", "absolute"]
_DEPTH = 32  # folders above the file that `..` may climb before the anchor is lost
_BASE = "/" + "/".join(["_"] * _DEPTH)  # stands for the folder of the file or the cwd
_FILE = _BASE + "/__file__"


@dataclass(frozen=True)
class PathExpr:
    """An expression as far as folders care.

    kind: `file` (`__file__`), `str` (a literal; `value`), `name` (`value`), `call` (a
    function named `value` by its dotted name, `args`), `method` (`value` called on
    `args[0]` with `args[1:]`), `attr` (`args[0].value`), `index` (`args[0][value]`),
    `div` (`args[0] / args[1]`), `concat` (`args` joined as strings: `a + b`, an
    f-string without conversions or format specs).
    """

    kind: Literal["file", "str", "name", "call", "method", "attr", "index", "div", "concat"]
    value: str | int | None = None
    args: tuple[PathExpr, ...] = ()

    def mentions_file(self) -> bool:
        return self.kind == "file" or any(arg.mentions_file() for arg in self.args)


@dataclass(frozen=True)
class Folder:
    """A path known statically: anchored at the file's folder, the working folder, or /."""

    anchor: Anchor
    path: str  # posix: relative to the anchor (absolute for `absolute`)


@dataclass(frozen=True)
class _Text:
    """A string not yet anchored: a relative one is relative to the working folder."""

    text: str


_Value = Folder | _Text
_IDENTITY = frozenset({"str", "os.fspath", "Path", "pathlib.Path", "PurePath",
                       "pathlib.PurePath", "PosixPath", "pathlib.PosixPath"})
_ABSOLUTE = frozenset({"os.path.abspath", "os.path.realpath"})


def folder_named(expr: PathExpr, names: Mapping[str, Folder | str]) -> Folder | None:
    """The folder `expr` names (a relative string is relative to the working folder)."""
    value = _eval(expr, names)
    return None if value is None else _folder(_absolute(value))


def _folder(value: Folder) -> Folder:
    """`value` with its stand-in base taken off: relative to its anchor's folder."""
    if value.anchor == "absolute":
        return value
    return Folder(value.anchor, posixpath.relpath(value.path, _BASE))


def _absolute(value: _Value) -> Folder:
    """Anchored: a relative text is relative to the working folder."""
    if isinstance(value, Folder):
        return Folder(value.anchor, posixpath.normpath(value.path))
    if value.text.startswith("/"):
        return Folder("absolute", posixpath.normpath(value.text))
    return Folder("cwd", posixpath.normpath(posixpath.join(_BASE, value.text)))


def stored(expr: PathExpr, names: Mapping[str, Folder | str]) -> Folder | str | None:
    """What a module-level `NAME = expr` binds, for later `folder_named` calls (None: nothing
    worth remembering)."""
    value = _eval(expr, names)
    if value is None:
        return None
    return value.text if isinstance(value, _Text) else value


def _eval(expr: PathExpr, names: Mapping[str, Folder | str]) -> _Value | None:
    kind = expr.kind
    if kind == "file":
        return Folder("file", _FILE)
    if kind == "str":
        return _Text(expr.value) if isinstance(expr.value, str) else None
    if kind == "name":
        known = names.get(str(expr.value))
        return _Text(known) if isinstance(known, str) else known
    if kind == "index":
        inner = expr.args[0] if expr.args else None
        if inner is None or inner.kind != "attr" or inner.value != "parents" \
                or not isinstance(expr.value, int):
            return None
        return _parents(inner, names, expr.value)
    args = [_eval(arg, names) for arg in expr.args]
    if any(arg is None for arg in args):
        return None
    values: list[_Value] = [a for a in args if a is not None]
    if kind == "call":
        return _call(str(expr.value), values)
    if kind == "method":
        return _call(f".{expr.value}", values)
    if kind == "attr" and expr.value == "parent" and len(values) == 1:
        return _dirname(_absolute(values[0]))
    if kind == "div" and len(values) == 2:
        return _join(values)
    if kind == "concat" and values:
        return _concat(values)
    return None


def _concat(values: list[_Value]) -> _Value | None:
    """Strings joined: only the first part may be a folder (`HERE + "/data.csv"`)."""
    head, rest = values[0], values[1:]
    if not all(isinstance(part, _Text) for part in rest):
        return None
    text = "".join(part.text for part in rest if isinstance(part, _Text))
    if isinstance(head, _Text):
        return _Text(head.text + text)
    return Folder(head.anchor, head.path + text)


def _parents(parents: PathExpr, names: Mapping[str, Folder | str],
             index: int) -> _Value | None:
    """`x.parents[index]`: `parents` is the `x.parents` attribute."""
    inner = _eval(parents.args[0], names) if parents.args else None
    if inner is None or index < 0:
        return None
    folder: _Value = _absolute(inner)
    for _ in range(index + 1):
        folder = _dirname(folder)
    return folder


def _call(func: str, args: list[_Value]) -> _Value | None:
    if func in _IDENTITY and len(args) == 1:
        return args[0]
    if func in ("Path", "pathlib.Path") and not args:
        return _Text(".")
    if func in ("os.path.dirname", ".parent") and len(args) == 1:
        return _dirname(args[0])
    if func in _ABSOLUTE or func in (".resolve", ".absolute"):
        return _absolute(args[0]) if len(args) == 1 else None
    if func == "os.path.normpath" and len(args) == 1:
        value = args[0]
        return _Text(posixpath.normpath(value.text)) if isinstance(value, _Text) \
            else _absolute(value)
    if func in ("os.path.join", ".joinpath") and args:
        return _join(args)
    if func in ("os.getcwd", "Path.cwd", "pathlib.Path.cwd") and not args:
        return Folder("cwd", _BASE)
    if func == ".with_name" and len(args) == 2 and isinstance(args[1], _Text):
        return _join([_dirname(args[0]), args[1]])
    return None


def _dirname(value: _Value) -> _Value:
    if isinstance(value, _Text):
        return _Text(posixpath.dirname(value.text))
    return Folder(value.anchor, posixpath.dirname(value.path))


def _join(values: list[_Value]) -> _Value | None:
    head, rest = values[0], values[1:]
    if not all(isinstance(part, _Text) for part in rest):
        return None
    texts = [part.text for part in rest if isinstance(part, _Text)]
    if isinstance(head, _Text):
        return _Text(posixpath.join(head.text, *texts))
    if any(text.startswith("/") for text in texts):  # an absolute part wins, as in join
        return _Text(posixpath.join(*texts))
    return Folder(head.anchor, posixpath.join(head.path, *texts))
