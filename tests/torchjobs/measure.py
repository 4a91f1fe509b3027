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

from jobpack.analyzer.api import Analysis
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import pip_closure
from jobpack.analyzer.trace import Imported, runtime_distributions
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
                + f"; required beyond: {required} ({self.required_bytes / MB:.0f} MB)"
                + f"; imported from the optional tier: {sorted(self.on_demand)}")

    @property
    def on_demand(self) -> frozenset[str]:
        """What the run imported that is in the optional tier (installed during the run)."""
        return frozenset(n for n in self.recorded if self.tiers.get(n) == "optional")

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
    recorded = runtime_distributions(analysis, imported)
    missed = recorded - pinned
    closure = pip_closure(recorded, index, target)
    beyond = pinned - closure
    tiers: dict[str, str] = {r.name: r.tier for r in analysis.manifest.requirements}
    required = frozenset(n for n in beyond if tiers.get(n) != "optional")
    return Measure(recorded, closure, pinned, missed, beyond, _bytes(closure, index),
                   _bytes(beyond, index), tiers, _bytes(required, index))


def closure_of(name: str, analysis: Analysis) -> frozenset[str]:
    """`name` and what pip would install with it, for the analysed target."""
    assert analysis.environment is not None
    index = DistributionIndex.from_paths(analysis.environment.distribution_paths)
    return pip_closure({name}, index, Target.parse(analysis.manifest.target.python))


def _bytes(names: frozenset[str], index: DistributionIndex) -> int:
    return sum((d.size or 0) for n in names if (d := index.get(n)) is not None)
