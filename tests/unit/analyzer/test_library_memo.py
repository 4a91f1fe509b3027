"""The memo of the library walk (issues #20, #23): a code edit that hands the libraries the
same roots reuses the walk through them, and the manifest is the very one an unmemoised
walk makes; a change to the roots, the environment or a torn memo file walks again.

The real-library tests run in the conformance venv (requests, PyYAML, python-dateutil,
beautifulsoup4 from the package index) with a job written here."""

from __future__ import annotations

import ast
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.graph import ImportSite
from jobpack.analyzer.library_memo import LibraryMemo
from jobpack.analyzer.pins.env_state import cached_index, environment_state
from jobpack.analyzer.walk.split import SplitWalker
from jobpack.target import Target
from tests.conformance.environment import ensure_environment

JOB = """\
import yaml
import requests
from dateutil import parser


def fetch(url):
    return requests.get(url, timeout=5).text


def main():
    print(yaml.safe_dump({"when": str(parser.parse("2024-01-01"))}))


if __name__ == "__main__":
    main()
"""


def analysed(job: Path, python: Path, cache: Path, memo: bool, named_by: bool = True
             ) -> str:
    """The manifest and the import graph whole; without `named_by`, the graph's sites
    without the code that first named the function they sit in (`why`'s "named by", which
    the graph does not compare: a replayed walk keeps the first walk's)."""
    os.environ["JOBPACK_WALK_MEMO"] = "1" if memo else "0"
    try:
        analysis = jobpack.analyze([job], python=str(python), cache_dir=cache, workers=1)
    finally:
        del os.environ["JOBPACK_WALK_MEMO"]
    graph = analysis.graph

    def sites(importer: str, imported: str) -> tuple[ImportSite, ...]:
        found = graph.get_import_sites(importer, imported)
        return tuple(found) if named_by else tuple(sorted(
            (replace(site, reached_by="") for site in found), key=repr))

    edges = sorted((m.name, imported, sites(m.name, imported))
                   for m in graph for imported in graph.find_modules_directly_imported_by(m.name))
    return "\n".join([analysis.manifest.to_json(), repr(list(graph)), repr(edges)])


def memos(cache: Path) -> list[Path]:
    return sorted((cache / "walks").rglob("*.pickle"))


@pytest.mark.slow
def test_memoised_walks_make_the_unmemoised_manifest(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    python = ensure_environment()
    job, cache = tmp_path / "job" / "main.py", tmp_path / "cache"
    job.parent.mkdir()
    job.write_text(JOB)
    plain = analysed(job, python, cache, memo=False)
    assert '"requests"' in plain and '"urllib3"' in plain  # the libraries were walked
    assert not memos(cache)
    assert analysed(job, python, cache, memo=True) == plain  # walked, then remembered
    [memo] = memos(cache)

    # an edit that moves every line and changes a literal: the same roots, a memo hit
    job.write_text("# a comment\n" + JOB.replace("2024-01-01", "2025-02-02"))
    monkeypatch.setattr(SplitWalker, "walk_libraries", _not_walked)
    remembered = analysed(job, python, cache, memo=True)
    # the same job copied to another project folder: the memo is not the folder's
    copy = tmp_path / "elsewhere" / "job" / "main.py"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(job.read_bytes())
    copied = analysed(copy, python, cache, memo=True)
    monkeypatch.undo()
    assert remembered == analysed(job, python, cache, memo=False)
    assert copied == analysed(copy, python, cache, memo=False)
    assert memos(cache) == [memo]

    # a torn memo file is ignored and written again
    memo.write_bytes(memo.read_bytes()[:100])
    assert analysed(job, python, cache, memo=True) == remembered
    assert pickle.loads(memo.read_bytes())[0] == "jobpack-library-walk"

    # a new root (bs4) and a new name the job refers to: walked again, as unmemoised
    job.write_text(JOB.replace("import yaml", "import yaml\nimport bs4")
                   .replace("main()\n", "main()\n    yaml.load_all\n", 1))
    rooted = analysed(job, python, cache, memo=True)
    assert '"beautifulsoup4"' in rooted
    assert rooted == analysed(job, python, cache, memo=False)
    assert len(memos(cache)) == 2


@pytest.mark.slow
def test_an_edit_that_names_or_imports_only_what_the_walk_reached_replays_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More imports and names: a walk they cannot change is replayed (its `Closure`),
    one they can is walked again; either way the unmemoised manifest."""
    python = ensure_environment()
    job, cache = tmp_path / "job" / "main.py", tmp_path / "cache"
    job.parent.mkdir()
    job.write_text(JOB)
    analysed(job, python, cache, memo=True)
    assert len(list((cache / "walks").rglob("*.closure"))) == 1
    walked: list[int] = []
    original = SplitWalker.walk_libraries

    def counted(self: SplitWalker) -> object:
        walked.append(1)
        return original(self)

    monkeypatch.setattr(SplitWalker, "walk_libraries", counted)
    edits = [
        # another way to write what `fetch` calls: a new name, the same function
        ("    print(requests.api.get)\n", False),
        # an import of modules the walk visited anyway (requests imports its adapters,
        # dateutil's parser its tz)
        ("    import requests.adapters\n    from dateutil import tz\n", False),
        # a function of a module the walk reached that nothing called yet: walked again
        ("    print(yaml.scan)\n", True),
    ]
    text = JOB
    for line, walks in edits:
        text = text.replace("def main():\n", "def main():\n" + line, 1)
        job.write_text(text)
        walked.clear()
        assert analysed(job, python, cache, memo=True, named_by=False) == analysed(
            job, python, cache, memo=False, named_by=False)
        assert bool(walked) == walks, line
    # a name removed: what it reached may be left out now, so the libraries are walked
    job.write_text(text.replace("    return requests.get(url, timeout=5).text\n",
                                "    return url\n"))
    walked.clear()
    fewer = analysed(job, python, cache, memo=True, named_by=False)
    assert walked and fewer == analysed(job, python, cache, memo=False, named_by=False)
    # a torn closure is not trusted (the next new name walks again)
    [closure] = (cache / "walks").rglob("*.closure")
    assert LibraryMemo(cache, "", Target(3, 11, 7)).closure(closure.stem) is not None
    closure.write_bytes(closure.read_bytes()[:1000])
    assert LibraryMemo(cache, "", Target(3, 11, 7)).closure(closure.stem) is None
    job.write_text(job.read_text().replace("def main():\n", "def main():\n    yaml.dump\n"))
    assert analysed(job, python, cache, memo=True, named_by=False) == analysed(
        job, python, cache, memo=False, named_by=False)


@pytest.mark.slow
def test_a_replayed_walk_says_where_the_job_s_functions_are_now(tmp_path: Path) -> None:
    """`why`'s "named by" of a site the job's code first named: after an edit that moved
    the job's functions, the memo replays the walk, and the sites say today's lines."""
    python = ensure_environment()
    job, cache = tmp_path / "job" / "main.py", tmp_path / "cache"
    job.parent.mkdir()
    # urllib3's `inject_into_urllib3` imports inside its body, and only the job calls it
    text = "import urllib3.http2\n\n\ndef upgrade():\n    urllib3.http2.inject_into_urllib3()\n"
    job.write_text(text)

    def named_by_the_job() -> set[str]:
        graph = jobpack.analyze([job], python=str(python), cache_dir=cache, workers=1).graph
        return {site.reached_by for module in graph
                for imported in graph.find_modules_directly_imported_by(module.name)
                for site in graph.get_import_sites(module.name, imported)
                if site.reached_by.startswith("main.py:")}

    before = named_by_the_job()
    job.write_text("# one\n# two\n" + text)
    now = {f"main.py:{node.lineno}, in {node.name}"
           for node in ast.parse(job.read_text()).body if isinstance(node, ast.FunctionDef)}
    assert before and not before & now  # the job's functions named library code; they moved
    memos = list((cache / "walks").rglob("*.pickle"))
    after = named_by_the_job()
    assert list((cache / "walks").rglob("*.pickle")) == memos  # replayed, not walked
    assert after and after <= now


def _not_walked(self: SplitWalker) -> None:
    raise AssertionError("the libraries were walked again: the memo was not used")


def test_memo_keys_follow_the_roots(tmp_path: Path) -> None:
    from jobpack.analyzer.walk.split import Roots

    memo = LibraryMemo(tmp_path, "state", Target(3, 11, 7))
    roots = Roots(("yaml",), ("main",), ("main.py",))
    key = memo.key(roots, tmp_path, (), {})
    assert key == memo.key(Roots(("yaml",), ("main",), ("main.py",)), tmp_path, (), {})
    for other in (Roots(("yaml", "bs4"), ("main",), ("main.py",)),
                  Roots(("yaml",), ("main", "load"), ("main.py",)),
                  Roots(("yaml",), ("main",), ("main.py", "yaml"))):
        assert memo.key(other, tmp_path, (), {}) != key
    assert LibraryMemo(tmp_path, "other state", Target(3, 11, 7)).key(
        roots, tmp_path, (), {}) != key
    assert LibraryMemo(tmp_path, "state", Target(3, 12, 1)).key(
        roots, tmp_path, (), {}) != key


def test_environment_state_changes_with_an_install(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "yaml").mkdir(parents=True)
    before = environment_state([site])
    assert environment_state([site]) == before
    (site / "PyYAML-6.0.dist-info").mkdir()
    installed = environment_state([site])
    assert installed != before
    (site / "PyYAML-6.0.dist-info" / "RECORD").write_text("yaml/__init__.py,,\n")
    os.utime(site / "PyYAML-6.0.dist-info", ns=(1, 1))  # a rewrite pip makes by rename
    assert environment_state([site]) != installed


def test_a_torn_index_cache_is_read_again(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    info = site / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    (info / "RECORD").write_text("demo.py,,\n")
    (site / "demo.py").write_text("")
    cache = tmp_path / "cache"
    first = cached_index((site,), cache)
    [stored] = list((cache / "environments").rglob("*.pickle"))
    stored.write_bytes(b"not a pickle")
    again = cached_index((site,), cache)
    assert again.distributions == first.distributions
    assert isinstance(pickle.loads(stored.read_bytes()), type(first))


def test_memo_keys_leave_out_the_project_folder_unless_the_environment_is_in_it(
        tmp_path: Path) -> None:
    """A copy of the job in another folder replays the walk; a venv inside the project
    (its library files' paths could be relative to the project) keeps the folder."""
    from jobpack.analyzer.walk.split import Roots

    memo = LibraryMemo(tmp_path, "state", Target(3, 11, 7))
    roots = Roots(("yaml",), ("main",), ("main.py",))
    site = (tmp_path / "venv" / "lib" / "python3.11" / "site-packages",)
    first, second = tmp_path / "one" / "job", tmp_path / "two" / "job"
    assert memo.key(roots, first, site, {}) == memo.key(roots, second, site, {})
    inside = (first / ".venv" / "lib" / "python3.11" / "site-packages",)
    assert memo.key(roots, first, inside, {}) != memo.key(roots, second, inside, {})
    editable = {"pkg": first / "src"}
    assert memo.key(roots, first, site, editable) != memo.key(roots, second, site, editable)


def test_a_replayed_memo_is_marked_used(tmp_path: Path) -> None:
    from jobpack.analyzer.graph import ImportGraph, Module
    from jobpack.analyzer.walk.split import LibraryPart

    memo = LibraryMemo(tmp_path, "state", Target(3, 11, 7))
    memo.store("k", LibraryPart((Module("yaml", "external"),), ()))
    [file] = memos(tmp_path)
    os.utime(file, (1, 1))
    assert memo.replay("k", ImportGraph())
    assert file.stat().st_mtime > 1


def test_a_memo_file_of_another_layout_is_not_replayed(tmp_path: Path) -> None:
    """A memo file written by an older jobpack (a `LibraryPart` pickled whole, layout 1)
    or of a foreign shape, under the key being asked, is ignored: the walk runs again
    and its memo replaces the file."""
    from jobpack.analyzer.graph import ImportGraph, Module
    from jobpack.analyzer.library_memo import MEMO_SCHEMA
    from jobpack.analyzer.walk.split import LibraryPart

    memo = LibraryMemo(tmp_path, "state", Target(3, 11, 7))
    part = LibraryPart((Module("yaml", "external"),), ())
    file = memo.folder / "k.pickle"
    file.parent.mkdir(parents=True)
    for payload in (("jobpack-library-walk", 1, part), ("jobpack-library-walk", MEMO_SCHEMA, part),
                    ("jobpack-library-walk", MEMO_SCHEMA, ("not", "a memo"))):
        file.write_bytes(pickle.dumps(payload))
        assert not memo.replay("k", ImportGraph())
    memo.store("k", part)
    graph = ImportGraph()
    assert memo.replay("k", graph)
    assert list(graph.modules_view) == ["yaml"]
