"""The names a stretch of source code refers to, for reachability (`walk/reach.py`).

Found by regular expressions over the text, not by walking every expression node (which
would cost about as much again as parsing): string literals, comments and import
statements are blanked first (keeping their newlines, and what an f-string's braces hold),
then every identifier left counts, keywords aside. So a docstring, an `__all__` list or a
re-export (`from ._base import load_iris`) refers to nothing, while `load_iris(...)`,
`obj.fit` and `@register` do; the name a `def` or `class` binds does not. It
over-approximates what code refers to (a local variable named like a function counts)
and never misses a name that is written out.

Two kinds of written names cannot refer to a library's function, and do not count:
- an attribute of a standard-library module the file imports under its own name
  (`re.compile`, `os.path.join`, `json.load`: the standard library's, not torch's
  `compile` or a library's `load`), unless the file rebinds that name;
- a bare builtin name (`compile(...)`, `open(...)`, `format(...)`) in a file that binds
  that name nowhere (no `def`, import, assignment, `as`, `for`, and no star import):
  there it is the builtin.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Iterable, Sequence

_TRIPLE_DOUBLE = r'"""(?:[^"\\]|\\.|"(?!""))*"""'
_TRIPLE_SINGLE = r"'''(?:[^'\\]|\\.|'(?!''))*'''"
_DOUBLE = r'"(?:[^"\\\n]|\\.)*"'
_SINGLE = r"'(?:[^'\\\n]|\\.)*'"
_STRING = re.compile(rf"(?P<prefix>[rRbBuUfFtT]{{0,2}})(?:{_TRIPLE_DOUBLE}|{_TRIPLE_SINGLE}"
                     rf"|{_DOUBLE}|{_SINGLE})|#[^\n]*", re.DOTALL)
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+(?:\([^)]*\)|[^\n;]*)",
                     re.MULTILINE)
# what a `def` or `class` binds is not a reference to it
_DEFINITION = re.compile(r"\b(?:def|class)[ \t]+[^\W\d]\w*")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_REFERENCE = re.compile(r"(\.[ \t]*)?([^\W\d]\w*)")  # (a dot: it is an attribute, name)
_BRACES = re.compile(r"\{([^{}]*)\}")
_IGNORED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))
# The standard library's top-level modules (any version jobpack runs on: a name that
# left or joined it between versions is never a third-party module's either).
_STDLIB = frozenset(sys.stdlib_module_names)
# `import a.b, c as d`: the statement's body after `import`
_PLAIN_IMPORT = re.compile(r"^[ \t]*import[ \t]+(.*)", re.DOTALL)
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(.*)", re.DOTALL)
# where a name is bound: `name =`, `name: T =`, `name :=`, a keyword argument (counted too:
# it only makes the rule keep a name), `as name`, `for a, name in`, `global name`
# (not from inside a name: such a start never matches where the name's own start did not,
# and trying each one made this the costliest pattern of a cold analysis of torch)
_ASSIGNED = re.compile(r"(?<![^\W\d])([^\W\d]\w*)[ \t]*(?::[^=\n]*)?:?=(?!=)")
_AS_FOR = re.compile(r"\b(?:as|for|global|nonlocal)[ \t]+([^\W\d]\w*(?:[ \t]*,[ \t]*"
                     r"[^\W\d]\w*)*)")
_DEFINED = re.compile(r"\b(?:def|class)[ \t]+([^\W\d]\w*)")
_PARAMETERS = re.compile(r"\b(?:def[ \t]+[^\W\d]\w*[ \t]*\(([^)]*)\)|lambda([^:]*):)")

# (first line, last line, whether the first line is shared with the `def` header), 1-based
Span = tuple[int, int, bool]


def _blank_string(match: re.Match[str]) -> str:
    text = match.group()
    prefix = (match.group("prefix") or "").lower()
    newlines = "\n" * text.count("\n")
    if "f" in prefix or "t" in prefix:  # what the braces hold is code
        return " " + " ".join(_BRACES.findall(text)) + newlines
    return " " + newlines


def _blank_lines(match: re.Match[str]) -> str:
    return "\n" * match.group().count("\n")


def code_only(text: str) -> str:
    """`text` without string literals, comments, import statements and the names `def`
    and `class` bind (lines kept)."""
    return _code(_STRING.sub(_blank_string, text))


def _code(unquoted: str) -> str:
    return _DEFINITION.sub(" ", _IMPORT.sub(_blank_lines, unquoted))


def names_in(text: str, builtins_unbound: frozenset[str] = frozenset()) -> set[str]:
    """The identifiers of code that is already `code_only`, keywords aside, and the bare
    names among `builtins_unbound` aside (an attribute `x.open` of that name counts)."""
    if not builtins_unbound:
        return set(_IDENTIFIER.findall(text)) - _IGNORED
    found = set()
    for dot, name in _REFERENCE.findall(text):
        if dot or name not in builtins_unbound:
            found.add(name)
    return found - _IGNORED


def _identifiers(text: str) -> Iterable[str]:
    return _IDENTIFIER.findall(text)


def _rebound(code: str) -> set[str]:
    """Names `code` (import statements blanked) assigns: `name =`, `as name`, `for name`."""
    found = set(_ASSIGNED.findall(code))
    for group in _AS_FOR.findall(code):
        found.update(_identifiers(group))
    return found


class _Bindings:
    """What the names of one file (strings already blanked) are bound to, as far as the
    two rules above need: its standard-library module aliases (less those a parameter
    anywhere in the file shadows), and the builtins it binds nowhere."""

    def __init__(self, unquoted: str) -> None:
        bound: set[str] = set()
        modules: set[str] = set()
        star = False
        for statement in _IMPORT.findall(unquoted):
            plain = _PLAIN_IMPORT.match(statement)
            if plain is not None:
                for clause in plain[1].strip("()\n ").split(","):
                    module, _, alias = clause.strip().partition(" as ")
                    name = alias.strip() or module.strip().partition(".")[0]
                    bound.add(name)
                    if module.strip().partition(".")[0] in _STDLIB and (
                            not alias.strip() or "." not in module):
                        modules.add(name)
                continue
            names = _FROM_IMPORT.match(statement)
            if names is not None:
                star |= "*" in names[1]
                bound.update(_identifiers(names[1]))
        parameters = {name for groups in _PARAMETERS.findall(unquoted)
                      for name in _identifiers(" ".join(groups))}
        bound |= set(_DEFINED.findall(unquoted)) | parameters \
            | _rebound(_IMPORT.sub(_blank_lines, unquoted))
        self.modules = frozenset(modules - parameters)
        self.unbound_builtins = frozenset() if star else _BUILTINS - bound


def _strip_stdlib_attributes(code: str, modules: Iterable[str]) -> str:
    """`code` with the attribute chains of the stdlib module aliases `modules` cut
    (`re.compile` -> `re`); lines kept."""
    names = "|".join(sorted(map(re.escape, modules)))
    if not names:
        return code
    chain = re.compile(rf"(?<![\w.])({names})((?:[ \t]*\.[ \t]*[^\W\d]\w*)+)")
    return chain.sub(lambda match: match[1], code)


def split_names(source: bytes, spans: Sequence[Span]) -> tuple[str, list[str]]:
    """The names module-level code refers to and those of each function body in `spans`,
    each as one space-separated, sorted string (cheap to cache, split only when needed).
    A line a body shares with its header counts for both. A stdlib alias that module-level
    code rebinds is no alias anywhere; one a function body rebinds, not in that body."""
    unquoted = _STRING.sub(_blank_string, source.decode("utf-8", "replace"))
    bindings = _Bindings(unquoted)
    ignored = bindings.unbound_builtins
    lines = _code(unquoted).split("\n")
    module_level = [True] * (len(lines) + 2)
    for first, last, shared in spans:
        start = first + 1 if shared else first
        if last >= start:
            module_level[start:last + 1] = [False] * (last + 1 - start)
    module = "\n".join(line for number, line in enumerate(lines, 1) if module_level[number])
    aliases = bindings.modules - _rebound(module)
    per_span: list[str] = []
    for first, last, _ in spans:
        body = "\n".join(lines[first - 1:last])
        stripped = _strip_stdlib_attributes(body, aliases - _rebound(body))
        per_span.append(" ".join(sorted(names_in(stripped, ignored))))
    module = _strip_stdlib_attributes(module, aliases)
    return " ".join(sorted(names_in(module, ignored))), per_span
