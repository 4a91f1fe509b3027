"""What both parsers share: the context a statement runs in, and turning what a
traversal saw into `FileFacts`.

The two traversals (`parse_ast`, `parse_cst`) only translate their tree's nodes into calls
on `Collector`; every rule about what an import means lives here once, so the two parsers
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from jobpack.analyzer.facts.conditions import (
    Cond,
    Truth,
    evaluate,
    is_main_test,
    is_type_checking,
)
from jobpack.analyzer.facts.model import (
    FileFacts,
    FileNote,
    FunctionFact,
    ImportFact,
    LazyName,
    ReadFact,
    Scope,
    SysPathFact,
)
from jobpack.analyzer.facts.module_dir import left_out
from jobpack.analyzer.facts.names import blank_strings, main_blocks, names_and_bindings
from jobpack.analyzer.facts.probes import find_probe
from jobpack.analyzer.facts.reads import ReadCall, reads_of
from jobpack.analyzer.facts.syspath import Folder, PathExpr, folder_named, stored
from jobpack.diagnostics import DYNAMIC_IMPORT, Code
from jobpack.target import Target, is_stdlib

IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
Pos = TypeVar("Pos")  # an int line (ast) or a node whose line is looked up lazily (libcst)


@dataclass(frozen=True)
class Context:
    """Where a statement sits: its scope, its role, whether an `except ImportError` guards
    it, and whether the target runs it (False: never; None: maybe)."""

    scope: Scope = "module"
    main: bool | None = None
    optional: bool = False
    reach: Truth = True
    function: str = ""  # the qualified name of the function or method the code is in
    owner: str = ""  # the qualified name of the class whose body the code is in
    typing: bool = False  # in the body of `if TYPE_CHECKING:` (never runs)

    def _but(self, **changes: Any) -> Context:
        """`dataclasses.replace(self, **changes)`, made directly: `replace` looks the fields
        up at each call, and a context is made for each `def`, `class` and `if`."""
        made = object.__new__(Context)
        made.__dict__.update(self.__dict__, **changes)
        return made

    def enter(self, scope: Scope) -> Context:
        return self if scope == self.scope else self._but(scope=scope)

    def define(self, scope: Scope, name: str) -> Context:
        """The context of the body of `def name` (scope "function") or `class name`: a
        function or class inside a function belongs to that function."""
        if self.function:
            return self.enter(scope)
        qualified = f"{self.owner}.{name}" if self.owner else name
        if scope == "function":
            return self._but(scope=scope, function=qualified)
        return self._but(scope=scope, owner=qualified)

    def guarded(self, catches: bool) -> Context:
        if not catches or self.optional:
            return self
        return self._but(optional=True)

    def branches(self, test: Cond, target: Target) -> tuple[Context, Context]:
        """The contexts of an `if`'s body and of its `else`/`elif`."""
        if is_main_test(test):
            return self._but(main=True), self._but(main=False)
        truth = evaluate(test, target)
        body = self._reach(truth)
        if is_type_checking(test):
            body = body._but(typing=True)
        return body, self._reach(None if truth is None else not truth)

    def _reach(self, inner: Truth) -> Context:
        outer = self.reach
        if outer is False or inner is False:
            reach: Truth = False
        else:
            reach = True if outer and inner else None
        return self if reach == outer else self._but(reach=reach)


MODULE = Context()


def catches_import_error(types: Sequence[str | None] | None) -> bool:
    """Whether a handler catching `types` (dotted names; None for an expression that is
    not one; the whole list None for a bare `except:`) catches a failed import."""
    if types is None:
        return True
    return any(t is not None and t.rsplit(".", 1)[-1] in IMPORT_ERRORS for t in types)


@dataclass(frozen=True)
class Arg:
    """A call argument as far as dynamic imports care."""

    string: str | None = None  # its value when a plain string literal
    is_package_name: bool = False  # the bare name `__package__`


@dataclass(frozen=True)
class _Call(Generic[Pos]):
    func: str
    positional: tuple[Arg, ...]
    keywords: dict[str, Arg]
    pos: Pos
    context: Context


class Collector(Generic[Pos]):
    """Accumulates what a traversal reports, in source order."""

    def __init__(self, target: Target) -> None:
        self.target = target  # a standard-library module is no type probe's gate
        self.imports: list[tuple[Pos, str, Context, str, tuple[str, ...], int]] = []
        self.calls: list[_Call[Pos]] = []
        self.importlib_aliases: set[str] = set()
        self.import_module_aliases: set[str] = set()
        self.all_names: list[str] | None = None
        self.notes: list[tuple[Pos, Code, str]] = []
        self.sys_paths: list[tuple[Pos, Folder, bool, bool | None]] = []
        # a read at module level sees the names bound so far; in a function, all of them
        self.reads: list[tuple[Pos, ReadCall, Context, dict[str, Folder | str] | None]] = []
        self._path_names: dict[str, Folder | str] = {}
        # functions and methods: (qualified name, position of the def, first and last line
        # of the body, whether the body starts on the header's line)
        self.functions: list[tuple[str, Pos, Pos, Pos, bool]] = []
        # `from` imports under a module-level `if TYPE_CHECKING:`, and whether the module
        # replaces itself in sys.modules: together, a lazy module's table (`LazyName`)
        self.typing_imports: list[tuple[Pos, LazyName]] = []
        self.replaces_itself = False

    def add_import(self, pos: Pos, module: str, context: Context, kind: str = "import",
                   names: tuple[str, ...] = (), level: int = 0,
                   bound: tuple[str | None, ...] = ()) -> None:
        """An import statement; `bound` holds a `from` import's `as` names (None: none)."""
        if context.reach is not False:
            self.imports.append((pos, module, context, kind, names, level))
        elif context.typing and kind == "from" and not context.function and not context.owner:
            for number, name in enumerate(names):
                alias = bound[number] if number < len(bound) else None
                self.typing_imports.append((pos, LazyName(alias or name, module, level, name)))

    def add_module_replacement(self, context: Context) -> None:
        """`sys.modules[__name__] = ...` at module level: the module is replaced (lazily)."""
        if context.reach is not False and context.scope == "module":
            self.replaces_itself = True

    def add_import_alias(self, name: str, bound: str | None) -> None:
        """`import importlib [as x]`: `x.import_module(...)` is a dynamic import."""
        if name == "importlib" or (bound is None and name.startswith("importlib.")):
            self.importlib_aliases.add(bound or "importlib")

    def add_from_alias(self, module: str, level: int, name: str, bound: str | None) -> None:
        if module == "importlib" and not level and name == "import_module":
            self.import_module_aliases.add(bound or name)

    def add_call(self, func: str, positional: tuple[Arg, ...], keywords: dict[str, Arg],
                 pos: Pos, context: Context) -> None:
        if context.reach is not False:
            self.calls.append(_Call(func, positional, keywords, pos, context))

    def add_path_name(self, name: str, value: PathExpr | None) -> None:
        """A module-level `name = value`; remembered when `value` is a path or string
        known statically, forgotten when it is rebound to anything else."""
        folder = None if value is None else stored(value, self._path_names)
        if folder is not None:
            self._path_names[name] = folder
        else:
            self._path_names.pop(name, None)

    def add_read(self, pos: Pos, call: ReadCall, context: Context) -> None:
        """A call that may read a file (see `reads`), decided when the facts are made."""
        if context.reach is not False:
            names = dict(self._path_names) if context.scope == "module" else None
            self.reads.append((pos, call, context, names))

    def add_sys_path(self, pos: Pos, func: str, args: Sequence[PathExpr | None],
                     first_is_zero: bool, context: Context) -> None:
        """`sys.path.insert(i, folder)` / `sys.path.append(folder)`; kept when the folder
        is known statically."""
        expr = args[-1] if len(args) == (2 if func.endswith("insert") else 1) else None
        if context.reach is False or expr is None:
            return
        folder = folder_named(expr, self._path_names)
        if folder is not None:
            front = func.endswith("insert") and first_is_zero
            self.sys_paths.append((pos, folder, front, context.main))

    def add_function(self, outer: Context, body: Context, pos: Pos, first: Pos, last: Pos,
                     shared: bool) -> None:
        """A `def` at `pos` in `outer` whose body (in context `body`) spans `first` to
        `last`; one nested in a function is part of that function, not recorded."""
        if outer.reach is not False and not outer.function:
            self.functions.append((body.function, pos, first, last, shared))

    def set_all(self, names: list[str] | None) -> None:
        self.all_names = names or []

    def extend_all(self, names: list[str] | None) -> None:
        self.all_names = (self.all_names or []) + [n for n in names or [] if n]

    def add_note(self, pos: Pos, code: Code, message: str) -> None:
        self.notes.append((pos, code, message))

    # -- the result ----------------------------------------------------------------------
    def facts(self, position_of: Callable[[Pos], tuple[int, int]], source: bytes,
              end_of: Callable[[Pos], int] | None = None) -> FileFacts:
        """The facts, in source order; `position_of` gives a (line, column) per position,
        `end_of` the last line of a body (default: `position_of`'s line)."""
        spans = self._spans(position_of, end_of)
        gates, probes = self._probes(position_of, source, spans)
        gated = bool(gates or probes)
        imports: list[tuple[tuple[int, int], ImportFact]] = []
        for pos, module, ctx, kind, names, level in self.imports:
            where = position_of(pos)
            imports.append((where, ImportFact(
                module=module, line=where[0], kind=kind,  # type: ignore[arg-type]
                names=names, level=level, scope=ctx.scope, main=ctx.main,
                optional=ctx.optional, conditional=ctx.reach is None,
                function=ctx.function,
                gate=_gate(ctx.function, where[0], gates, probes) if gated else "")))
        notes: list[tuple[tuple[int, int], FileNote]] = []
        for pos, code, message in self.notes:
            where = position_of(pos)
            notes.append((where, FileNote.of(code, where[0], message)))
        importers = {f"{a}.import_module" for a in self.importlib_aliases}
        importers |= self.import_module_aliases | {"__import__", "importlib.__import__"}
        for call in self.calls:
            if call.func in importers:
                _dynamic(call, position_of(call.pos), imports, notes)
        # Source order whatever order a tree keeps its fields in (sort is stable).
        imports.sort(key=lambda item: item[0])
        notes.sort(key=lambda item: item[0])
        sys_paths = sorted(
            ((position_of(pos), SysPathFact(position_of(pos)[0], folder.anchor, folder.path,
                                            front, main))
             for pos, folder, front, main in self.sys_paths), key=lambda item: item[0])
        module_names, main_names, functions, bindings = self._functions(
            position_of, source, spans, gates)
        return FileFacts(
            imports=tuple(fact for _, fact in imports),
            all_names=None if self.all_names is None else tuple(self.all_names),
            notes=tuple(note for _, note in notes),
            sys_paths=tuple(fact for _, fact in sys_paths),
            functions=functions,
            names=module_names,
            main_names=main_names,
            reads=self._read_facts(position_of),
            lazy=tuple(replace(entry, line=position_of(pos)[0])
                       for pos, entry in self.typing_imports) if self._is_lazy() else (),
            left_out_of_dir=self._left_out_of_dir(position_of, source, end_of),
            bindings=bindings,
        )

    def _spans(self, position_of: Callable[[Pos], tuple[int, int]],
               end_of: Callable[[Pos], int] | None) -> list[tuple[int, int, int]]:
        """Each function's `def` line, its body's first line and its last line."""
        spans = []
        for _, pos, first, last, _ in self.functions:
            start = position_of(first)[0]
            end = end_of(last) if end_of is not None else position_of(last)[0]
            spans.append((position_of(pos)[0], start, max(start, end)))
        return spans

    def _probes(self, position_of: Callable[[Pos], tuple[int, int]], source: bytes,
                spans: list[tuple[int, int, int]]
                ) -> tuple[dict[tuple[str, str], list[tuple[int, int]]], dict[int, str]]:
        """The type probes (`facts/probes.py`): the regions each gates, by (function,
        package), and the probes' own import lines with their package."""
        gates: dict[tuple[str, str], list[tuple[int, int]]] = {}
        probes: dict[int, str] = {}
        candidates = [(pos, ctx.function) for pos, _, ctx, kind, _, level in self.imports
                      if ctx.optional and ctx.function and kind != "dynamic" and not level
                      and ctx.function.rpartition(".")[2] != "__getattr__"]
        if not candidates or (b"isinstance(" not in source and b"issubclass(" not in source):
            return gates, probes
        lines = blank_strings(source.decode("utf-8", "replace")).split("\n")
        where: dict[str, list[tuple[int, int]]] = {}
        for (name, *_), (defined, _, end) in zip(self.functions, spans, strict=True):
            where.setdefault(name, []).append((defined, end))
        for pos, function in candidates:
            line = position_of(pos)[0]
            span = next(((a, b) for a, b in where.get(function, ()) if a <= line <= b), None)
            probe = None if span is None else find_probe(lines, line, span)
            # a standard-library module gates nothing: its instances are made by code the
            # walk does not read (a `Decimal` by sqlite3's converters, json's parse_float)
            if probe is not None and not is_stdlib(probe.gate, self.target):
                probes[line] = probe.gate
                if probe.regions:
                    known = gates.setdefault((function, probe.gate), [])
                    known.extend(r for r in probe.regions if r not in known)
        return gates, probes

    def _functions(self, position_of: Callable[[Pos], tuple[int, int]], source: bytes,
                   spans: list[tuple[int, int, int]],
                   gates: dict[tuple[str, str], list[tuple[int, int]]]
                   ) -> tuple[str, str, tuple[FunctionFact, ...], str]:
        """What module-level code refers to, what its `__main__` blocks do, each
        function with what its body refers to (and each part gated by a type probe, apart),
        and what module-level code binds."""
        bodies = []
        found = []
        holes: dict[int, list[tuple[int, int]]] = {}
        for index, ((name, pos, _, _, shared), (_, start, end)) in enumerate(
                zip(self.functions, spans, strict=True)):
            bodies.append((start, end, shared))
            found.append((position_of(pos), name))
            inside = [r for (function, _), regions in gates.items() if function == name
                      for r in regions if start <= r[0] <= end]
            if inside:
                holes[index] = inside
        gated = sorted(gates.items())
        regions = [(first, last, False) for _, found_regions in gated
                   for first, last in found_regions]
        mains = main_blocks(source)
        module_names, per_span, bindings = names_and_bindings(
            source, bodies + regions + mains,
            [name for name, *_ in self.functions if "." not in name], holes,
            [defined for defined, _, _ in spans])
        facts = [(where, FunctionFact(name, where[0], names))
                 for (where, name), names in zip(found, per_span, strict=False)]
        at = len(found)
        for (function, gate), found_regions in gated:
            names = {n for text in per_span[at:at + len(found_regions)] for n in text.split()}
            at += len(found_regions)
            first = min(a for a, _ in found_regions)
            facts.append(((first, 0), FunctionFact(function, first, " ".join(sorted(names)),
                                                   gate)))
        facts.sort(key=lambda item: item[0])
        main_names = " ".join(sorted({name for names in per_span[at:]
                                      for name in names.split()}))
        return module_names, main_names, tuple(fact for _, fact in facts), bindings

    def _is_lazy(self) -> bool:
        """Whether attribute access imports on demand: the module replaces itself in
        sys.modules (`_LazyModule`) or has a module `__getattr__` (PEP 562)."""
        return self.replaces_itself or any(name == "__getattr__"
                                           for name, *_ in self.functions)

    def _left_out_of_dir(self, position_of: Callable[[Pos], tuple[int, int]], source: bytes,
                         end_of: Callable[[Pos], int] | None) -> tuple[str, ...]:
        """The names a module-level `def __dir__` takes out of `dir(module)`."""
        for name, pos, _, last, _ in self.functions:
            if name == "__dir__":
                lines = source.decode("utf-8", "replace").split("\n")
                end = end_of(last) if end_of is not None else position_of(last)[0]
                return left_out("\n".join(lines[position_of(pos)[0] - 1:end]))
        return ()

    def _read_facts(self, position_of: Callable[[Pos], tuple[int, int]]
                    ) -> tuple[ReadFact, ...]:
        """The reads whose path is known, in source order, one per line and path: the
        `open` inside `exec(open(p).read())` is the `exec`'s code read."""
        found: dict[tuple[int, str, str], tuple[tuple[int, int], ReadFact]] = {}
        for pos, call, ctx, names in self.reads:
            where = position_of(pos)
            fact = reads_of(call, self._path_names if names is None else names, where[0],
                            ctx.main)
            if fact is None:
                continue
            key = (fact.line, fact.anchor, fact.path)
            known = found.get(key)
            if known is None or (fact.kind == "code" and known[1].kind != "code"):
                found[key] = (min(where, known[0]) if known else where, fact)
        return tuple(fact for _, fact in sorted(found.values(), key=lambda item: item[0]))


def _gate(function: str, line: int, gates: dict[tuple[str, str], list[tuple[int, int]]],
          probes: dict[int, str]) -> str:
    """The package an import of `function` on `line` is gated on (`facts/probes.py`): a
    probe's own import, or one in the body under a probe's test; "" for none."""
    if line in probes:
        return probes[line]
    for (owner, gate), regions in gates.items():
        if owner == function and any(a <= line <= b for a, b in regions):
            return gate
    return ""


def _dynamic(call: _Call[Pos], where: tuple[int, int],
             imports: list[tuple[tuple[int, int], ImportFact]],
             notes: list[tuple[tuple[int, int], FileNote]]) -> None:
    line = where[0]
    name_arg = call.positional[0] if call.positional else call.keywords.get("name")
    name = None if name_arg is None else name_arg.string
    if not name:
        notes.append((where, FileNote.of(
            DYNAMIC_IMPORT, line, f"{call.func}() with a name that is not a literal string; "
            "add the module to root-paths or import it explicitly")))
        return
    level = len(name) - len(name.lstrip("."))
    module = name[level:]
    if level and call.func != "__import__":
        package_arg = call.positional[1] if len(call.positional) > 1 \
            else call.keywords.get("package")
        package = None if package_arg is None else package_arg.string
        if package is not None:
            base = package.split(".")
            module = ".".join(base[: len(base) - level + 1] + ([module] if module else []))
            level = 0
        elif package_arg is None or not package_arg.is_package_name:
            notes.append((where, FileNote.of(DYNAMIC_IMPORT, line,
                                             f"relative {call.func}({name!r}) without a literal "
                                          "package")))
            return
    ctx = call.context
    imports.append((where, ImportFact(module=module, line=line, kind="dynamic", level=level,
                                      scope=ctx.scope, main=ctx.main, optional=ctx.optional,
                                      conditional=ctx.reach is None)))


def may_be_lazy(source: bytes) -> bool:
    """False when the file's facts cannot hold a lazy table (`FileFacts.lazy` is empty),
    read from its bytes without parsing: the table comes from imports under
    `if TYPE_CHECKING:` of a module with a `__getattr__` or a `sys.modules[__name__]`
    slot, and each of those names is in the text as written (unless the text has
    non-ASCII characters: an identifier can be spelt in other Unicode forms). Checking
    whether `from torch.nn import Module` meets a lazy module parsed most of torch's
    files one at a time, before the walk reached them in parallel."""
    return not source.isascii() or has_lazy_words(source)


def has_lazy_words(source: bytes) -> bool:
    """Whether the words a lazy table needs are in `source` as written (`may_be_lazy`, for
    a text whose identifiers are all spelt in ASCII)."""
    return b"TYPE_CHECKING" in source and (
        b"__getattr__" in source or (b"modules" in source and b"__name__" in source))
