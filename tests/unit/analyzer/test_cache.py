"""The facts cache: hits, misses, invalidation, corruption, sharing, parallel parsing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer import api
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.layout import hash_file
from jobpack.target import Target
from tests.conftest import FIXTURES

PY311 = Target(*sys.version_info[:3])  # what `jobpack analyze` targets by default


def make_tree(root: Path, modules: int) -> None:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("")
    lines = [f"import pkg.m{i}" for i in range(modules)]
    (root / "main.py").write_text("\n".join(lines) + "\n")
    for i in range(modules):
        body = f"from . import m{(i + 1) % modules}\nimport json\n"
        body += "".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(20))
        (root / "pkg" / f"m{i}.py").write_text(body)


def analyze(root: Path, cache: Path | None, workers: int = 1) -> tuple[jobpack.Analysis, FactsStore]:
    store = FactsStore(PY311, cache, workers=workers)
    try:
        analysis = jobpack.analyze(["main.py"], root=root, facts_for=store)
    finally:
        store.close()
    return analysis, store


@pytest.fixture()
def two_workers() -> Iterator[FactsStore]:
    """A cacheless store with two workers, closed (its workers stopped) at the test's end
    whatever happened."""
    store = FactsStore(PY311, None, workers=2)
    yield store
    store.close()


def test_a_warm_run_parses_nothing_and_an_edit_parses_one_file(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 5)
    cache = tmp_path / "cache"
    first, cold = analyze(tmp_path / "p", cache)
    assert (cold.parsed, cold.hits) == (7, 0)
    second, warm = analyze(tmp_path / "p", cache)
    assert (warm.parsed, warm.hits) == (0, 7)
    assert second.manifest == first.manifest
    # (an uninstalled name: an installed one would walk that library's files too)
    (tmp_path / "p" / "pkg" / "m3.py").write_text("import not_installed_here\n")
    edited, store = analyze(tmp_path / "p", cache)
    assert store.parsed == 1
    assert "not_installed_here" in {m.name for m in edited.graph.find_modules("unresolved")}


def test_renames_and_deletions_are_seen(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 3)
    cache = tmp_path / "cache"
    analyze(tmp_path / "p", cache)
    (tmp_path / "p" / "pkg" / "m2.py").rename(tmp_path / "p" / "pkg" / "renamed.py")
    after, store = analyze(tmp_path / "p", cache)
    local = {f.path for f in after.manifest.local_files}
    assert "pkg/m2.py" not in local and "pkg/renamed.py" not in local
    assert any(d.code == "unresolved-import" for d in after.diagnostics)
    assert store.parsed == 0  # the renamed file has the same content: served from the cache


def test_another_target_does_not_share_entries(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 2)
    cache = tmp_path / "cache"
    analyze(tmp_path / "p", cache)
    store = FactsStore(Target(3, 12), cache, workers=1)
    store.prefetch([tmp_path / "p" / "main.py"])
    assert store.parsed == 1


def test_corrupt_and_foreign_entries_are_ignored_and_rebuilt(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 2)
    cache = tmp_path / "cache"
    first, _ = analyze(tmp_path / "p", cache)
    entries = sorted((cache / "facts").rglob("*.json"))
    entries[0].write_text("{not json")
    entries[1].write_text(json.dumps({"key": "someone else's", "facts": {}}))
    entries[2].write_text(json.dumps({"key": entries[2].stem, "facts": {"imports": 3}}))
    again, store = analyze(tmp_path / "p", cache)
    assert store.parsed == 3
    assert again.manifest == first.manifest
    assert json.loads(entries[0].read_text())["key"] == entries[0].stem


def test_two_processes_can_share_one_cache(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 40)
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "jobpack", "analyze", "main.py", "--json",
               "--cache-dir", str(cache)]
    procs = [subprocess.Popen(command, cwd=tmp_path / "p", stdout=subprocess.PIPE)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1]
    assert not list(cache.rglob(".tmp-*"))
    _, store = analyze(tmp_path / "p", cache)
    assert store.parsed == 0


def test_speculated_files_are_parsed_beside_the_walk_and_counted_once(
        tmp_path: Path, two_workers: FactsStore) -> None:
    make_tree(tmp_path / "p", 40)
    paths = sorted((tmp_path / "p" / "pkg").glob("m*.py"))
    store = two_workers
    store.speculate(paths)
    assert store._pool is not None and store._pool.workers  # parsing already
    assert store.prefetch(paths) == 40
    assert store.prefetch(paths) == 0
    assert store.parsed == 40


def test_too_few_speculated_files_start_no_workers(
        tmp_path: Path, two_workers: FactsStore) -> None:
    make_tree(tmp_path / "p", 3)
    paths = sorted((tmp_path / "p" / "pkg").glob("m*.py"))
    store = two_workers
    store.speculate(paths)
    assert store._pool is None
    assert store.prefetch(paths) == 3  # parsed here, in this process
    assert store._pool is None


def test_a_library_walk_parsed_beside_it_gives_what_a_sequential_one_does(
        tmp_path: Path) -> None:
    """Installed code (rich, in the test environment) read ahead and parsed in workers as
    the walk finds it, answers arriving in any order: the same manifest and graph."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "main.py").write_text(
        "from rich.console import Console\nfrom rich.table import Table\n"
        "import rich.progress\nConsole().print(Table(title='x'))\n")
    results = []
    for workers in (1, 2):
        store = FactsStore(PY311, tmp_path / f"cache{workers}", workers=workers)
        try:
            results.append(jobpack.analyze(["main.py"], root=root, facts_for=store))
        finally:
            store.close()
        assert store.parsed > 50  # the library's files, not only the job's
    sequential, parallel = results
    assert parallel.manifest.to_json() == sequential.manifest.to_json()
    assert parallel.graph.modules == sequential.graph.modules
    assert parallel.graph.find_modules("external") == sequential.graph.find_modules(
        "external")


def test_parallel_and_sequential_parsing_give_identical_results(tmp_path: Path) -> None:
    make_tree(tmp_path / "p", 60)
    sequential, seq_store = analyze(tmp_path / "p", None, workers=1)
    parallel, par_store = analyze(tmp_path / "p", None, workers=2)
    assert seq_store.parsed == par_store.parsed == 62
    assert parallel.manifest.to_json() == sequential.manifest.to_json()
    assert parallel.graph.modules == sequential.graph.modules


def test_the_manifest_takes_each_parsed_files_digest_from_its_one_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local file is read once by the analysis: the parser's bytes give its digest."""
    hashed: list[str] = []
    real = hash_file

    def counting(path: Path) -> tuple[str, int]:
        hashed.append(str(path))
        return real(path)

    monkeypatch.setattr(api, "hash_file", counting)
    job = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", job)
    manifest = jobpack.analyze(config=job / "config.yaml", no_cache=True).manifest
    assert hashed == []
    assert {f.path: f.sha256 for f in manifest.local_files} == {
        f.path: hashlib.sha256((job / f.path).read_bytes()).hexdigest()
        for f in manifest.local_files}
