"""Syntax newer than the target: `match` in a job for 3.9, `type X = int` for 3.11, ...

Both parsers accept more than an old target does (the running interpreter's `ast` reads
its own version's grammar, libcst reads up to 3.14), so the features are looked for in
either tree. Each feature is reported once per file, at its first line, as a
`syntax-newer-than-target` error. Python 2 syntax gets its own words: it is not newer, but
it is what a `print "x"` file usually is.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Callable
from typing import Any

from jobpack.analyzer.facts.collector import Collector
from jobpack.analyzer.facts.model import FileNote
from jobpack.diagnostics import SYNTAX_ERROR, SYNTAX_NEWER_THAN_TARGET
from jobpack.target import Target

NEWEST = (3, 14)  # no feature below needs a newer Python

MATCH = ("`match` statements", (3, 10))
EXCEPT_STAR = ("`except*` clauses", (3, 11))
STAR_SUBSCRIPT = ("star-unpacking in subscripts (PEP 646)", (3, 11))
STAR_ANNOTATION = ("`*args: *Ts` annotations (PEP 646)", (3, 11))
TYPE_ALIAS = ("`type` statements", (3, 12))
TYPE_PARAMS = ("generic parameter lists `[T]` on def and class (PEP 695)", (3, 12))
FSTRING = ("f-strings with quotes, backslashes, comments or newlines inside {} (PEP 701)",
           (3, 12))
BARE_EXCEPT_TUPLE = ("`except A, B:` without parentheses (PEP 758)", (3, 14))
TEMPLATE = ("template strings `t\"...\"` (PEP 750)", (3, 14))

Feature = tuple[str, tuple[int, int]]
Checker = Callable[[Any, Collector[Any]], None]


def needs_check(target: Target) -> bool:
    return (target.major, target.minor) < NEWEST


def message(feature: Feature, target: Target) -> str:
    name, (major, minor) = feature
    return f"{name} need Python {major}.{minor}; the target is {target.python}"


class Reporter:
    def __init__(self, target: Target) -> None:
        self.version = (target.major, target.minor)
        self.target = target
        self.seen: set[str] = set()
        self.newest = (3, 0)  # the newest version any feature found needs

    def report(self, out: Collector[Any], pos: object, feature: Feature) -> None:
        self.newest = max(self.newest, feature[1])
        if feature[1] > self.version and feature[0] not in self.seen:
            self.seen.add(feature[0])
            out.add_note(pos, SYNTAX_NEWER_THAN_TARGET, message(feature, self.target))


# -- the ast tree (what the running Python accepted) ------------------------------------
def ast_checker(target: Target, source: bytes) -> Checker | None:
    """A `check` for `parse_ast.facts_from_ast`, or None when the target reads it all."""
    if not needs_check(target):
        return None
    reporter = Reporter(target)
    lines: list[str] = []

    def text_at(node: Any) -> str:
        if not lines:
            lines.extend(source.decode("utf-8", "replace").splitlines())
        return lines[node.lineno - 1] if node.lineno <= len(lines) else ""

    def check(node: Any, out: Collector[Any]) -> None:
        feature = _ast_feature(node, text_at)
        if feature is not None:
            reporter.report(out, (node.lineno, node.col_offset), feature)

    return check


def _ast_feature(node: Any, text_at: Callable[[Any], str]) -> Feature | None:
    kind = type(node).__name__
    if kind == "Match":
        return MATCH
    if kind == "TryStar":
        return EXCEPT_STAR
    if kind == "TypeAlias":
        return TYPE_ALIAS
    if kind == "TemplateStr":
        return TEMPLATE
    if kind in ("FunctionDef", "AsyncFunctionDef", "ClassDef"):
        if getattr(node, "type_params", None):
            return TYPE_PARAMS
        vararg = getattr(getattr(node, "args", None), "vararg", None)
        if vararg is not None and isinstance(vararg.annotation, ast.Starred):
            return STAR_ANNOTATION
    if kind == "Subscript":
        index = node.slice
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        if any(isinstance(p, ast.Starred) for p in parts):
            return STAR_SUBSCRIPT
    if kind == "ExceptHandler" and isinstance(node.type, ast.Tuple):
        tuple_node = node.type
        text = text_at(tuple_node).encode()
        if text[tuple_node.col_offset: tuple_node.col_offset + 1] != b"(":
            return BARE_EXCEPT_TUPLE
    if kind == "JoinedStr" and sys.version_info >= (3, 12):
        return _ast_fstring(node, text_at)
    return None


def _ast_fstring(node: ast.JoinedStr, text_at: Callable[[Any], str]) -> Feature | None:
    """On 3.12+ `ast` accepts PEP 701 f-strings; their replacement fields hold what an
    older tokenizer refused: the string's own quote, a backslash, a comment, a newline.
    3.12's tokenizer splits f-strings into parts, so the fields are read from tokens."""
    first, last = node.lineno, node.end_lineno or node.lineno
    lines = [text_at(_Line(n)).encode() for n in range(first, last + 1)]
    lines[-1] = lines[-1][: node.end_col_offset]
    lines[0] = lines[0][node.col_offset:]
    text = b"\n".join(lines).decode("utf-8", "replace")
    return FSTRING if _pep701_tokens(text) else None


class _Line:
    def __init__(self, lineno: int) -> None:
        self.lineno = lineno


def _pep701_tokens(text: str) -> bool:
    start, end = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -1)
    middle = getattr(tokenize, "FSTRING_MIDDLE", -1)
    quotes: list[str] = []  # the quote of each f-string we are in
    depth: list[int] = []  # brace depth inside each one's replacement field
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    for token in tokens:
        inside = bool(depth) and depth[-1] > 0
        if inside and token.type in (tokenize.STRING, start) \
                and _quote(token.string).startswith(quotes[-1]):
            return True
        if inside and (token.type == tokenize.COMMENT or (
                token.type in (tokenize.NL, tokenize.NEWLINE) and len(quotes[-1]) == 1)
                or (token.type != middle and "\\" in token.string)):
            return True
        if token.type == start:
            quotes.append(_quote(token.string))
            depth.append(0)
        elif token.type == end and quotes:
            quotes.pop()
            depth.pop()
        elif token.type == tokenize.OP and depth and token.string in "{}":
            depth[-1] += 1 if token.string == "{" else -1
    return False


def _quote(token: str) -> str:
    body = token.lstrip("rRfFbBuUtT")
    return body[:3] if body[:3] in ('"""', "'''") else body[:1]


def fstring_uses_pep701(literal: str) -> bool:
    """`literal` is one f-string token such as `f"{x['a']}"`."""
    body_start = len(literal) - len(literal.lstrip("rRfFbBuU"))
    quote = literal[body_start: body_start + 3]
    quote = quote if quote in ('"""', "'''") else literal[body_start]
    for field in _replacement_fields(literal[body_start + len(quote): -len(quote)]):
        if quote in field or "\\" in field or "#" in field or (len(quote) == 1 and "\n" in field):
            return True
    return False


def _replacement_fields(body: str) -> list[str]:
    fields: list[str] = []
    depth, start, index = 0, 0, 0
    while index < len(body):
        char = body[index]
        if depth == 0 and body.startswith(("{{", "}}"), index):
            index += 2
            continue
        if char == "{":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                fields.append(body[start:index])
        index += 1
    return fields


# -- Python 2 ----------------------------------------------------------------------------
_PY2_MESSAGES = {
    "Missing parentheses in call to 'print'": ("the `print` statement", "call print(...)"),
    "Missing parentheses in call to 'exec'": ("the `exec` statement", "call exec(...)"),
    "multiple exception types must be parenthesized": ("`except X, e:`",
                                                       "write `except X as e:`"),
    "leading zeros in decimal integer literals": ("octal literals like `0777`", "write 0o777"),
}


def python2_message(what: str, target: Target, fix: str) -> str:
    return f"{what} is Python 2 syntax ({fix}); the target is Python {target.python}"


def python2_note(error: SyntaxError, target: Target) -> FileNote | None:
    """A syntax error that is Python 2 code, said so; None for any other error."""
    line = error.lineno or 1
    msg, text = error.msg or "", error.text or ""
    for start, (what, fix) in _PY2_MESSAGES.items():
        if msg.startswith(start):
            return FileNote.of(SYNTAX_ERROR, line, python2_message(what, target, fix))
    if "`" in text:
        return FileNote.of(SYNTAX_ERROR, line,
                           python2_message("backquotes `x`", target, "call repr(x)"))
    if "<>" in text:
        return FileNote.of(SYNTAX_ERROR, line,
                           python2_message("the `<>` operator", target, "write !="))
    return None
