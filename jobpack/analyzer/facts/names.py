"""The names a stretch of source code refers to, for reachability (`walk/reach.py`).

Found by regular expressions over the text, not by walking every expression node (which
would cost about as much again as parsing): string literals, comments and import
statements are blanked first (keeping their newlines, and what an f-string's braces hold),
then every identifier left counts, keywords aside. So a docstring, an `__all__` list or a
re-export (`from ._base import load_iris`) refers to nothing, while `load_iris(...)`,
`obj.fit` and `@register` do; the name a `def` or `class` binds does not. It
over-approximates what code refers to (a local variable named like a function counts)
and never misses a name that is written out.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

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
_BRACES = re.compile(r"\{([^{}]*)\}")
_IGNORED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}

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
    return _DEFINITION.sub(" ", _IMPORT.sub(_blank_lines, _STRING.sub(_blank_string, text)))


def names_in(text: str) -> set[str]:
    """The identifiers of code that is already `code_only`, keywords aside."""
    return set(_IDENTIFIER.findall(text)) - _IGNORED


def split_names(source: bytes, spans: Sequence[Span]) -> tuple[str, list[str]]:
    """The names module-level code refers to and those of each function body in `spans`,
    each as one space-separated, sorted string (cheap to cache, split only when needed).
    A line a body shares with its header counts for both."""
    lines = code_only(source.decode("utf-8", "replace")).split("\n")
    module_level = [True] * (len(lines) + 2)
    per_span: list[str] = []
    for first, last, shared in spans:
        per_span.append(" ".join(sorted(names_in("\n".join(lines[first - 1:last])))))
        start = first + 1 if shared else first
        if last >= start:
            module_level[start:last + 1] = [False] * (last + 1 - start)
    module = "\n".join(line for number, line in enumerate(lines, 1) if module_level[number])
    return " ".join(sorted(names_in(module))), per_span
