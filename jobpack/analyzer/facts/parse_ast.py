"""The fast path: the running interpreter's `ast` (C speed) -> `FileFacts`.

Used whenever the running Python accepts the file. The traversal keeps an explicit stack,
so a deeply nested or very long expression never meets Python's recursion limit. It also
skips what cannot hold a fact: a statement whose lines never say `import` or `__all__` is
not entered, and expressions are only searched in statements whose lines name
`__import__`, `import_module` or `__all__`. Unless `full`: then every node is visited (for
the syntax-version check, or when `from importlib import import_module as x` makes any
call a possible dynamic import).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

from jobpack.analyzer.facts import conditions as c
from jobpack.analyzer.facts.collector import MODULE, Arg, Collector, Context, catches_import_error
from jobpack.analyzer.facts.conditions import Cond
from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.reads import READ_WORDS, ReadCall, is_read_name
from jobpack.analyzer.facts.syspath import PATH_METHODS, SYS_PATH_CALLS, PathExpr
from jobpack.target import Target

Pos = tuple[int, int]
Stack = list[tuple[Any, Context, bool]]  # node, its context, whether to search expressions
_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.Try, ast.With,
           ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.Match,
           *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
# words, anywhere in a line (inside a longer name too), that make the line worth a look:
# for a statement (`import` and `__file__`, then these) or for its expressions (the
# `import` of `__import__` and `import_module`, then these)
_WORDS = (b"__all__", b"sys.path", *READ_WORDS)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# nodes without a handler whose children, if any, are such nodes too (a name's context,
# an operator): visiting one adds nothing, so only the syntax check, which sees every
# node, needs them (they were a third of the nodes a walk visited)
_LEAVES = frozenset({ast.Constant, ast.Name, *ast.expr_context.__subclasses__(),
                     *ast.operator.__subclasses__(), *ast.boolop.__subclasses__(),
                     *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__()})
ALIASED_IMPORTER = re.compile(rb"import_module\s+as\b")
# libcst keeps an f-string's text as written: text that came from an escape is left alone
ESCAPED = re.compile(r"[\\\x00-\x1f\x7f]")


def facts_from_ast(tree: ast.Module, target: Target, source: bytes, *, full: bool,
                   check: Callable[[ast.AST, Collector[Pos]], None] | None = None) -> FileFacts:
    """The facts of a parsed module; `check` sees every node (only with `full`)."""
    walker = _Walker(target, source, full, check)
    walker.run(tree)
    return walker.out.facts(_identity, source)


def _identity(pos: Pos) -> Pos:
    return pos


def _fact_and_call_lines(source: bytes) -> tuple[list[int], list[int]]:
    """The lines worth a look for a statement and for its expressions (see `_WORDS`).
    Each word is found with `bytes.find`, once for both: one regular expression of all of
    them tried every alternative at every offset, a tenth of a cold analysis' parsing
    CPU, and finding each word for each list again was a thirtieth of reading a file."""
    shared = _starts(_WORDS, source)
    imports = _starts((b"import",), source)
    # `__import__` and `import_module` hold `import`: kept where they are written
    calls = [at for at in imports if source.startswith(b"import_module", at)
             or (at >= 2 and source.startswith(b"__import__", at - 2))]
    facts = _line_numbers([*shared, *imports, *_starts((b"__file__",), source)], source)
    return facts, _line_numbers(shared + calls, source)


def _starts(words: Sequence[bytes], source: bytes) -> list[int]:
    """Where each of `words` starts in `source` (overlaps too), in no particular order."""
    starts: list[int] = []
    for word in words:
        at = source.find(word)
        while at != -1:
            starts.append(at)
            at = source.find(word, at + 1)
    return starts


def _line_numbers(starts: list[int], source: bytes) -> list[int]:
    """The lines (1-based, ascending, each once) of the offsets `starts` of `source`."""
    starts.sort()
    found: list[int] = []
    line, last = 1, 0
    for start in starts:
        line += source.count(b"\n", last, start)
        last = start
        if not found or found[-1] != line:
            found.append(line)
    return found


def _spans(lines: list[int], node: Any) -> bool:
    """Whether one of `lines` falls within `node`'s lines (its decorators' included)."""
    decorators = getattr(node, "decorator_list", None)
    first = decorators[0].lineno if decorators else node.lineno
    index = bisect_left(lines, first)
    return index < len(lines) and lines[index] <= (node.end_lineno or node.lineno)


class _Walker:
    def __init__(self, target: Target, source: bytes, full: bool,
                 check: Callable[[ast.AST, Collector[Pos]], None] | None) -> None:
        self.target, self.full, self.check = target, full, check
        self.source = source
        # the length of `source` before each line, its newlines left out (`_shares_line`)
        self._before_line: list[int] | None = None
        self.fact_lines, self.call_lines = ([], []) if full else _fact_and_call_lines(source)
        self.out: Collector[Pos] = Collector(target)
        self.handlers: dict[type, Callable[[Any, Context, Stack, bool], None]] = {
            ast.Import: self._import, ast.ImportFrom: self._import_from, ast.If: self._if,
            ast.Try: self._try, ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function, ast.ClassDef: self._class,
            ast.Assign: self._assign, ast.AugAssign: self._assign, ast.AnnAssign: self._assign,
            ast.Call: self._call, ast.Lambda: self._lambda,
        }
        try_star = getattr(ast, "TryStar", None)
        if try_star is not None:
            self.handlers[try_star] = self._try

    def run(self, tree: ast.Module) -> None:
        full, check, handlers = self.full, self.check, self.handlers
        stack: Stack = [(node, MODULE, full) for node in reversed(tree.body)]
        fact_lines, call_lines = self.fact_lines, self.call_lines
        leaves = _LEAVES if check is None else frozenset()
        while stack:
            node, ctx, deep = stack.pop()
            if type(node) in leaves:
                continue
            if not deep and isinstance(node, ast.stmt):
                # a `def` or a block that may hold one is entered outside functions, and
                # module-level statements are always seen: they bind the names paths use
                if not _spans(fact_lines, node) \
                        and (ctx.function or not isinstance(node, _BLOCKS)) \
                        and (ctx.scope != "module" or isinstance(node, _DEFINITIONS)):
                    continue  # nothing in it can be an import, `__all__`, a `def` or a read
                deep = _spans(call_lines, node)
            if check is not None:
                check(node, self.out)
            handler = handlers.get(type(node))
            if handler is not None:
                handler(node, ctx, stack, deep)
            elif deep:
                stack.extend([(child, ctx, full or not isinstance(child, ast.stmt))
                              for child in reversed(_children(node))])
            else:
                for name in _STATEMENT_FIELDS:
                    self._body(stack, getattr(node, name, ()), ctx)

    def _shares_line(self, node: ast.stmt) -> bool:
        """Whether `node`, a body's first statement, starts on its header's line."""
        if self._before_line is None:  # summed in C (one per line), the last line's left out
            self._before_line = list(accumulate(map(len, self.source.split(b"\n")[:-1]),
                                                initial=0))
        start = self._before_line[node.lineno - 1] + node.lineno - 1  # with its newlines
        return bool(self.source[start:start + node.col_offset].strip())

    def _body(self, stack: Stack, nodes: Sequence[Any], ctx: Context) -> None:
        full = self.full
        stack.extend([(node, ctx, full) for node in reversed(nodes)])

    # -- statements ------------------------------------------------------------------------
    def _import(self, node: ast.Import, ctx: Context, stack: Stack, deep: bool) -> None:
        pos = (node.lineno, node.col_offset)
        for alias in node.names:
            self.out.add_import(pos, alias.name, ctx)
            self.out.add_import_alias(alias.name, alias.asname)

    def _import_from(self, node: ast.ImportFrom, ctx: Context, stack: Stack,
                     deep: bool) -> None:
        module, level = node.module or "", node.level or 0
        if len(node.names) == 1 and node.names[0].name == "*":
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(alias.name for alias in node.names)
            for alias in node.names:
                self.out.add_from_alias(module, level, alias.name, alias.asname)
        self.out.add_import((node.lineno, node.col_offset), module, ctx, "from", names, level,
                            tuple(alias.asname for alias in node.names))

    def _if(self, node: ast.If, ctx: Context, stack: Stack, deep: bool) -> None:
        body, orelse = ctx.branches(to_cond(node.test), self.target)
        self._body(stack, node.orelse, orelse)
        self._body(stack, node.body, body)
        if deep:
            stack.append((node.test, ctx, True))

    def _try(self, node: ast.Try, ctx: Context, stack: Stack, deep: bool) -> None:
        self._body(stack, node.finalbody, ctx)
        self._body(stack, node.orelse, ctx)
        caught = False
        for handler in reversed(node.handlers):
            catches = catches_import_error(_handler_types(handler))
            caught = caught or catches
            inner = ctx.guarded(catches)
            self._body(stack, handler.body, inner)
            if self.check is not None:
                self.check(handler, self.out)
            if deep and handler.type is not None:
                stack.append((handler.type, inner, True))
        self._body(stack, node.body, ctx.guarded(caught))

    def _function(self, node: ast.FunctionDef, ctx: Context, stack: Stack, deep: bool) -> None:
        inner = ctx.define("function", node.name)
        first, last = node.body[0], node.body[-1]
        # a decorated statement starts at its first decorator
        start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
        self.out.add_function(ctx, inner, (node.lineno, node.col_offset),
                              (start, first.col_offset),
                              (last.end_lineno or last.lineno, 0), self._shares_line(first))
        self._body(stack, node.body, inner)
        if deep:
            outer = [*node.decorator_list, node.args, *_opt(node.returns),
                     *getattr(node, "type_params", ())]
            stack.extend([(n, ctx, True) for n in reversed(outer)])

    def _lambda(self, node: ast.Lambda, ctx: Context, stack: Stack, deep: bool) -> None:
        stack.append((node.body, ctx.enter("function"), True))
        stack.append((node.args, ctx, True))

    def _class(self, node: ast.ClassDef, ctx: Context, stack: Stack, deep: bool) -> None:
        self._body(stack, node.body, ctx.define("class", node.name))
        if deep:
            outer = [*node.decorator_list, *node.bases, *node.keywords,
                     *getattr(node, "type_params", ())]
            stack.extend([(n, ctx, True) for n in reversed(outer)])

    def _assign(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign, ctx: Context,
                stack: Stack, deep: bool) -> None:
        if deep:
            stack.extend([(n, ctx, True) for n in reversed(_children(node))])
        if ctx.scope != "module" or node.value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(_is_module_slot(t) for t in targets):
            self.out.add_module_replacement(ctx)
        if len(targets) == 1 and isinstance(targets[0], ast.Name) \
                and not isinstance(node, ast.AugAssign):
            self.out.add_path_name(targets[0].id, to_path(node.value))
        if any(dotted(t) == "__all__" for t in targets):
            names = _string_list(node.value)
            if isinstance(node, ast.AugAssign):
                self.out.extend_all(names)
            else:
                self.out.set_all(names)

    # -- expressions (searched only where a dynamic import can be) ---------------------------
    def _call(self, node: ast.Call, ctx: Context, stack: Stack, deep: bool) -> None:
        stack.extend([(n, ctx, True) for n in reversed(_children(node))])
        func = dotted(node.func)
        name = _callee(node.func)
        if name is not None and is_read_name(name):
            self.out.add_read((node.lineno, node.col_offset), _read_call(node, func, name), ctx)
        if func is None:
            return
        positional = tuple(_arg(a) for a in node.args if not isinstance(a, ast.Starred))
        if func in ("__all__.extend", "__all__.append") and positional:
            first = node.args[0]
            self.out.extend_all(_string_list(first) if func.endswith("extend")
                                else [_string(first) or ""])
        keywords = {k.arg: _arg(k.value) for k in node.keywords if k.arg is not None}
        self.out.add_call(func, positional, keywords, (node.lineno, node.col_offset), ctx)
        if func in SYS_PATH_CALLS and not node.keywords:
            where = node.args[0] if node.args else None
            zero = isinstance(where, ast.Constant) and type(where.value) is int \
                and where.value == 0
            self.out.add_sys_path((node.lineno, node.col_offset), func,
                                  [to_path(a) for a in node.args], zero, ctx)


def _is_module_slot(target: ast.expr) -> bool:
    """`sys.modules[__name__]`."""
    return isinstance(target, ast.Subscript) and dotted(target.value) == "sys.modules" \
        and isinstance(target.slice, ast.Name) and target.slice.id == "__name__"


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _read_call(node: ast.Call, func: str | None, name: str) -> ReadCall:
    """`node` as `reads` sees it; `exec`'s argument is the file whose text it runs."""
    receiver = to_path(node.func.value) if isinstance(node.func, ast.Attribute) else None
    args: list[PathExpr | None] = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            break  # later positions are unknown
        args.append(_source_path(arg) if name == "exec" else to_path(arg))
    keywords = tuple((k.arg, to_path(k.value)) for k in node.keywords if k.arg is not None)
    texts: list[tuple[str, tuple[str, ...]]] = []
    for keyword in node.keywords:
        single, listed = _string(keyword.value), _string_list(keyword.value)
        if keyword.arg is not None and (single is not None or listed is not None):
            texts.append((keyword.arg, (single,) if single is not None else tuple(listed or ())))
    return ReadCall(func, name, receiver, tuple(args), keywords, tuple(texts))


def _source_path(node: ast.expr) -> PathExpr | None:
    """The file whose text `node` is: `open(p).read()`, `Path(p).read_text()`, and either
    inside `compile(...)`."""
    if isinstance(node, ast.Call) and dotted(node.func) == "compile" and node.args:
        return _source_path(node.args[0])
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("read", "read_text") and not node.args):
        return None
    opened = node.func.value
    if node.func.attr == "read_text":
        return to_path(opened)
    if isinstance(opened, ast.Call) and dotted(opened.func) in ("open", "io.open") \
            and opened.args and not isinstance(opened.args[0], ast.Starred):
        return to_path(opened.args[0])
    return None


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.IfExp):  # keep source order: `body if test else orelse`
        return [node.body, node.test, node.orelse]
    if isinstance(node, ast.Dict):
        return [n for pair in zip(node.keys, node.values, strict=True) for n in pair
                if n is not None]
    # `list(ast.iter_child_nodes(node))` without its two generators
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children += [item for item in value if isinstance(item, ast.AST)]
    return children


def _opt(node: ast.AST | None) -> list[ast.AST]:
    return [] if node is None else [node]


def _handler_types(handler: ast.ExceptHandler) -> list[str | None] | None:
    if handler.type is None:
        return None
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [dotted(kind) for kind in kinds]


def _arg(node: ast.expr) -> Arg:
    return Arg(_string(node), isinstance(node, ast.Name) and node.id == "__package__")


def _string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _string_list(node: ast.AST) -> list[str] | None:
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    values = [_string(e) for e in node.elts]
    return [v for v in values if v is not None]


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, `a.b()` for a call without arguments."""
    suffix: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            suffix.append(node.id)
            return ".".join(reversed(suffix)).replace(".()", "()")
        if isinstance(node, ast.Attribute):
            suffix.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call) and not node.args and not node.keywords:
            suffix.append("()")
            node = node.func
        else:
            return None


def to_path(node: ast.AST, depth: int = 0) -> PathExpr | None:
    """The neutral form of an expression that may name a folder (see `syspath`)."""
    if depth > c.MAX_DEPTH:
        return None
    depth += 1
    if isinstance(node, ast.Name):
        return PathExpr("file") if node.id == "__file__" else PathExpr("name", node.id)
    if isinstance(node, ast.Constant):
        return PathExpr("str", node.value) if isinstance(node.value, str) else None
    if isinstance(node, ast.Attribute):
        if node.attr in ("parent", "parents"):
            inner = to_path(node.value, depth)
            return None if inner is None else PathExpr("attr", node.attr, (inner,))
        name = dotted(node)
        return None if name is None else PathExpr("name", name)
    if isinstance(node, ast.Subscript):
        index = node.slice
        inner = to_path(node.value, depth)
        if inner is None or not isinstance(index, ast.Constant) or type(index.value) is not int:
            return None
        return PathExpr("index", index.value, (inner,))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _path_expr("div", None, [node.left, node.right], depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _path_expr("concat", None, [node.left, node.right], depth)
    if isinstance(node, ast.JoinedStr):
        return _fstring(node, depth)
    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in PATH_METHODS:
            return _path_expr("method", func.attr, [func.value, *node.args], depth)
        name = dotted(func)
        return None if name is None else _path_expr("call", name, node.args, depth)
    return None


def _fstring(node: ast.JoinedStr, depth: int) -> PathExpr | None:
    """An f-string of names and text, without conversions or format specs."""
    parts: list[ast.AST] = []
    for part in node.values:
        if isinstance(part, ast.FormattedValue):
            if part.conversion != -1 or part.format_spec is not None:
                return None
            parts.append(part.value)
        elif isinstance(part, ast.Constant) and isinstance(part.value, str) \
                and not ESCAPED.search(part.value):
            parts.append(part)
        else:
            return None
    return _path_expr("concat", None, parts, depth)


def _path_expr(kind: Any, value: str | None, nodes: Sequence[ast.AST],
               depth: int) -> PathExpr | None:
    args = [to_path(n, depth) for n in nodes]
    return None if None in args else PathExpr(kind, value, tuple(a for a in args if a))


def to_cond(node: ast.AST, depth: int = 0) -> Cond:
    """The neutral form of an `if` test (see `conditions`)."""
    if depth > c.MAX_DEPTH:
        return c.UNKNOWN
    depth += 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return c.Not(to_cond(node.operand, depth))
    if isinstance(node, ast.BoolOp):
        return c.BoolOp(isinstance(node.op, ast.And),
                        tuple(to_cond(v, depth) for v in node.values))
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            return c.UNKNOWN
        op = _CMP.get(type(node.ops[0]), "?")
        return c.Compare(to_cond(node.left, depth), op, to_cond(node.comparators[0], depth))
    name = dotted(node)
    if name is not None:
        return c.Name(name)
    if isinstance(node, ast.Call):
        return _startswith(node, depth)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return c.Literal(value)
        return c.UNKNOWN
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return c.Literal(items=tuple(to_cond(e, depth) for e in node.elts))
    if isinstance(node, ast.Subscript):
        return _subscript(node, depth)
    return c.UNKNOWN


def _startswith(node: ast.Call, depth: int) -> Cond:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "startswith") or node.keywords \
            or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        return c.UNKNOWN
    return c.StartsWith(dotted(func.value), to_cond(node.args[0], depth))


def _subscript(node: ast.Subscript, depth: int) -> Cond:
    base = dotted(node.value)
    index = node.slice
    if isinstance(index, ast.Slice):
        if index.lower is not None or index.step is not None:
            return c.UNKNOWN
        upper = None if index.upper is None else to_cond(index.upper, depth)
        return c.Subscript(base, upper, is_slice=True)
    if isinstance(index, ast.Starred):
        return c.UNKNOWN
    return c.Subscript(base, to_cond(index, depth))
