"""Which functions of installed libraries run: reachability by name.

An import inside a library function runs only when that function is called. A call is
rarely resolvable statically (`obj.fit(X)`: which class's `fit`?), so the rule is by
name: a function is reachable once its name is referred to by code that runs (the job's
own code, module-level code of every module reached, the bodies of reachable functions);
a method `Cls.meth` once both `Cls` and `meth` are (a dunder method once `Cls` is: the
interpreter calls it). A reference written on an imported module (`torch.save`) names
the exact binding of that module's namespace, `torch.serialization::save`
(`walk/resolve.py`); where the namespace cannot say, `torch:save` names every function
of that name in the top-level package, and of the packages its modules re-export that
name from (`from joblib import parallel_backend` in sklearn: `sklearn:parallel_backend`
is `joblib:parallel_backend` too). A module-level name (function, class) is named only by a
plain or a qualified reference, a method's name by a bare attribute too. A dunder that
runs only when an instance is used (`__call__`, `__getitem__`, ...) of a class named only
by `NAME = Cls(...)` runs once NAME is referred to (`np.test()`). It over-approximates a
call graph and never needs one; see `docs/reachability.md`.

A method's bare name is a call the rule cannot resolve (whose `fit`?): with
`defer_methods` (the walker's library reachability), such names count only from
`settle()` on, so what only they reach is reached after what runs for sure, and its
imports are optional ("Tiers" in the same page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from jobpack.analyzer.facts.model import FunctionFact
from jobpack.analyzer.facts.names import DYNAMIC_ATTRIBUTES

T = TypeVar("T")  # what travels with a function: the visit of the file defining it

# The pseudo-function `__getattr__:NAME` of a module is the part of its `__getattr__` that
# imports what NAME names; `__getattr__-:NAME` the same for a NAME its `__dir__` leaves out
# (`dir(numpy)` lists no `distutils`): no enumeration of the module's attributes asks for it.
GETATTR, GETATTR_HIDDEN = "__getattr__", "__getattr__-"


def gate_name(package: str) -> str:
    """The name the walker refers to once it reaches `package` (a module of it): what the
    part of a function a type probe gates waits on last (`facts/probes.py`)."""
    return f"?{package}"


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


# Dunders the interpreter calls only when an instance is used so (called, iterated, indexed,
# entered, printed): an instance kept in a module global (`test = PytestTester(...)`) runs
# them once that global is referred to (`np.test()`), not merely because it exists.
INSTANCE_USE = frozenset({
    "__call__", "__enter__", "__exit__", "__aenter__", "__aexit__", "__iter__", "__next__",
    "__aiter__", "__anext__", "__getitem__", "__setitem__", "__delitem__", "__len__",
    "__contains__", "__repr__", "__str__", "__format__", "__await__"})


def is_method_name(name: str) -> bool:
    """A bare name (`fit`) or its read (`fit@`): an attribute of an object of unknown type,
    which names methods of any class; a call the rule cannot resolve."""
    return name.removesuffix("@").isidentifier()


def resolve_name(name: str, package: str) -> str:
    """`name` as `Reachability.refer` takes it from code of `package` (`:load` is
    `package:load`)."""
    if "=>" in name:
        return name
    if "<" in name:  # `TOKEN<:NAME`: TOKEN once NAME is referred to (`facts/names.py`)
        target, _, trigger = name.partition("<")
        return f"{resolve_name(target, package)}<{resolve_name(trigger, package)}"
    if ">" in name:  # `Cls>:NAME` (`Cls>>:NAME`): both halves relative to the package
        cls, _, instance = name.partition(">")
        mark = ">>" if instance.startswith(">") else ">"
        return f"{resolve_name(cls, package)}{mark}{resolve_name(instance.lstrip('>'), package)}"
    return package + name if name.startswith(":") else name


class _Pending(Generic[T]):
    """A function of `package` (its top-level package) waiting on `parts[index]`."""

    __slots__ = ("bare_from", "dynamic", "function", "gate", "getattr", "index", "module",
                 "owner", "package", "parts", "used", "via")

    def __init__(self, owner: T, function: FunctionFact, package: str, module: str = ""
                 ) -> None:
        self.owner = owner
        self.function = function
        self.package = package
        self.module = module  # the defining module: `module::name` names it exactly
        head = function.parts[0]
        # A module's own name (a function, a class) is named by a plain name or an
        # attribute of the module (`:name`, `numpy:name`), not by an attribute of an object
        # of unknown type (`fig.show`, bare `show`): only a method's name is. What a
        # module's `__getattr__` imports is also run by any attribute of that name: a
        # module object is often reached dynamically (`getattr(np, name)` over `dir(np)`,
        # as array-api-compat's `clone_module("numpy", ...)` does).
        self.bare_from = 1
        kind, colon, attribute = head.partition(":")
        # an import a module's __getattr__ holds: also run by code enumerating attributes
        # (`dir`, `getattr`), unless the module's `__dir__` leaves the name out
        self.dynamic = kind == GETATTR
        self.getattr = bool(colon) and kind in (GETATTR, GETATTR_HIDDEN)
        if self.getattr:
            self.parts: tuple[str, ...] = (attribute,)
            self.bare_from = 0
        else:
            self.parts = function.parts[:-1] if is_dunder(function.parts[-1]) \
                else function.parts
        # a part gated by a type probe waits last on its package's import (`?pandas`)
        self.gate = function.gate
        if self.gate:
            self.parts += (gate_name(self.gate),)
        self.index = 0
        self.via = ""  # the code whose reference made it reachable (`why` shows it)
        # `Cls.__call__`: waits on `pkg:Cls!` (Cls referred to other than by an instance
        # kept in a module global, or that global referred to)
        self.used = len(function.parts) == 2 and function.parts[-1] in INSTANCE_USE


def _keys(pending: _Pending[T], index: int) -> list[str]:
    """The names any one of which lets `pending` past `part`: qualified by its package
    (`numpy:run_main`), bare for a method's part (`fit`, or `fit@`: the attribute read,
    not called, as a property is), a module `__getattr__`'s name also read
    (`numpy:linalg@`: `linalg = np.linalg`) or enumerated (`dir()`, `numpy:dir()`)."""
    part = pending.parts[index]
    if pending.gate and index == len(pending.parts) - 1:
        return [part]
    qualified = f"{pending.package}:{part}"
    keys = [qualified + ("!" if pending.used else "")]
    if index == 0 and pending.module:
        keys.append(f"{pending.module}::{part}" + ("!" if pending.used else ""))
        if pending.getattr:  # read (`linalg = np.linalg`) is asked for too
            keys.append(f"{pending.module}::{part}@")
    if index >= pending.bare_from:
        keys += [part, part + "@"]
    if pending.getattr:
        keys.append(qualified + "@")
    if pending.dynamic:
        keys += [DYNAMIC_ATTRIBUTES, f"{pending.package}:{DYNAMIC_ATTRIBUTES}"]
    return keys


class Reachability(Generic[T]):
    """Names referred to so far (bare `fit`, qualified `numpy:show_config`), and the
    functions still waiting for one of theirs.

    Linear in what it is given: each function waits on one name at a time (bare or
    qualified by its own package) and moves on only when that name arrives.
    """

    def __init__(self, on_reached: Callable[[T, FunctionFact, str], None],
                 defer_methods: bool = False) -> None:
        self.names: set[str] = set()
        # the code referring to names now (`pkg/mod.py (module level)`), set by the walker;
        # each name keeps the first (what made a function reachable, for `why`)
        self.referrer = ""
        self._first: dict[str, str] = {}
        self._waiting: dict[str, list[tuple[_Pending[T], int]]] = {}
        self._ready: list[_Pending[T]] = []
        self._on_reached = on_reached
        self._draining = False
        self._forward: dict[str, set[str]] = {}  # `sklearn:f` -> {`joblib:f`}
        self._star: dict[str, set[str]] = {}  # `pkg` -> packages it star-imports from
        self._attributes: dict[str, set[str]] = {}  # package -> its qualified names so far
        self._instances: dict[str, set[str]] = {}  # `pkg:test` -> {`numpy:PytestTester`}
        self._bound: dict[str, set[str]] = {}  # `numpy:run_main` -> what binding it named
        self._settled: frozenset[str] | None = None  # the names referred to by `settle()`
        self._late: set[str] = set()  # the names that let functions run only after it
        # with `defer_methods`, a method's bare name counts only from `settle()` on (a call
        # the rule cannot resolve): name -> the code that first referred to it
        self._defer = defer_methods
        self._deferred: dict[str, str] = {}

    @property
    def deferred(self) -> bool:
        """Whether names wait for `settle()`: methods' names, with `defer_methods`."""
        return bool(self._deferred)

    def refer(self, names: Iterable[str], package: str = "") -> None:
        """Code of `package` that runs refers to `names` (`:load`, relative, is
        `package:load`); then reached functions run, transitively."""
        for name in names:
            self._add(resolve_name(name, package))
        self._drain()

    def settle(self) -> None:
        """What is referred to from now on is referred to only by code that may not run:
        code that runs once an `except ImportError` fallback's import succeeds
        (`Walker.walk`), or a method that only its name on an object of unknown type
        calls (the names `defer_methods` held back, referred to now). A `Frontier` keeps
        those names apart. Called once, if at all."""
        self._settled = frozenset(self.names)
        deferred, self._deferred = self._deferred, {}
        referrer = self.referrer
        for name, first in deferred.items():
            self.referrer = first
            self._add(name)
        self.referrer = referrer
        self._drain()

    def define(self, owner: T, function: FunctionFact, package: str = "", module: str = ""
               ) -> None:
        """A reached module `module` of `package` defines `function`; it runs once its
        names are referred to (`module::name`, exactly, or `package:name`)."""
        self._offer(_Pending(owner, function, package, module))
        self._drain()

    def forward(self, name: str, package: str, other: str, alias: str = "") -> None:
        """A module of `package` re-exports `name` from `other` (`name` "*": every name),
        as `alias` when it is bound to another name (`from tqdm.auto import tqdm as
        old_tqdm`: `pkg:old_tqdm` is `tqdm:tqdm`, and `pkg:tqdm` is not)."""
        if name == "*":
            self._star.setdefault(package, set()).add(other)
            for attribute in list(self._attributes.get(package, ())):
                self._add(f"{other}:{attribute}")
        else:
            source = f"{package}:{alias or name}"
            self._forward.setdefault(source, set()).add(f"{other}:{name}")
            if source in self.names:
                self._add(f"{other}:{name}")
        self._drain()

    def _add(self, name: str, constructed: bool = False) -> None:
        """`name` is referred to; `constructed`: only by `NAME = Cls(...)` (see above)."""
        if "=>" in name:  # `pkg:name=>other`: the job's own module re-exports it
            source, _, other = name.partition("=>")
            package, _, attribute = source.partition(":")
            self.forward(attribute, package, other)
            return
        if "<" in name:  # `NAME = obj.attr`: obj.attr's tokens count once NAME is named
            target, _, trigger = name.partition("<")
            if trigger in self.names:
                self._add(target)
            else:
                self._bound.setdefault(trigger, set()).add(target)
            return
        if ">" in name:  # in a class attribute (`self.NAME`), or a module global (`>>`:
            # named as a module-level function is, not by an attribute of anything)
            cls, _, instance = name.partition(">")
            keys = (instance[1:],) if instance.startswith(">") \
                else (instance, instance.partition(":")[2])
            self._add(cls, constructed=True)
            for key in keys:
                self._instances.setdefault(key, set()).add(cls)
                if key in self.names:
                    self._add(cls + "!")
            return
        if self._defer and self._settled is None and is_method_name(name):
            self._deferred.setdefault(name, self.referrer)
            return
        if not constructed and ":" in name and not name.endswith("!"):
            self._add(name + "!")
        if name in self.names:
            return
        self.names.add(name)
        self._first[name] = self.referrer
        for target in self._bound.pop(name, ()):
            self._add(target)
        for cls in self._instances.get(name, ()):
            self._add(cls + "!")
        for pending, index in self._waiting.pop(name, ()):
            if pending.index == index:
                pending.index += 1
                self._offer(pending)
        package, colon, attribute = name.partition(":")
        if colon and not attribute.startswith(":"):  # `module::name` is exact: not handed on
            self._attributes.setdefault(package, set()).add(attribute)
            for other in self._forward.get(name, ()):
                self._add(other, constructed)
            for other in self._star.get(package, ()):
                self._add(f"{other}:{attribute}", constructed)

    def frontier(self) -> Frontier:
        """What referring to a further name would do now (see `Frontier`)."""
        awaited = frozenset(key for key, entries in self._waiting.items()
                            if any(pending.index == index for pending, index in entries))
        # a method's bare name is never referred to sooner than settling (`defer_methods`)
        late = frozenset() if self._settled is None else frozenset(
            name for name in (self.names - self._settled) | self._late
            if not (self._defer and is_method_name(name)))
        return Frontier(frozenset(self.names), awaited, frozenset(self._bound),
                        frozenset(self._instances),
                        {key: frozenset(value) for key, value in self._forward.items()},
                        {key: frozenset(value) for key, value in self._star.items()}, late)

    def _offer(self, pending: _Pending[T]) -> None:
        names, parts = self.names, pending.parts
        while pending.index < len(parts):
            keys = _keys(pending, pending.index)
            if not any(key in names for key in keys):
                for key in keys:
                    self._waiting.setdefault(key, []).append((pending, pending.index))
                return
            pending.index += 1
        # what named the function, not the import of the package its gated part waited on
        end = len(parts) - 1 - (1 if pending.gate else 0)
        last = _keys(pending, end) if end >= 0 else []
        pending.via = next((self._first[key] for key in last if key in names), "")
        if self._settled is not None:  # a name of a part it passed only after settling,
            for index in range(len(parts)):  # referred to sooner, would run it sooner
                keys = _keys(pending, index)
                if not any(key in self._settled for key in keys):
                    self._late.update(keys)
        self._ready.append(pending)

    def _drain(self) -> None:
        if self._draining:
            return  # the outer call drains what this one added
        self._draining = True
        try:
            while self._ready:
                pending = self._ready.pop()
                self._on_reached(pending.owner, pending.function, pending.via)
        finally:
            self._draining = False


@dataclass(frozen=True)
class Frontier:
    """A `Reachability` at rest, without its functions: the names referred to, those a
    function still waits on, and those that hand a reference on (a binding or an instance
    waiting on its name, a re-export, a star import). Enough to tell whether further names
    are *inert*: referring to them would reach nothing new (`_add`, replayed on names), so
    a walk that refers to them as well ends where this one did. `late`: the names referred
    to only after `Reachability.settle`, and those of a part of a function that it passed
    only after: referring to one of them sooner could make a function run for sure, so
    none is inert."""

    names: frozenset[str]
    awaited: frozenset[str]
    bound: frozenset[str]
    instances: frozenset[str]
    forward: Mapping[str, frozenset[str]]
    star: Mapping[str, frozenset[str]]
    late: frozenset[str] = frozenset()

    def inert(self, names: Iterable[str]) -> bool:
        """Whether referring to `names` (as `refer` takes them) would change nothing but
        the set of names referred to (and dormant re-exports)."""
        seen: set[str] = set()  # what referring to them adds to the names
        names = list(names)
        if not all(self._inert(name, seen) for name in names if "=>" not in name):
            return False
        # `pkg:name=>other` (the job's module re-exports an import): dormant unless
        # `pkg:name` is referred to, now or by what the others add; then `other:name` is
        waiting = [name for name in names if "=>" in name]
        while True:
            fired = []
            for name in waiting:
                source, _, other = name.partition("=>")
                package, _, attribute = source.partition(":")
                if not package or attribute == "*" or ">" in source or "<" in source \
                        or source in self.late:
                    # a star re-export (what it would hand on is not kept), or a name only
                    # code under an optional import referred to
                    return False
                if source in self.names or source in seen:
                    fired.append(name)
                    if not self._inert(f"{other}:{attribute}", seen):
                        return False
            if not fired:
                return True
            waiting = [name for name in waiting if name not in fired]

    def _inert(self, name: str, seen: set[str]) -> bool:
        if "=>" in name or "<" in name or ">" in name:
            return False  # a binding, an instance: not judged, walked
        if ":" in name and not name.endswith("!") and not self._inert(name + "!", seen):
            return False
        if name in self.late:
            return False
        if name in self.names or name in seen:
            return True
        seen.add(name)
        if name in self.awaited or name in self.bound or name in self.instances:
            return False
        package, colon, attribute = name.partition(":")
        if not colon or attribute.startswith(":"):
            return True
        return all(self._inert(other, seen) for other in self.forward.get(name, ())) \
            and all(self._inert(f"{other}:{attribute}", seen)
                    for other in self.star.get(package, ()))
