"""Run the walker on a fixture project with no installed distributions."""

from __future__ import annotations

from pathlib import Path

from jobpack.analyzer.api import Analysis, walk
from jobpack.analyzer.distributions import DistributionIndex
from jobpack.analyzer.entries import parse_entry
from jobpack.target import Target

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "analyzer"


def run(case: str, *entries: str, target: str = "3.11") -> Analysis:
    root = FIXTURES / case
    parsed = [parse_entry(e, root) for e in (entries or ("main.py",))]
    return walk(parsed, root, Target.parse(target), DistributionIndex([]), None, None, [])


def local(analysis: Analysis) -> set[str]:
    return {f.path for f in analysis.manifest.local_files}


def external(analysis: Analysis) -> set[str]:
    return {m.name for m in analysis.graph.find_modules("external", "unresolved")}


def codes(analysis: Analysis) -> set[tuple[str, int | None, str]]:
    return {(d.path or "", d.line, d.code) for d in analysis.diagnostics}
