"""Library facts are cached by (distribution, version): a warm run hashes no library file."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.walk.resolve import Namespaces
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


def test_a_library_files_facts_are_stored_once_in_its_table(tmp_path: Path) -> None:
    """A cold analysis of torch wrote each library file's facts twice, in the table and as
    an entry of the per-file cache, which a warm run never read (2 of its 23 seconds)."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.py").write_text("import yaml\n")
    cache = tmp_path / "cache"
    _, cold = analyze(tmp_path / "p", cache)
    entries = list((cache / "facts").rglob("*.json"))
    assert cold.parsed > 1 and len(entries) == 1  # main.py's alone
    assert b"yaml" in entries[0].read_bytes()  # its own import, not a library module's
    # the table is the only copy: without it, the library is parsed again, never lost
    for table in (cache / "dists").rglob("pyyaml-*.json"):
        table.unlink()
    _, again = analyze(tmp_path / "p", cache)
    assert (again.parsed, again.hits) == (cold.parsed - 1, 1)
    assert len(list((cache / "dists").rglob("pyyaml-*.json"))) == 1


def test_an_edit_of_the_jobs_own_code_reads_no_library_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading ahead where the job's references lead (`Namespaces.warm`) is of use only
    when the library walk runs, and pays only while there is something to parse; after an
    edit that keeps the job's names (the memo replays the libraries' walk) it once read
    thousands of library tables (1.1 s of the torch finetune job's 1.7 s)."""
    warmed: list[int] = []
    original = Namespaces.warm

    def counting(self: Namespaces, chains: Iterable[tuple[str, tuple[str, ...]]],
                 **options: bool) -> None:
        warmed.append(1)
        original(self, chains, **options)

    monkeypatch.setattr(Namespaces, "warm", counting)
    (tmp_path / "p").mkdir()
    main = tmp_path / "p" / "main.py"
    main.write_text("import yaml\nprint(yaml.safe_load('a: 1'))\n")
    cache = tmp_path / "cache"

    def analysed() -> jobpack.Analysis:
        return jobpack.analyze(["main.py"], root=tmp_path / "p", cache_dir=cache,
                               python=sys.executable, workers=1)

    first = analysed()
    assert warmed  # the cold walk read ahead through yaml's modules
    warmed.clear()
    main.write_text("import yaml\n# an edit\nprint(yaml.safe_load('a: 2'))\n")
    second = analysed()
    assert not warmed
    assert second.manifest.requirements == first.manifest.requirements
