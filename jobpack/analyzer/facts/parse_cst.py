"""The fallback: libcst -> the same `FileFacts` as `parse_ast`, for syntax newer than the
running interpreter (libcst reads Python 3.0-3.14 whatever jobpack runs on).

The traversal keeps an explicit stack. Lines are found after it, only for the nodes that
became facts, by one code-generation pass that counts newlines (no metadata wrapper, no
position table for every node).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from jobpack.analyzer.facts import conditions as c
from jobpack.analyzer.facts.collector import MODULE, Arg, Collector, Context, catches_import_error
from jobpack.analyzer.facts.conditions import Cond
from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parse_ast import ESCAPED
from jobpack.analyzer.facts.reads import ReadCall, is_read_name
from jobpack.analyzer.facts.syspath import PATH_METHODS, SYS_PATH_CALLS, PathExpr
from jobpack.target import Target

Stack = list[tuple[Any, Context]]
_TOKEN_MODULES = {"libcst._nodes.whitespace", "libcst._nodes.op"}
_STATEMENTISH = (cst.BaseStatement, cst.BaseSmallStatement, cst.BaseSuite, cst.Else,
                 cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)
_CMP: dict[type, str] = {cst.Equal: "==", cst.NotEqual: "!=", cst.LessThan: "<",
                         cst.LessThanEqual: "<=", cst.GreaterThan: ">",
                         cst.GreaterThanEqual: ">=", cst.In: "in", cst.NotIn: "not in",
                         cst.Is: "is", cst.IsNot: "is not"}
_FIELDS: dict[type, tuple[str, ...]] = {}


def facts_from_cst(module: cst.Module, target: Target, *, deep: bool, source: bytes,
                   check: Callable[[cst.CSTNode, Collector[cst.CSTNode]], None] | None = None,
                   ) -> FileFacts:
    """The facts of a libcst module; `deep` and `check` as in `parse_ast.facts_from_ast`;
    `source` is the module's text (not regenerated: libcst's code generation recurses once
    per operand, past the interpreter's limit on a long concatenation such as
    `pydoc_data/topics.py`)."""
    walker = _Walker(target, deep, check)
    walker.run(module)
    out = walker.out
    wanted = [pos for pos, *_ in out.imports] + [call.pos for call in out.calls] \
        + [pos for pos, *_ in out.notes] + [pos for pos, *_ in out.sys_paths] \
        + [n for _, pos, first, _, _ in out.functions for n in (pos, first)] \
        + [pos for pos, *_ in out.reads] + [pos for pos, _ in out.typing_imports]
    ends = [last for *_, last, _ in out.functions]
    positions, last_lines = find_positions(module, wanted, ends)
    return out.facts(lambda node: positions[id(node)],
                     source,
                     lambda node: last_lines[id(node)])


class _Walker:
    def __init__(self, target: Target, deep: bool,
                 check: Callable[[cst.CSTNode, Collector[cst.CSTNode]], None] | None) -> None:
        self.target, self.deep, self.check = target, deep, check
        self.out: Collector[cst.CSTNode] = Collector(target)
        self.handlers: dict[type, Callable[[Any, Context, Stack], None]] = {
            cst.Import: self._import, cst.ImportFrom: self._import_from, cst.If: self._if,
            cst.Try: self._try, cst.TryStar: self._try, cst.FunctionDef: self._function,
            cst.ClassDef: self._class, cst.Assign: self._assign, cst.AugAssign: self._assign,
            cst.AnnAssign: self._assign, cst.Call: self._call, cst.Lambda: self._lambda,
        }

    def run(self, module: cst.Module) -> None:
        stack: Stack = [(node, MODULE) for node in reversed(module.body)]
        handlers, deep, check = self.handlers, self.deep, self.check
        while stack:
            node, ctx = stack.pop()
            if check is not None:
                check(node, self.out)
            handler = handlers.get(type(node))
            if handler is not None:
                handler(node, ctx, stack)
            elif deep:
                _push(stack, children(node), ctx)
            else:
                _push(stack, (n for n in children(node) if isinstance(n, _STATEMENTISH)), ctx)

    # -- statements ------------------------------------------------------------------------
    def _import(self, node: cst.Import, ctx: Context, stack: Stack) -> None:
        for alias in node.names:
            name = dotted(alias.name) or ""
            self.out.add_import(node, name, ctx)
            self.out.add_import_alias(name, _bound(alias))

    def _import_from(self, node: cst.ImportFrom, ctx: Context, stack: Stack) -> None:
        module = "" if node.module is None else dotted(node.module) or ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(dotted(alias.name) or "" for alias in node.names)
            for alias, name in zip(node.names, names, strict=True):
                self.out.add_from_alias(module, level, name, _bound(alias))
        bound = () if isinstance(node.names, cst.ImportStar) \
            else tuple(_bound(alias) for alias in node.names)
        self.out.add_import(node, module, ctx, "from", names, level, bound)

    def _if(self, node: cst.If, ctx: Context, stack: Stack) -> None:
        body, orelse = ctx.branches(to_cond(node.test), self.target)
        if isinstance(node.orelse, cst.If):
            stack.append((node.orelse, orelse))
        elif isinstance(node.orelse, cst.Else):
            _push(stack, _statements(node.orelse.body), orelse)
        _push(stack, _statements(node.body), body)
        if self.deep:
            stack.append((node.test, ctx))

    def _try(self, node: cst.Try | cst.TryStar, ctx: Context, stack: Stack) -> None:
        if node.finalbody is not None:
            _push(stack, _statements(node.finalbody.body), ctx)
        if node.orelse is not None:
            _push(stack, _statements(node.orelse.body), ctx)
        caught = False
        handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = node.handlers
        for handler in reversed(handlers):
            catches = catches_import_error(_handler_types(handler))
            caught = caught or catches
            inner = ctx.guarded(catches)
            _push(stack, _statements(handler.body), inner)
            if self.check is not None:
                self.check(handler, self.out)
            if self.deep and handler.type is not None:
                stack.append((handler.type, inner))
        _push(stack, _statements(node.body), ctx.guarded(caught))

    def _function(self, node: cst.FunctionDef, ctx: Context, stack: Stack) -> None:
        inner = ctx.define("function", node.name.value)
        statements = _statements(node.body)
        self.out.add_function(ctx, inner, node.name, statements[0], statements[-1],
                              isinstance(node.body, cst.SimpleStatementSuite))
        _push(stack, statements, inner)
        if self.deep or self.check is not None:
            outer: list[cst.CSTNode] = [*node.decorators, node.params]
            outer += [n for n in (node.returns, node.type_parameters) if n is not None]
            _push(stack, outer, ctx)

    def _lambda(self, node: cst.Lambda, ctx: Context, stack: Stack) -> None:
        stack.append((node.body, ctx.enter("function")))
        stack.append((node.params, ctx))

    def _class(self, node: cst.ClassDef, ctx: Context, stack: Stack) -> None:
        _push(stack, _statements(node.body), ctx.define("class", node.name.value))
        if self.deep or self.check is not None:
            outer: list[cst.CSTNode] = [*node.decorators, *node.bases, *node.keywords]
            if node.type_parameters is not None:
                outer.append(node.type_parameters)
            _push(stack, outer, ctx)

    def _assign(self, node: cst.Assign | cst.AugAssign | cst.AnnAssign, ctx: Context,
                stack: Stack) -> None:
        if self.deep:
            _push(stack, children(node), ctx)
        if ctx.scope != "module" or node.value is None:
            return
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) \
            else [node.target]
        if any(_is_module_slot(t) for t in targets):
            self.out.add_module_replacement(ctx)
        if len(targets) == 1 and isinstance(targets[0], cst.Name) \
                and not isinstance(node, cst.AugAssign):
            self.out.add_path_name(targets[0].value, to_path(node.value))
        if any(dotted(t) == "__all__" for t in targets):
            names = _string_list(node.value)
            if isinstance(node, cst.AugAssign):
                self.out.extend_all(names)
            else:
                self.out.set_all(names)

    # -- expressions (deep only) ----------------------------------------------------------
    def _call(self, node: cst.Call, ctx: Context, stack: Stack) -> None:
        _push(stack, children(node), ctx)
        func = dotted(node.func)
        name = _callee(node.func)
        if name is not None and is_read_name(name):
            self.out.add_read(node.func, _read_call(node, func, name), ctx)
        if func is None:
            return
        positional = tuple(_arg(a.value) for a in node.args if a.keyword is None and not a.star)
        if func in ("__all__.extend", "__all__.append") and positional:
            first = next(a.value for a in node.args if a.keyword is None and not a.star)
            self.out.extend_all(_string_list(first) if func.endswith("extend")
                                else [string_value(first) or ""])
        keywords = {a.keyword.value: _arg(a.value) for a in node.args if a.keyword is not None}
        self.out.add_call(func, positional, keywords, node.func, ctx)
        if func in SYS_PATH_CALLS and not keywords:
            values = [a.value if not a.star else None for a in node.args]
            where = values[0] if values else None
            zero = isinstance(where, cst.Integer) and where.value == "0"
            self.out.add_sys_path(node.func, func, [to_path(v) for v in values], zero, ctx)


def _callee(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None


def _read_call(node: cst.Call, func: str | None, name: str) -> ReadCall:
    """`node` as `reads` sees it, as `parse_ast._read_call` shapes it."""
    receiver = to_path(node.func.value) if isinstance(node.func, cst.Attribute) else None
    args: list[PathExpr | None] = []
    for arg in node.args:
        if arg.star:
            break
        if arg.keyword is None:
            args.append(_source_path(arg.value) if name == "exec" else to_path(arg.value))
    named = [(a.keyword.value, a.value) for a in node.args if a.keyword is not None]
    texts: list[tuple[str, tuple[str, ...]]] = []
    for keyword, value in named:
        single, listed = string_value(value), _string_list(value)
        if single is not None or listed is not None:
            texts.append((keyword, (single,) if single is not None else tuple(listed or ())))
    return ReadCall(func, name, receiver, tuple(args),
                    tuple((k, to_path(v)) for k, v in named), tuple(texts))


def _source_path(node: cst.BaseExpression) -> PathExpr | None:
    """The file whose text `node` is, as `parse_ast._source_path` finds it."""
    if isinstance(node, cst.Call) and dotted(node.func) == "compile" and node.args \
            and not node.args[0].star and node.args[0].keyword is None:
        return _source_path(node.args[0].value)
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("read", "read_text") and not node.args):
        return None
    opened = node.func.value
    if node.func.attr.value == "read_text":
        return to_path(opened)
    if isinstance(opened, cst.Call) and dotted(opened.func) in ("open", "io.open") \
            and opened.args and not opened.args[0].star and opened.args[0].keyword is None:
        return to_path(opened.args[0].value)
    return None


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's children in field order, leaving out whitespace and operator tokens
    (`CSTNode.children` rebuilds the node, which costs far more)."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f.name for f in fields(node))
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if type(value).__module__ not in _TOKEN_MODULES:
                found.append(value)
        elif isinstance(value, Sequence) and not isinstance(value, str):
            found += [v for v in value if isinstance(v, cst.CSTNode)
                      and type(v).__module__ not in _TOKEN_MODULES]
    return found


def _push(stack: Stack, nodes: Iterable[Any], ctx: Context) -> None:
    stack.extend((node, ctx) for node in reversed(list(nodes)))


def _statements(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return suite.body


def _is_module_slot(target: cst.BaseExpression) -> bool:
    """`sys.modules[__name__]`."""
    if not isinstance(target, cst.Subscript) or dotted(target.value) != "sys.modules" \
            or len(target.slice) != 1:
        return False
    index = target.slice[0].slice
    return isinstance(index, cst.Index) and isinstance(index.value, cst.Name) \
        and index.value.value == "__name__"


def _bound(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _handler_types(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[str | None] | None:
    if handler.type is None:
        return None
    if isinstance(handler.type, cst.Tuple):
        return [dotted(e.value) for e in handler.type.elements]
    return [dotted(handler.type)]


def _arg(node: cst.BaseExpression) -> Arg:
    return Arg(string_value(node), isinstance(node, cst.Name) and node.value == "__package__")


def string_value(node: cst.CSTNode | None) -> str | None:
    """The value of a plain (non-f) string literal, else None."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        try:
            value = node.evaluated_value
        except Exception:  # libcst raises for odd literals; such a string is not static
            return None
        return value if isinstance(value, str) else None
    return None


def _string_list(node: cst.BaseExpression) -> list[str] | None:
    if not isinstance(node, cst.List | cst.Tuple):
        return None
    values = [None if isinstance(e, cst.StarredElement) else string_value(e.value)
              for e in node.elements]
    return [v for v in values if v is not None]


def dotted(node: cst.CSTNode) -> str | None:
    """`a.b.c` for a Name/Attribute chain, `a.b()` for a call without arguments."""
    suffix: list[str] = []
    while True:
        if isinstance(node, cst.Name):
            suffix.append(node.value)
            return ".".join(reversed(suffix)).replace(".()", "()")
        if isinstance(node, cst.Attribute):
            suffix.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call) and not node.args:
            suffix.append("()")
            node = node.func
        else:
            return None


def to_path(node: cst.CSTNode | None, depth: int = 0) -> PathExpr | None:
    """The neutral form of an expression that may name a folder, as `parse_ast.to_path`."""
    if node is None or depth > c.MAX_DEPTH:
        return None
    depth += 1
    if isinstance(node, cst.Name):
        return PathExpr("file") if node.value == "__file__" else PathExpr("name", node.value)
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        text = string_value(node)
        if text is None and isinstance(node, cst.ConcatenatedString):
            return _concatenated(node, depth)
        return None if text is None else PathExpr("str", text)
    if isinstance(node, cst.FormattedString):
        return _fstring(node, depth)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _path_expr("concat", None, [node.left, node.right], depth)
    if isinstance(node, cst.Attribute):
        if node.attr.value in ("parent", "parents"):
            inner = to_path(node.value, depth)
            return None if inner is None else PathExpr("attr", node.attr.value, (inner,))
        name = dotted(node)
        return None if name is None else PathExpr("name", name)
    if isinstance(node, cst.Subscript):
        return _path_index(node, depth)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        return _path_expr("div", None, [node.left, node.right], depth)
    if isinstance(node, cst.Call):
        if any(a.keyword is not None or a.star for a in node.args):
            return None
        args = [a.value for a in node.args]
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in PATH_METHODS:
            return _path_expr("method", func.attr.value, [func.value, *args], depth)
        name = dotted(func)
        return None if name is None else _path_expr("call", name, args, depth)
    return None


def _concatenated(node: cst.ConcatenatedString, depth: int) -> PathExpr | None:
    """`"text" f"{name}"`: its parts joined, as `ast` joins them into one f-string."""
    parts: list[PathExpr] = []
    for part in (node.left, node.right):
        if isinstance(part, cst.SimpleString):
            text = string_value(part)
            if text is None or ESCAPED.search(text):
                return None
            found: PathExpr | None = PathExpr("str", text)
        else:
            found = to_path(part, depth)
        if found is None:
            return None
        parts.append(found)
    return PathExpr("concat", None, tuple(parts))


def _fstring(node: cst.FormattedString, depth: int) -> PathExpr | None:
    """An f-string of names and text, as `parse_ast._fstring` reads it: text holding an
    escape is not read (`ast` would see the character it stands for)."""
    parts: list[PathExpr] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            if "\\" in part.value or ESCAPED.search(part.value):
                return None
            parts.append(PathExpr("str", part.value.replace("{{", "{").replace("}}", "}")))
            continue
        if not isinstance(part, cst.FormattedStringExpression):
            return None
        if part.conversion is not None or part.format_spec is not None \
                or part.equal is not None:
            return None
        found = to_path(part.expression, depth)
        if found is None:
            return None
        parts.append(found)
    return PathExpr("concat", None, tuple(parts))


def _path_index(node: cst.Subscript, depth: int) -> PathExpr | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    index = node.slice[0].slice.value
    inner = to_path(node.value, depth)
    if inner is None or not isinstance(index, cst.Integer) or not index.value.isdigit():
        return None
    return PathExpr("index", int(index.value), (inner,))


def _path_expr(kind: Any, value: str | None, nodes: Sequence[cst.CSTNode],
               depth: int) -> PathExpr | None:
    args = [to_path(n, depth) for n in nodes]
    return None if None in args else PathExpr(kind, value, tuple(a for a in args if a))


def to_cond(node: cst.CSTNode, depth: int = 0) -> Cond:
    """The neutral form of an `if` test, shaped as `parse_ast.to_cond` shapes it."""
    if depth > c.MAX_DEPTH:
        return c.UNKNOWN
    depth += 1
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return c.Not(to_cond(node.expression, depth))
    if isinstance(node, cst.BooleanOperation):
        return _boolean(node, depth)
    if isinstance(node, cst.Comparison):
        if len(node.comparisons) != 1:
            return c.UNKNOWN
        target = node.comparisons[0]
        op = _CMP.get(type(target.operator), "?")
        return c.Compare(to_cond(node.left, depth), op, to_cond(target.comparator, depth))
    name = dotted(node)
    if name is not None:
        return c.Name(name)
    if isinstance(node, cst.Call):
        return _startswith(node, depth)
    if isinstance(node, cst.Integer):
        try:
            return c.Literal(int(node.value, 0))
        except ValueError:
            return c.UNKNOWN
    text = string_value(node)
    if text is not None:
        return c.Literal(text)
    if isinstance(node, cst.Tuple | cst.List | cst.Set):
        return c.Literal(items=tuple(
            c.UNKNOWN if isinstance(e, cst.StarredElement) else to_cond(e.value, depth)
            for e in node.elements))
    if isinstance(node, cst.Subscript):
        return _subscript(node, depth)
    return c.UNKNOWN


def _boolean(node: cst.BooleanOperation, depth: int) -> Cond:
    """`a and b and c` as one flat operation, as `ast` nests it (parentheses split it)."""
    is_and = isinstance(node.operator, cst.And)
    operands = [node.right]
    left = node.left
    while isinstance(left, cst.BooleanOperation) and not left.lpar \
            and isinstance(left.operator, cst.And) == is_and:
        operands.append(left.right)
        left = left.left
    operands.append(left)
    return c.BoolOp(is_and, tuple(to_cond(v, depth) for v in reversed(operands)))


def _startswith(node: cst.Call, depth: int) -> Cond:
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "startswith") \
            or len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return c.UNKNOWN
    return c.StartsWith(dotted(func.value), to_cond(node.args[0].value, depth))


def _subscript(node: cst.Subscript, depth: int) -> Cond:
    if len(node.slice) != 1:
        return c.UNKNOWN
    base = dotted(node.value)
    index = node.slice[0].slice
    if isinstance(index, cst.Index):
        if index.star is not None:
            return c.UNKNOWN
        return c.Subscript(base, to_cond(index.value, depth))
    if not isinstance(index, cst.Slice) or index.lower is not None or index.step is not None:
        return c.UNKNOWN
    upper = None if index.upper is None else to_cond(index.upper, depth)
    return c.Subscript(base, upper, is_slice=True)


# -- lines -------------------------------------------------------------------------------
class _PositionState(CodegenState):
    """Code generation that keeps no text: it counts lines and columns and notes where
    the first real token of each wanted node starts."""

    def setup(self, wanted: Iterable[cst.CSTNode], ends: Iterable[cst.CSTNode]) -> None:
        self.wanted = {id(node) for node in wanted}
        self.ends = {id(node) for node in ends}
        self.found: dict[int, tuple[int, int]] = {}
        self.last_lines: dict[int, int] = {}
        self.pending: list[int] = []
        self.line, self.column, self.count = 1, 0, 0
        self.last_real = 1  # the line of the last character that is not whitespace

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.pending.append(id(node))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.ends:
            self.last_lines[id(node)] = self.last_real

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.count += 1
        if self.pending and value.strip():
            lead = value[: len(value) - len(value.lstrip())]
            newlines = lead.count("\n")
            column = len(lead) - lead.rfind("\n") - 1 if newlines else self.column + len(lead)
            for key in self.pending:
                self.found[key] = (self.line + newlines, column)
            self.pending.clear()
        if value.strip():
            self.last_real = self.line + value.count("\n", 0, len(value.rstrip()))
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass


def find_positions(module: cst.Module, wanted: list[cst.CSTNode],
                   ends: Sequence[cst.CSTNode] = ()
                   ) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """(line, column) of the first token of each node in `wanted`, and the last line of
    each node in `ends` (of its last character that is not whitespace), by id."""
    if not wanted and not ends:
        return {}, {}
    state = _PositionState(default_indent=module.default_indent,
                           default_newline=module.default_newline)
    state.setup(wanted, ends)
    state.tokens = _Counted(state)
    module._codegen(state)
    return state.found, state.last_lines


class _Counted(list[str]):
    """Stands in for the token list: `Module` only asks whether it is empty."""

    def __init__(self, state: _PositionState) -> None:
        super().__init__()
        self.state = state

    def __len__(self) -> int:
        return self.state.count
