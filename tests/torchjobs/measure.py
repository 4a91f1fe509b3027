"""Pins against the runtime truth (issue #20): what a job imported when it ran, the pip
closure of those distributions, and what the static analysis pinned beyond it.

The truth is `jobpack trace`'s recorder (`record_imports`); a recorded module belongs to
the installed distributions that provide it; the closure adds, transitively, each one's
`Requires-Dist` without extras, markers judged for the target (what `pip install` of the
recorded distributions would bring). Missed: recorded, not pinned. Beyond: pinned, not in
the closure; their size (RECORD bytes) is set against the closure's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from jobpack.analyzer.api import Analysis
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import requirements_for
from jobpack.analyzer.trace import Imported
from jobpack.target import Target

MB = 1e6


@dataclass(frozen=True)
class Measure:
    recorded: frozenset[str]  # distributions whose modules the job imported
    closure: frozenset[str]
    pinned: frozenset[str]
    missed: frozenset[str]
    beyond: frozenset[str]
    closure_bytes: int
    beyond_bytes: int
    tiers: dict[str, str]
    required_bytes: int = 0  # of the beyond, those in the required tier

    @property
    def beyond_share(self) -> float:
        return self.beyond_bytes / max(self.closure_bytes, 1)

    def render(self, job: str) -> str:
        optional = sorted(n for n in self.beyond if self.tiers.get(n) == "optional")
        required = len(self.beyond) - len(optional)
        return (f"{job}: recorded {len(self.recorded)}, closure {len(self.closure)} "
                f"({self.closure_bytes / MB:.0f} MB), pinned {len(self.pinned)}; missed "
                f"{len(self.missed)} {sorted(self.missed)}; beyond the closure "
                f"{len(self.beyond)} ({self.beyond_bytes / MB:.0f} MB, "
                f"{100 * self.beyond_share:.1f}%): {sorted(self.beyond)}"
                + (f"; of them optional: {optional}" if optional else "")
                + f"; required beyond: {required} ({self.required_bytes / MB:.0f} MB)")

    def without(self, names: frozenset[str], index: DistributionIndex) -> tuple[int, float]:
        """Beyond the closure, leaving out `names` (a distribution and its own closure):
        how many, and their share of the closure's size."""
        rest = self.beyond - names
        return len(rest), _bytes(rest, index) / max(self.closure_bytes, 1)


def measure(analysis: Analysis, imported: Sequence[Imported]) -> Measure:
    assert analysis.environment is not None
    index = DistributionIndex.from_paths(analysis.environment.distribution_paths)
    target = Target.parse(analysis.manifest.target.python)
    pinned = frozenset(r.name for r in analysis.manifest.requirements)
    recorded = frozenset(_providers_of(analysis, imported, index))
    missed = recorded - pinned
    closure = _closure(recorded, index, target)
    beyond = pinned - closure
    tiers: dict[str, str] = {r.name: r.tier for r in analysis.manifest.requirements}
    required = frozenset(n for n in beyond if tiers.get(n) != "optional")
    return Measure(recorded, closure, pinned, missed, beyond, _bytes(closure, index),
                   _bytes(beyond, index), tiers, _bytes(required, index))


def _providers_of(analysis: Analysis, imported: Sequence[Imported],
                  index: DistributionIndex) -> set[str]:
    """Distributions providing a module the job imported from the analysed environment."""
    assert analysis.environment is not None
    sites = [p.resolve() for p in analysis.environment.distribution_paths]
    found: set[str] = set()
    for item in imported:
        if item.file is None or not any(Path(item.file).resolve().is_relative_to(s)
                                        for s in sites):
            continue
        deepest = index.deepest(item.module)
        if deepest is not None:
            found.update(d.name for d in index.providers(deepest))
    return found


def closure_of(name: str, analysis: Analysis) -> frozenset[str]:
    """`name` and what pip would install with it, for the analysed target."""
    assert analysis.environment is not None
    index = DistributionIndex.from_paths(analysis.environment.distribution_paths)
    return _closure(frozenset({name}), index,
                    Target.parse(analysis.manifest.target.python))


def _closure(names: frozenset[str], index: DistributionIndex, target: Target
             ) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        dist = index.get(name)
        if name in seen or dist is None:
            continue
        seen.add(name)
        todo.extend(canonicalize_name(r.name) for r in requirements_for(dist, (), target)[0])
    return frozenset(seen)


def _bytes(names: frozenset[str], index: DistributionIndex) -> int:
    return sum((d.size or 0) for n in names if (d := index.get(n)) is not None)
