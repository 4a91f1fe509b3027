"""Read one source file into `FileFacts` with libcst.

libcst parses Python 3.0-3.14 syntax whatever Python jobpack runs on, honours PEP 263
encoding declarations and BOMs, and never executes anything.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from jobpack.analyzer.conditions import (
    Truth,
    dotted_name,
    evaluate,
    is_main_test,
    string_value,
)
from jobpack.analyzer.facts import FileFacts, FileNote, ImportFact, Scope
from jobpack.target import Target

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def parse_facts(source: bytes, target: Target) -> FileFacts:
    """The import facts of `source`; a file that does not parse yields `syntax_error`."""
    try:
        module = cst.parse_module(source)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        visitor = _ImportVisitor(target)
        wrapper.visit(visitor)
    except cst.ParserSyntaxError as exc:
        return FileFacts(syntax_error=_precise_error(source, exc))
    except (UnicodeError, LookupError, SyntaxError, ValueError, RecursionError) as exc:
        return FileFacts(syntax_error=FileNote(1, "syntax-error", _one_line(exc), "error"))
    except BaseException as exc:
        # libcst's native parser reports some inputs with a Rust panic (a BaseException).
        if type(exc).__name__ != "PanicException":
            raise
        return FileFacts(syntax_error=FileNote(1, "syntax-error", _one_line(exc), "error"))
    return visitor.facts()


def _precise_error(source: bytes, exc: cst.ParserSyntaxError) -> FileNote:
    """libcst reports where its tokenizer stopped; CPython's parser (parse only, nothing
    runs) usually names the line the user must fix, so prefer it when it also fails."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        if error.lineno:
            return FileNote(error.lineno, "syntax-error", error.msg or "invalid syntax", "error")
    except (ValueError, RecursionError, MemoryError):
        pass
    message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
    return FileNote(exc.raw_line, "syntax-error", message, "error")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass(frozen=True)
class _Context:
    scope: Scope = "module"
    main: bool | None = None
    optional: bool = False
    reach: Truth = True  # False: never runs on the target; None: maybe


@dataclass(frozen=True)
class _Call:
    func: str
    args: tuple[cst.Arg, ...]
    line: int
    context: _Context


class _ImportVisitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.stack: list[_Context] = [_Context()]
        self.if_tests: list[tuple[Truth, bool]] = []
        self.imports: list[ImportFact] = []
        self.calls: list[_Call] = []
        self.importlib_aliases: set[str] = set()
        self.import_module_aliases: set[str] = set()
        self.all_names: list[str] | None = None

    # -- context -------------------------------------------------------------------------
    @property
    def context(self) -> _Context:
        return self.stack[-1]

    def _push(self, **changes: object) -> None:
        self.stack.append(replace(self.context, **changes))  # type: ignore[arg-type]

    def _pop(self) -> None:
        self.stack.pop()

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._push(scope="function")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push(scope="function")

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._push(scope="class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._pop()

    def visit_If(self, node: cst.If) -> None:
        main = is_main_test(node.test)
        self.if_tests.append((None if main else evaluate(node.test, self.target), main))

    def leave_If(self, original_node: cst.If) -> None:
        self.if_tests.pop()

    def visit_If_body(self, node: cst.If) -> None:
        truth, main = self.if_tests[-1]
        if main:
            self._push(main=True)
        else:
            self._push(reach=_and(self.context.reach, truth))

    def leave_If_body(self, node: cst.If) -> None:
        self._pop()

    def visit_If_orelse(self, node: cst.If) -> None:
        truth, main = self.if_tests[-1]
        if main:
            self._push(main=False)
        else:
            self._push(reach=_and(self.context.reach, None if truth is None else not truth))

    def leave_If_orelse(self, node: cst.If) -> None:
        self._pop()

    def visit_Try_body(self, node: cst.Try) -> None:
        self._push(optional=self.context.optional or _catches_import_error(node.handlers))

    def leave_Try_body(self, node: cst.Try) -> None:
        self._pop()

    def visit_TryStar_body(self, node: cst.TryStar) -> None:
        self._push(optional=self.context.optional or _catches_import_error(node.handlers))

    def leave_TryStar_body(self, node: cst.TryStar) -> None:
        self._pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        # A fallback import in `except ImportError:` only runs when the first one failed.
        self._push(optional=self.context.optional or _catches_import_error([node]))

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._push(optional=self.context.optional or _catches_import_error([node]))

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self._pop()

    # -- imports -------------------------------------------------------------------------
    def _record(self, node: cst.CSTNode, module: str, **fields: object) -> None:
        ctx = self.context
        if ctx.reach is False:
            return
        fact = ImportFact(
            module=module,
            line=self._line(node),
            scope=ctx.scope,
            main=ctx.main,
            optional=ctx.optional,
            conditional=ctx.reach is None,
            **fields,  # type: ignore[arg-type]
        )
        self.imports.append(fact)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            self._record(node, name, kind="import")
            if name == "importlib":
                self.importlib_aliases.add(_bound_name(alias) or name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = "" if node.module is None else dotted_name(node.module) or ""
        names: tuple[str, ...]
        if isinstance(node.names, cst.ImportStar):
            names = ("*",)
        else:
            names = tuple(dotted_name(alias.name) or "" for alias in node.names)
            if module == "importlib" and not node.relative:
                for alias in node.names:
                    if dotted_name(alias.name) == "import_module":
                        self.import_module_aliases.add(_bound_name(alias) or "import_module")
        self._record(node, module, kind="from", names=names, level=len(node.relative))

    def visit_Call(self, node: cst.Call) -> None:
        func = dotted_name(node.func)
        if func is not None and (
            func.endswith(("__import__", "import_module")) or func in self.import_module_aliases
        ):
            ctx = self.context
            if ctx.reach is not False:
                self.calls.append(_Call(func, tuple(node.args), self._line(node), ctx))

    # -- __all__ -------------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.context.scope == "module" and any(
            dotted_name(t.target) == "__all__" for t in node.targets
        ):
            self.all_names = _string_list(node.value) or []

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self.context.scope == "module" and dotted_name(node.target) == "__all__":
            self.all_names = (self.all_names or []) + (_string_list(node.value) or [])

    def leave_Call(self, original_node: cst.Call) -> None:
        func = dotted_name(original_node.func)
        if func in {"__all__.extend", "__all__.append"} and original_node.args:
            value = original_node.args[0].value
            added = _string_list(value) if func.endswith("extend") else [string_value(value)]
            self.all_names = (self.all_names or []) + [n for n in added or [] if n]

    # -- result --------------------------------------------------------------------------
    def facts(self) -> FileFacts:
        notes: list[FileNote] = []
        for call in self.calls:
            self._dynamic(call, notes)
        return FileFacts(
            imports=tuple(self.imports),
            all_names=None if self.all_names is None else tuple(self.all_names),
            notes=tuple(notes),
        )

    def _dynamic(self, call: _Call, notes: list[FileNote]) -> None:
        importers = {f"{a}.import_module" for a in self.importlib_aliases}
        importers |= self.import_module_aliases | {"__import__", "importlib.__import__"}
        if call.func not in importers:
            return
        positional = [a.value for a in call.args if a.keyword is None and a.star == ""]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        name_node = positional[0] if positional else keywords.get("name")
        name = None if name_node is None else string_value(name_node)
        if not name:
            notes.append(
                FileNote(
                    call.line,
                    "dynamic-import",
                    f"{call.func}() with a name that is not a literal string; "
                    "add the module to root-paths or import it explicitly",
                )
            )
            return
        level = len(name) - len(name.lstrip("."))
        module = name[level:]
        if level and call.func != "__import__":
            package_node = positional[1] if len(positional) > 1 else keywords.get("package")
            package = None if package_node is None else string_value(package_node)
            if package is not None:
                base = package.split(".")
                module = ".".join(base[: len(base) - level + 1] + ([module] if module else []))
                level = 0
            elif not (isinstance(package_node, cst.Name) and package_node.value == "__package__"):
                notes.append(
                    FileNote(
                        call.line,
                        "dynamic-import",
                        f"relative {call.func}({name!r}) without a literal package",
                    )
                )
                return
        ctx = call.context
        self.imports.append(
            ImportFact(
                module=module,
                line=call.line,
                kind="dynamic",
                level=level,
                scope=ctx.scope,
                main=ctx.main,
                optional=ctx.optional,
                conditional=ctx.reach is None,
            )
        )


def _and(outer: Truth, inner: Truth) -> Truth:
    if outer is False or inner is False:
        return False
    return True if outer and inner else None


def _bound_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _catches_import_error(
    handlers: Sequence[cst.ExceptHandler] | Sequence[cst.ExceptStarHandler],
) -> bool:
    for handler in handlers:
        if handler.type is None:
            return True
        kinds = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
        nodes = [e.value for e in kinds] if kinds is not None else [handler.type]
        for node in nodes:
            name = dotted_name(node) or ""
            if name.rsplit(".", 1)[-1] in _IMPORT_ERRORS:
                return True
    return False


def _string_list(node: cst.BaseExpression) -> list[str] | None:
    if not isinstance(node, cst.List | cst.Tuple):
        return None
    values = [string_value(e.value) for e in node.elements]
    return [v for v in values if v is not None]
