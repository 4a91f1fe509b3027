"""What a module's `__dir__` (PEP 562) leaves out of `dir(module)`.

Code that enumerates a module's attributes (`for n in dir(mod): getattr(mod, n)`) asks
its `__getattr__` only for the names `dir` lists, and a module `__dir__` decides those.
What it returns is computed at run time (numpy's: `globals().keys() | submodules`), but
the names it takes out are written as literals: `public_symbols -= {"distutils", ...}`,
`names - {"x"}`, `[n for n in names if n not in ("x",)]`, `names.discard("x")`. Those
names are never enumerated, so the imports `__getattr__` holds for them run only when
code names them (`np.distutils`), not for a `dir` loop (`walk/reach.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from textwrap import dedent

_REMOVERS = frozenset({"discard", "remove", "difference", "difference_update", "pop"})


def left_out(source: str) -> tuple[str, ...]:
    """The string literals that `source` (a `def __dir__` with its body) takes out of
    what it returns, sorted; () when it does not parse."""
    try:
        tree = ast.parse(dedent(source))
    except (SyntaxError, ValueError):
        return ()
    found: set[str] = set()
    for node in ast.walk(tree):
        for removed in _removed(node):
            found.update(_strings(removed))
    return tuple(sorted(found))


def _removed(node: ast.AST) -> Iterator[ast.AST]:
    """The operands `node` removes from a collection of names."""
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Sub):
        yield node.right if isinstance(node, ast.BinOp) else node.value
    elif isinstance(node, ast.Compare):
        yield from (right for op, right in zip(node.ops, node.comparators, strict=True)
                    if isinstance(op, ast.NotIn))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in _REMOVERS:
        yield from node.args


def _strings(node: ast.AST) -> Iterator[str]:
    """The string constants written in `node` (a literal, a set, a tuple...)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str) \
                and child.value.isidentifier():
            yield child.value
