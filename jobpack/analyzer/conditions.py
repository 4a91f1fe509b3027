"""Three-valued evaluation of `if` tests against the target machine.

`evaluate(test, target)` answers True (the target always takes the branch), False (it
never does) or None (cannot tell: the branch counts as maybe). It understands
`sys.version_info`, `sys.platform`, `os.name`, `platform.system()`/`machine()`,
`TYPE_CHECKING` and `not`/`and`/`or` over them; anything else is None.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import libcst as cst

from jobpack.target import Target

Truth = bool | None
_OPS: dict[type[cst.BaseCompOp], Callable[[Any, Any], bool]] = {
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
    cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le,
    cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}
_STRINGS = {
    "sys.platform": "linux",
    "os.name": "posix",
    "platform.system()": "Linux",
    "platform.machine()": "x86_64",
}


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, `a.b()` for a call without arguments."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    if isinstance(node, cst.Call) and not node.args:
        base = dotted_name(node.func)
        return None if base is None else f"{base}()"
    return None


def is_main_test(test: cst.BaseExpression) -> bool:
    """`__name__ == "__main__"`, in either operand order."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    operands = {_literal_or_name(test.left), _literal_or_name(target.comparator)}
    return operands == {"name:__name__", "str:__main__"}


def _literal_or_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return f"name:{node.value}"
    value = string_value(node)
    return None if value is None else f"str:{value}"


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non-f) string literal, else None."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        try:
            value = node.evaluated_value
        except Exception:  # libcst raises for odd literals; such a string is not static
            return None
        return value if isinstance(value, str) else None
    return None


def evaluate(test: cst.BaseExpression, target: Target) -> Truth:
    """Whether the target takes a branch guarded by `test`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = evaluate(test.expression, target)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        return _boolean(test, target)
    name = dotted_name(test)
    if name is not None and (name == "TYPE_CHECKING" or name.endswith(".TYPE_CHECKING")):
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        return _compare(test.left, test.comparisons[0], target)
    if isinstance(test, cst.Call):
        return _startswith(test)
    return None


def _boolean(test: cst.BooleanOperation, target: Target) -> Truth:
    left, right = evaluate(test.left, target), evaluate(test.right, target)
    if isinstance(test.operator, cst.And):
        if left is False or right is False:
            return False
        return True if left and right else None
    if left is True or right is True:
        return True
    return False if left is False and right is False else None


def _startswith(call: cst.Call) -> Truth:
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "startswith"):
        return None
    subject = _STRINGS.get(dotted_name(func.value) or "")
    if subject is None or len(call.args) != 1:
        return None
    arg = call.args[0].value
    prefixes: list[str | None]
    if isinstance(arg, cst.Tuple):
        prefixes = [string_value(e.value) for e in arg.elements]
    else:
        prefixes = [string_value(arg)]
    if any(p is None for p in prefixes):
        return None
    return any(subject.startswith(p) for p in prefixes if p is not None)


def _compare(left: cst.BaseExpression, comp: cst.ComparisonTarget, target: Target) -> Truth:
    op, right = comp.operator, comp.comparator
    for subject, literal, flipped in ((left, right, False), (right, left, True)):
        actual = _target_value(subject, target)
        if actual is None:
            continue
        if isinstance(op, cst.In | cst.NotIn) and not flipped:
            return _membership(actual, literal, isinstance(op, cst.NotIn))
        func = _OPS.get(type(op))
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


def _membership(actual: object, literal: cst.BaseExpression, negate: bool) -> Truth:
    if not isinstance(literal, cst.Tuple | cst.List | cst.Set):
        return None
    values = [_literal(e.value) for e in literal.elements]
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


def _target_value(node: cst.BaseExpression, target: Target) -> object | None:
    name = dotted_name(node)
    if name in _STRINGS:
        return _STRINGS[name]
    parts: tuple[int, ...] = (target.major, target.minor)
    if target.micro is not None:
        parts += (target.micro,)
    if name == "sys.version_info":
        return _Version(parts, exact=False)
    fields = {"major": 0, "minor": 1, "micro": 2}
    if name is not None and name.startswith("sys.version_info."):
        index = fields.get(name.rsplit(".", 1)[1])
        return parts[index] if index is not None and index < len(parts) else None
    if isinstance(node, cst.Subscript) and dotted_name(node.value) == "sys.version_info":
        return _version_subscript(node, parts)
    return None


def _version_subscript(node: cst.Subscript, parts: tuple[int, ...]) -> object | None:
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index):
        position = _literal(index.value)
        if isinstance(position, int) and 0 <= position < len(parts):
            return parts[position]
        return None
    if isinstance(index, cst.Slice) and index.lower is None and index.step is None:
        upper = _literal(index.upper) if index.upper is not None else None
        if isinstance(upper, int) and upper >= 1:
            return _Version(parts[:upper], exact=upper <= len(parts))
    return None


def _literal(node: cst.BaseExpression) -> object | None:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    if isinstance(node, cst.Tuple):
        values = tuple(_literal(e.value) for e in node.elements)
        return values if all(isinstance(v, int) for v in values) else None
    return string_value(node)
