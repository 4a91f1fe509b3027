"""Run the walker on a fixture project with no installed distributions."""

from __future__ import annotations

from pathlib import Path

from jobpack.analyzer.api import Walked, walk_imports
from jobpack.analyzer.entries import parse_entry
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.target import Target

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "analyzer"


def run(case: str, *entries: str, target: str = "3.11") -> Walked:
    root = FIXTURES / case
    parsed = [parse_entry(e, root) for e in (entries or ("main.py",))]
    parsed_target = Target.parse(target)
    return walk_imports(parsed, root, parsed_target, DistributionIndex([]), None,
                        FactsStore(parsed_target, None))


def local(walked: Walked) -> set[str]:
    return set(walked.local_files)


def external(walked: Walked) -> set[str]:
    return {m.name for m in walked.graph.find_modules("external", "unresolved")}


def codes(walked: Walked) -> set[tuple[str, int | None, str]]:
    return {(d.path or "", d.line, d.code) for d in walked.diagnostics}
