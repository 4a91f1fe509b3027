"""Which functions of installed libraries run: reachability by name.

An import inside a library function runs only when that function is called. A call is
rarely resolvable statically (`obj.fit(X)`: which class's `fit`?), so the rule is by
name: a function is reachable once its name is referred to by code that runs (the job's
own code, module-level code of every module reached, the bodies of reachable functions);
a method `Cls.meth` once both `Cls` and `meth` are (a dunder method once `Cls` is: the
interpreter calls it). It over-approximates a call graph and never needs one; see
`docs/reachability.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from jobpack.analyzer.facts.model import FunctionFact

T = TypeVar("T")  # what travels with a function: the visit of the file defining it


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


class Reachability(Generic[T]):
    """Names referred to so far, and the functions still waiting for one of theirs.

    Linear in what it is given: each function waits on one name at a time and moves on
    only when that name arrives.
    """

    def __init__(self, on_reached: Callable[[T, FunctionFact], None]) -> None:
        self.names: set[str] = set()
        self._waiting: dict[str, list[tuple[T, FunctionFact]]] = {}
        self._ready: list[tuple[T, FunctionFact]] = []
        self._on_reached = on_reached
        self._draining = False

    def refer(self, names: Iterable[str]) -> None:
        """Code that runs refers to `names` (then reached functions run, transitively)."""
        for name in names:
            if name not in self.names:
                self.names.add(name)
                for owner, function in self._waiting.pop(name, ()):
                    self._offer(owner, function)
        self._drain()

    def define(self, owner: T, function: FunctionFact) -> None:
        """A reached module defines `function`; it runs once its names are referred to."""
        self._offer(owner, function)
        self._drain()

    def _offer(self, owner: T, function: FunctionFact) -> None:
        missing = self._missing(function.parts)
        if missing is None:
            self._ready.append((owner, function))
        else:
            self._waiting.setdefault(missing, []).append((owner, function))

    def _missing(self, parts: tuple[str, ...]) -> str | None:
        if parts[0].startswith("__getattr__:"):  # an import a module's __getattr__ holds
            name = parts[0].partition(":")[2]
            return None if name in self.names else name
        last = len(parts) - 1
        for number, part in enumerate(parts):
            if number == last and is_dunder(part):
                return None
            if part not in self.names:
                return part
        return None

    def _drain(self) -> None:
        if self._draining:
            return  # the outer call drains what this one added
        self._draining = True
        try:
            while self._ready:
                owner, function = self._ready.pop()
                self._on_reached(owner, function)
        finally:
            self._draining = False
