"""Three-valued evaluation of `if` tests against the target machine.

Both parsers (stdlib `ast` and libcst) translate an `if` test into the small neutral form
below (`Cond`), so one evaluator serves both trees. `evaluate(test, target)` answers True
(the target always takes the branch), False (it never does) or None (cannot tell: the
branch counts as maybe). It understands `sys.version_info`, `sys.platform`, `os.name`,
`platform.system()`/`machine()`, `TYPE_CHECKING` and `not`/`and`/`or` over them; anything
else is None.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from jobpack.target import Target

Truth = bool | None
MAX_DEPTH = 40  # deeper tests are not about the platform: translators answer Unknown


@dataclass(frozen=True)
class Name:
    """`a.b.c`, or `a.b()` for a call without arguments."""

    dotted: str


@dataclass(frozen=True)
class Literal:
    """An int (not bool) or str constant, or a tuple/list/set display of `Cond`s."""

    value: int | str | None = None
    items: tuple[Cond, ...] | None = None


@dataclass(frozen=True)
class Not:
    operand: Cond


@dataclass(frozen=True)
class BoolOp:
    is_and: bool
    values: tuple[Cond, ...]


@dataclass(frozen=True)
class Compare:
    """A single comparison; `op` is the operator's source text (`==`, `not in`, ...)."""

    left: Cond
    op: str
    right: Cond


@dataclass(frozen=True)
class Subscript:
    """`base[index]`, or `base[:upper]` when `index` is None and `is_slice`."""

    base: str | None
    index: Cond | None
    is_slice: bool = False


@dataclass(frozen=True)
class StartsWith:
    """`subject.startswith(arg)` with exactly one positional argument."""

    subject: str | None
    arg: Cond


@dataclass(frozen=True)
class Unknown:
    pass


Cond = Union[Name, Literal, Not, BoolOp, Compare, Subscript, StartsWith, Unknown]  # noqa: UP007 (runs)
UNKNOWN = Unknown()

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_STRINGS = {
    "sys.platform": "linux",
    "os.name": "posix",
    "platform.system()": "Linux",
    "platform.machine()": "x86_64",
}


def is_main_test(test: Cond) -> bool:
    """`__name__ == "__main__"`, in either operand order."""
    if not isinstance(test, Compare) or test.op != "==":
        return False
    operands = {_name_or_str(test.left), _name_or_str(test.right)}
    return operands == {"name:__name__", "str:__main__"}


def is_type_checking(test: Cond) -> bool:
    """`TYPE_CHECKING` (or `typing.TYPE_CHECKING`): false at run time."""
    return isinstance(test, Name) and (
        test.dotted == "TYPE_CHECKING" or test.dotted.endswith(".TYPE_CHECKING"))


def _name_or_str(node: Cond) -> str | None:
    if isinstance(node, Name):
        return f"name:{node.dotted}"
    if isinstance(node, Literal) and isinstance(node.value, str):
        return f"str:{node.value}"
    return None


def evaluate(test: Cond, target: Target) -> Truth:
    """Whether the target takes a branch guarded by `test`."""
    if isinstance(test, Not):
        inner = evaluate(test.operand, target)
        return None if inner is None else not inner
    if isinstance(test, BoolOp):
        return _boolean(test, target)
    if is_type_checking(test):
        return False
    if isinstance(test, Compare):
        return _compare(test, target)
    if isinstance(test, StartsWith):
        return _startswith(test)
    return None


def _boolean(test: BoolOp, target: Target) -> Truth:
    values = [evaluate(v, target) for v in test.values]
    if test.is_and:
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def _startswith(call: StartsWith) -> Truth:
    subject = _STRINGS.get(call.subject or "")
    if subject is None:
        return None
    arg = call.arg
    prefixes = [_string(i) for i in arg.items] if isinstance(arg, Literal) and arg.items \
        is not None else [_string(arg)]
    if any(p is None for p in prefixes):
        return None
    return any(subject.startswith(p) for p in prefixes if p is not None)


def _string(node: Cond) -> str | None:
    return node.value if isinstance(node, Literal) and isinstance(node.value, str) else None


def _compare(test: Compare, target: Target) -> Truth:
    op = test.op
    for subject, literal, flipped in ((test.left, test.right, False),
                                      (test.right, test.left, True)):
        actual = _target_value(subject, target)
        if actual is None:
            continue
        if op in ("in", "not in") and not flipped:
            return _membership(actual, literal, op == "not in")
        func = _OPS.get(op)
        if func is None:
            return None
        value = _literal(literal)
        if value is None:
            return None
        return _apply(_swap(func) if flipped else func, actual, value)
    return None


def _swap(func: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """`func` with its operands swapped, for `(3, 8) <= sys.version_info`."""
    return lambda a, b: func(b, a)


def _membership(actual: object, literal: Cond, negate: bool) -> Truth:
    if not isinstance(literal, Literal) or literal.items is None:
        return None
    values = [_literal(e) for e in literal.items]
    if any(v is None for v in values) or not isinstance(actual, str):
        return None
    return (actual in values) != negate


class _Version:
    """`sys.version_info` (or a prefix of it) when only some of its parts are known."""

    def __init__(self, known: tuple[int, ...], exact: bool) -> None:
        self.known, self.exact = known, exact

    def sign(self, literal: tuple[int, ...]) -> int | None:
        for index, part in enumerate(literal):
            if index >= len(self.known):
                return -1 if self.exact else None
            if self.known[index] != part:
                return -1 if self.known[index] < part else 1
        return 0 if self.exact and len(self.known) == len(literal) else 1


def _apply(func: Callable[[Any, Any], bool], actual: object, value: object) -> Truth:
    if isinstance(actual, _Version):
        if not isinstance(value, tuple):
            return None
        sign = actual.sign(value)
        return None if sign is None else func(sign, 0)
    if type(actual) is not type(value):
        return None
    return func(actual, value)


def _target_value(node: Cond, target: Target) -> object | None:
    parts: tuple[int, ...] = (target.major, target.minor)
    if target.micro is not None:
        parts += (target.micro,)
    if isinstance(node, Subscript):
        return _version_subscript(node, parts) if node.base == "sys.version_info" else None
    if not isinstance(node, Name):
        return None
    name = node.dotted
    if name in _STRINGS:
        return _STRINGS[name]
    if name == "sys.version_info":
        return _Version(parts, exact=False)
    fields = {"major": 0, "minor": 1, "micro": 2}
    if name.startswith("sys.version_info."):
        index = fields.get(name.rsplit(".", 1)[1])
        return parts[index] if index is not None and index < len(parts) else None
    return None


def _version_subscript(node: Subscript, parts: tuple[int, ...]) -> object | None:
    if not node.is_slice:
        position = None if node.index is None else _literal(node.index)
        if isinstance(position, int) and 0 <= position < len(parts):
            return parts[position]
        return None
    upper = None if node.index is None else _literal(node.index)
    if isinstance(upper, int) and upper >= 1:
        return _Version(parts[:upper], exact=upper <= len(parts))
    return None


def _literal(node: Cond) -> object | None:
    if not isinstance(node, Literal):
        return None
    if node.items is not None:
        values = tuple(_literal(e) for e in node.items)
        return values if all(isinstance(v, int) for v in values) else None
    return node.value
