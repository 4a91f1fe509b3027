"""`Frontier.inert`: whether names a finished reachability has not seen would reach
anything, judged without its functions (what lets `library_memo.Closure` replay a library
walk after an edit that names more). Checked against the engine itself: on random
libraries, whatever `inert` says of some names, a walk that refers to them first (as the
library walk refers to the job's names before anything else) reaches exactly what the walk
without them reached."""

from __future__ import annotations

import random

import pytest

from jobpack.analyzer.facts.model import FunctionFact
from jobpack.analyzer.walk.reach import Reachability

PACKAGES = ("pkg", "other")
WORDS = ("load", "save", "run", "fit", "plot", "Model", "Cache", "NAME", "test")


def _name(rng: random.Random) -> str:
    """A reference as code refers to it: bare (a method's name), qualified by a package
    or exact (`module::name`), or one of the special forms (a binding, an instance, a
    re-export)."""
    word, package = rng.choice(WORDS), rng.choice(PACKAGES)
    form = rng.randrange(9)
    if form == 0:
        return word
    if form == 1:
        return f"{word}@"
    if form == 2:
        return f"{package}.mod::{word}"
    if form == 3:
        return f"{package}:{word}<{package}:{rng.choice(WORDS)}"
    if form == 4:
        return f"{package}:{word}>{package}:{rng.choice(WORDS)}"
    if form == 5 and rng.random() < 0.3:
        return f"{package}:{word}=>{rng.choice(PACKAGES)}"
    return f"{package}:{word}"


# what a walk does, in order: ("define", owner, function, package, module) when a module
# defines a function; ("refer", names, package) when code refers to names; ("forward",
# name, package, other) when a package re-exports a name (or "*") from another
Step = tuple[object, ...]


def _library(rng: random.Random) -> list[Step]:
    steps: list[Step] = []
    for _ in range(rng.randrange(4, 30)):
        kind = rng.randrange(4)
        package = rng.choice(PACKAGES)
        if kind == 0:
            parts = [rng.choice(WORDS)]
            if rng.random() < 0.4:  # a method; `__call__` runs only once an instance is used
                parts.append(rng.choice((*WORDS, "__call__", "__call__", "__init__")))
            body = " ".join(_name(rng) for _ in range(rng.randrange(4)))
            function = FunctionFact(".".join(parts), 1, body)
            module = f"{package}.mod" if rng.random() < 0.5 else ""
            steps.append(("define", f"{package}:{function.name}", function, package, module))
        elif kind == 1:
            steps.append(("refer", [_name(rng) for _ in range(rng.randrange(1, 3))], package))
        else:
            name = "*" if kind == 3 else rng.choice(WORDS)
            other = rng.choice([p for p in PACKAGES if p != package])
            steps.append(("forward", name, package, other))
    return steps


class _Walk:
    """A reachability driven as the walker drives it: a reached function's body refers
    to its names."""

    def __init__(self, defer_methods: bool = False) -> None:
        self.reached: set[str] = set()
        self.sure: set[str] = set()  # what was reached when the engine settled
        self.engine: Reachability[str] = Reachability(self._on_reached, defer_methods)
        self.defer = defer_methods

    def _on_reached(self, owner: str, function: FunctionFact, via: str) -> None:
        self.reached.add(owner)
        self.engine.refer(function.names.split(), "pkg")

    def run(self, steps: list[Step], first: list[str], settle: int = -1) -> _Walk:
        """`settle`: the step before which the engine settles (the walker's `except
        ImportError` fallbacks run after it); -1: never."""
        self.engine.refer(first, "pkg")
        for number, (kind, *args) in enumerate(steps):
            if number == settle:
                self.engine.settle()
                self.sure = set(self.reached)
            if kind == "define":
                owner, function, package, module = args
                assert isinstance(owner, str) and isinstance(function, FunctionFact)
                self.engine.define(owner, function, str(package), str(module))
            elif kind == "refer":
                names, package = args
                assert isinstance(names, list)
                self.engine.refer(names, str(package))
            else:
                name, package, other = map(str, args)
                self.engine.forward(name, package, other)
        if self.defer and not 0 <= settle < len(steps):
            # the walker settles once its queue is empty when methods' names wait
            self.sure = set(self.reached)
            self.engine.settle()
        return self


@pytest.mark.parametrize("defer_methods", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_names_said_inert_reach_nothing_new_even_referred_first(seed: int,
                                                                 defer_methods: bool) -> None:
    rng = random.Random(seed)
    inert = changed = 0
    for _ in range(300):
        steps = _library(rng)
        # half of the walks settle part way: what was reached by then must stay the same
        settle = rng.randrange(len(steps)) if rng.random() < 0.5 else -1
        walk = _Walk(defer_methods).run(steps, [], settle)
        before = walk.reached
        more = [_name(rng) for _ in range(rng.randrange(1, 3))]
        again = _Walk(defer_methods).run(steps, more, settle)
        after = again.reached
        if walk.engine.frontier().inert(more):
            inert += 1
            assert after == before, (more, before, after)
            assert again.sure == walk.sure, (more, walk.sure, again.sure)
        changed += after != before or again.sure != walk.sure
    # neither answer is vacuous: some names are inert, some reach more
    assert inert > 30 and changed > 30


def test_a_name_already_referred_is_inert_and_one_a_function_waits_on_is_not() -> None:
    engine: Reachability[str] = Reachability(lambda owner, function, via: None)
    engine.define("pkg:load", FunctionFact("load", 1), "pkg")
    engine.define("pkg:Model.fit", FunctionFact("Model.fit", 2), "pkg")
    engine.refer(["pkg:load", "pkg:Model"], "pkg")
    frontier = engine.frontier()
    assert frontier.inert(["pkg:load", "pkg:nothing"])  # referred, or waited on by none
    assert not frontier.inert(["pkg:nothing", "fit"])  # Model.fit waits on its bare name
    # the job's module re-exports an import (`from other import load` in it): dormant
    # until that name of it is referred to, then it names `other:load`
    engine.define("other:load", FunctionFact("load", 3), "other")
    frontier = engine.frontier()
    assert frontier.inert(["main:load=>other"])
    assert not frontier.inert(["main:load=>other", "main:load"])
    assert not frontier.inert(["pkg:load=>other"])  # pkg:load is referred to already
    assert not frontier.inert(["main:*=>other"])  # a star re-export is walked


def test_naming_an_instance_kept_in_a_global_is_not_inert() -> None:
    """`NAME = Model()` at module level: `Model.__call__` runs once NAME is named."""
    reached: list[str] = []
    engine: Reachability[str] = Reachability(
        lambda owner, function, via: reached.append(owner))
    engine.define("call", FunctionFact("Model.__call__", 1), "pkg")
    engine.refer(["pkg:Model>pkg:NAME"], "pkg")
    assert not reached
    assert not engine.frontier().inert(["pkg:NAME"])
    engine.refer(["pkg:NAME"], "pkg")
    assert reached == ["call"]


def test_a_name_referred_to_only_after_settling_is_not_inert() -> None:
    """Code under an `except ImportError` fallback named `fit`: a job naming it too makes
    `Model.fit` run for sure, so the walk is not replayed."""
    engine: Reachability[str] = Reachability(lambda owner, function, via: None)
    engine.define("pkg:Model.fit", FunctionFact("Model.fit", 2), "pkg")
    engine.refer(["pkg:Model", "pkg:load"], "pkg")
    engine.settle()
    engine.refer(["fit"], "other")
    frontier = engine.frontier()
    assert frontier.inert(["pkg:load"])  # referred to before: inert
    assert not frontier.inert(["fit"])
    # Model was referred to before: naming it sooner changes nothing
    assert "fit" in frontier.late and frontier.inert(["pkg:Model"])


def test_a_method_s_name_waits_for_settling_and_is_never_late() -> None:
    """With `defer_methods`, `fit` (a method named on an object of unknown type) counts
    only from settling on: `Model.fit` runs after what runs for sure. Naming `fit` sooner
    cannot change that, so a name referred to already stays inert."""
    reached: list[str] = []
    engine: Reachability[str] = Reachability(
        lambda owner, function, via: reached.append(owner), defer_methods=True)
    engine.define("pkg:Model.fit", FunctionFact("Model.fit", 2), "pkg")
    engine.define("pkg:load", FunctionFact("load", 3), "pkg")
    engine.refer(["pkg:Model", "fit", "pkg:load"], "pkg")
    assert reached == ["pkg:load"] and engine.deferred
    engine.settle()
    assert reached == ["pkg:load", "pkg:Model.fit"] and not engine.deferred
    frontier = engine.frontier()
    assert "fit" not in frontier.late and frontier.inert(["fit", "pkg:load"])
