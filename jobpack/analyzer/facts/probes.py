"""Type probes: an import that a function only tests values against.

networkx's `to_networkx_graph(data)` does, whatever `data` is:

    try:
        import pandas as pd
        if isinstance(data, pd.DataFrame):
            return nx.from_pandas_adjacency(data)   # (simplified)
    except ImportError:
        warnings.warn("pandas not found, skipping conversion test.", ImportWarning)

`data` can be a DataFrame only if pandas was imported already, by whatever made it. So
the body under the test runs only when something else imports pandas. Without pandas,
the `except` swallows the failed import, and the function goes on as it would for any
other value. The body is *gated* on pandas: its names and imports count once the walk
reaches pandas by another way, never because of the probe (docs/reachability.md, rule
11).

The shape is read from the text (strings and comments blanked, as `names` has it), so
both parsers give the same facts. Anything else is not a probe, and the import stays an
ordinary guarded one. Each of these must hold:
- a single-line absolute `import a.b [as x]` or `from a.b import C [as x]`, directly in a
  `try:` body, in a function;
- one of the `try`'s handlers catches a failed import (`ImportError`,
  `ModuleNotFoundError`, `Exception`, or a bare `except:`), and no handler raises;
- every other use of the bound name in the function is the class argument of a one-line
  `if isinstance(v, x.C):` or `elif issubclass(v, (x.C, x.D)):` inside that `try` body
  (every class of a tuple from the probed module), or lies inside the body of such a test,
  or is the class argument of a one-line `return isinstance(v, x.C)` in that body (a
  predicate such as transformers' `is_torch_fx_proxy`: without the package the handler
  answers as the test would, and only the import is gated).
The collector then leaves out a standard-library module: it gates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = r"[A-Za-z_]\w*"
_DOTTED = rf"{_WORD}(?:\.{_WORD})*"
_IMPORT = re.compile(rf"\s*import\s+({_DOTTED})(?:\s+as\s+({_WORD}))?\s*$")
_FROM = re.compile(rf"\s*from\s+({_DOTTED})\s+import\s+({_WORD})(?:\s+as\s+({_WORD}))?\s*$")
_TRY = re.compile(r"\s*try\s*:\s*$")
_EXCEPT = re.compile(r"\s*except\b")
_CATCHES = re.compile(r"\s*except\s*:|.*\b(?:ImportError|ModuleNotFoundError|Exception"
                      r"|BaseException)\b")
_RAISE = re.compile(r"\braise\b")
_TEST = re.compile(rf"\s*(?:el)?if\s+(?:isinstance|issubclass)\(\s*{_DOTTED}\s*,\s*"
                   r"(.+?)\s*\)\s*:\s*$")
_RETURN_TEST = re.compile(rf"\s*return\s+(?:isinstance|issubclass)\(\s*{_DOTTED}\s*,\s*"
                          r"(.+?)\s*\)\s*$")


@dataclass(frozen=True)
class Probe:
    """`gate`: the top-level package the values are tested against (`pandas`); `regions`:
    the first and last line of each body under a test."""

    gate: str
    regions: tuple[tuple[int, int], ...]


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _block_end(lines: Sequence[str], header: int, last: int) -> int:
    """The last line of the block under the header on line `header` (1-based; through
    `last` at most): the lines after it indented deeper; blank lines do not end it."""
    depth = _indent(lines[header - 1])
    end = header
    for number in range(header + 1, last + 1):
        text = lines[number - 1]
        if not text.strip():
            continue
        if _indent(text) <= depth:
            break
        end = number
    return end


def _bound(text: str) -> tuple[str, str] | None:
    """The module and the name a one-line absolute import binds."""
    found = _IMPORT.match(text)
    if found:
        module = found[1]
        return module, found[2] or module.partition(".")[0]
    found = _FROM.match(text)
    if found:
        return found[1], found[3] or found[2]
    return None


def _enclosing_try(lines: Sequence[str], line: int, first: int) -> int | None:
    """The line of the `try:` whose body holds line `line` directly, if that is what the
    nearest less indented line above is."""
    depth = _indent(lines[line - 1])
    for number in range(line - 1, first - 1, -1):
        text = lines[number - 1]
        if text.strip() and _indent(text) < depth:
            return number if _TRY.match(text) else None
    return None


def _swallows(lines: Sequence[str], body_end: int, depth: int, last: int) -> bool:
    """Whether the handlers after a `try` body (ending on `body_end`, the `try` indented
    `depth`) catch a failed import and none of them raises."""
    caught = False
    number = body_end + 1
    while number <= last:
        text = lines[number - 1]
        if not text.strip():
            number += 1
            continue
        if _indent(text) != depth or not _EXCEPT.match(text):
            break
        end = _block_end(lines, number, last)
        if any(_RAISE.search(lines[n - 1]) for n in range(number, end + 1)):
            return False
        caught = caught or bool(_CATCHES.match(text))
        number = end + 1
    return caught


def _tests_only(classes: str, name: str) -> bool:
    """Whether an isinstance test's class argument names only classes of `name`."""
    single = re.compile(rf"{re.escape(name)}(?:\.{_WORD})*")
    if single.fullmatch(classes):
        return True
    if not (classes.startswith("(") and classes.endswith(")")):
        return False
    items = [item.strip() for item in classes[1:-1].split(",")]
    if items and not items[-1]:
        items.pop()  # `(x.A,)`
    return bool(items) and all(single.fullmatch(item) for item in items)


def find_probe(lines: Sequence[str], line: int, span: tuple[int, int]) -> Probe | None:
    """The probe the import on `line` is, or None. `lines`: the file's lines with strings
    and comments blanked; `span`: the first (its `def`) and last line of the function
    holding the import."""
    first, last = span
    bound = _bound(lines[line - 1])
    if bound is None:
        return None
    module, name = bound
    try_line = _enclosing_try(lines, line, first)
    if try_line is None:
        return None
    body_end = _block_end(lines, try_line, last)
    if not _swallows(lines, body_end, _indent(lines[try_line - 1]), last):
        return None
    use = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    tests: list[int] = []
    answers: list[int] = []  # `return isinstance(v, x.C)`: a test with no body
    uses: list[int] = []
    for number in range(first, last + 1):
        if number == line or not use.search(lines[number - 1]):
            continue
        uses.append(number)
        if not try_line < number <= body_end:
            continue
        found = _TEST.match(lines[number - 1])
        if found and _tests_only(found[1], name):
            tests.append(number)
            continue
        found = _RETURN_TEST.match(lines[number - 1])
        if found and _tests_only(found[1], name):
            answers.append(number)
    regions = [(number + 1, _block_end(lines, number, last)) for number in tests]
    regions = [(start, end) for start, end in regions if end >= start]
    if len(regions) < len(tests) or not (regions or answers):
        return None
    for number in uses:
        if number not in tests and number not in answers \
                and not any(a <= number <= b for a, b in regions):
            return None
    return Probe(module.partition(".")[0], tuple(regions))
