"""Precision against the runtime truth: what a script imports when it runs, and pip's
closure of that, compared with what jobpack pins (issue #20).

The truth is the runtime import recorder of `jobpack trace`: every distribution that owns
a module the script imported. Its closure is what pip would install for those: their
`Requires-Dist` without extras, markers judged for the target, transitively. A pin outside
that closure ships for nothing (what `jobpack trace` lists as not needed by the run); a
truth distribution not pinned is a miss.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jobpack
from jobpack.analyzer.pins.requirements import pip_closure
from jobpack.analyzer.trace import record_imports, runtime_distributions
from jobpack.target import Target


@dataclass(frozen=True)
class Precision:
    """One script's figures."""

    script: str
    returncode: int
    truth: frozenset[str]
    closure: frozenset[str]
    pinned: Mapping[str, str]  # name -> tier
    sizes: Mapping[str, int]

    @property
    def missed(self) -> frozenset[str]:
        return self.truth - set(self.pinned)

    @property
    def beyond(self) -> frozenset[str]:
        """Pins outside pip's closure of the truth (any tier)."""
        return frozenset(self.pinned) - self.closure

    @property
    def beyond_required(self) -> frozenset[str]:
        return frozenset(n for n in self.beyond if self.pinned[n] == "required")

    @property
    def installed_on_demand(self) -> frozenset[str]:
        """What the run imported that is in the optional tier: installed at its first
        import during the run (needed, not missed, but not installed up front)."""
        return frozenset(n for n in self.truth if self.pinned.get(n) == "optional")

    def megabytes(self, names: frozenset[str]) -> float:
        return sum(self.sizes.get(n, 0) for n in names) / 1e6

    def row(self) -> str:
        return (f"{self.script}: truth {len(self.truth)}, closure {len(self.closure)} "
                f"({self.megabytes(self.closure & set(self.pinned)):.1f} MB), pinned "
                f"{len(self.pinned)}, missed {sorted(self.missed)}, beyond "
                f"{sorted(self.beyond)} ({self.megabytes(self.beyond):.1f} MB; required: "
                f"{sorted(self.beyond_required)}); imported from the optional tier: "
                f"{sorted(self.installed_on_demand)}")


def measure(script: Path, python: str, env: Mapping[str, str], cache: Path,
            timeout: float | None = None) -> Precision:
    """Run `script` once with the recorder and analyse it: the figures of one script.
    With `timeout`, a run that takes longer is stopped (coreutils' `timeout`: its return
    code is 124)."""
    analysis = jobpack.analyze([script], python=python, root=script.parent, cache_dir=cache)
    assert analysis.environment is not None and analysis.index is not None
    target = Target.parse(analysis.manifest.target.python)
    argv = [python, script.name]
    if timeout is not None:
        argv = ["timeout", str(timeout), *argv]
    code, imported, _ = record_imports(argv, python=python, cwd=script.parent, env=env)
    truth = runtime_distributions(analysis, imported)
    return Precision(script.name, code, truth, pip_closure(truth, analysis.index, target),
                     {r.name: r.tier for r in analysis.manifest.requirements},
                     {r.name: r.size or 0 for r in analysis.manifest.requirements})


def summary(rows: Sequence[Precision]) -> str:
    beyond = [len(r.beyond) for r in rows]
    required = [len(r.beyond_required) for r in rows]
    return (f"{len(rows)} scripts: missed {sum(len(r.missed) for r in rows)}; beyond pip's "
            f"closure median {statistics.median(beyond)}, max {max(beyond)} (required tier "
            f"median {statistics.median(required)}, max {max(required)}); MB beyond median "
            f"{statistics.median(r.megabytes(r.beyond) for r in rows):.1f}, max "
            f"{max(r.megabytes(r.beyond) for r in rows):.1f}; imported from the optional "
            f"tier (installed during the run) in {sum(bool(r.installed_on_demand) for r in rows)}"
            f" scripts, {sum(len(r.installed_on_demand) for r in rows)} distributions")
