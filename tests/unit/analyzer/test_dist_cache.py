"""Library facts are cached by (distribution, version): a warm run hashes no library file."""

from __future__ import annotations

import sys
from pathlib import Path

import jobpack
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.target import Target


def analyze(root: Path, cache: Path) -> tuple[jobpack.Analysis, FactsStore]:
    store = FactsStore(Target(*sys.version_info[:3]), cache, workers=1)
    try:
        analysis = jobpack.analyze(["main.py"], root=root, facts_for=store,
                                   python=sys.executable)
    finally:
        store.close()
    return analysis, store


def test_a_warm_run_reads_library_facts_from_the_distribution_table(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.py").write_text("import yaml\n")
    cache = tmp_path / "cache"
    first, cold = analyze(tmp_path / "p", cache)
    assert cold.parsed > 1  # main.py and yaml's own modules
    tables = list((cache / "dists").rglob("pyyaml-*.json"))
    assert len(tables) == 1
    second, warm = analyze(tmp_path / "p", cache)
    assert (warm.parsed, warm.hits) == (0, 1)  # only main.py went through the file cache
    assert second.manifest == first.manifest
