"""Each fixture under fixtures/analyzer/ pins one import rule of the interpreter."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpack.analyzer.api import walk_imports
from jobpack.analyzer.entries import parse_entry
from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.walk.walker import Walker
from jobpack.target import Target
from tests.unit.analyzer.helpers import codes, external, local, run


def test_dotted_import_loads_every_package_init_and_stops_at_stdlib() -> None:
    analysis = run("basic")
    assert local(analysis) == {
        "main.py", "a/__init__.py", "a/b/__init__.py", "a/b/c.py", "helper.py",
    }
    assert external(analysis) == {"yaml", "requests"}
    stdlib = {m.name for m in analysis.graph.find_modules("stdlib")}
    assert stdlib == {"os", "json", "collections"}


def test_local_modules_shadow_installed_and_stdlib_but_not_builtins() -> None:
    analysis = run("shadowing")
    assert local(analysis) == {"main.py", "yaml.py", "json.py"}
    assert external(analysis) == {"numpy"}


def test_relative_imports_resolve_against_the_package() -> None:
    analysis = run("relative")
    assert local(analysis) == {
        "main.py", "pkg/__init__.py", "pkg/core.py", "pkg/util.py",
        "pkg/sub/__init__.py", "pkg/sub/mod.py", "pkg/sub/sibling.py",
    }
    assert ("pkg/sub/mod.py", 4, "relative-import-beyond-top") in codes(analysis)


def test_namespace_packages_ship_only_what_is_imported() -> None:
    analysis = run("namespace")
    assert local(analysis) == {"main.py", "ns/a.py", "ns/deeper/b.py"}
    assert external(analysis) == set()


def test_from_package_import_loads_submodules_but_not_attributes() -> None:
    analysis = run("from_submodule")
    assert local(analysis) == {"main.py", "pkg/__init__.py", "pkg/sub.py"}
    assert not analysis.diagnostics


def test_star_import_loads_the_submodules_all_names() -> None:
    analysis = run("star_all")
    assert local(analysis) == {
        "main.py", "pkg/__init__.py", "pkg/one.py", "pkg/two.py", "plain.py",
    }


def test_main_block_runs_only_in_an_entry_point() -> None:
    assert local(run("main_guard")) == {
        "main.py", "lib.py", "entry_only.py", "lib_imported.py",
    }


def test_a_file_that_is_entry_and_module_is_analysed_in_both_roles() -> None:
    analysis = run("main_guard", "other.py")
    # main.py imported as a module: its __main__ block does not run.
    assert local(analysis) == {"other.py", "main.py", "lib.py", "lib_imported.py"}
    both = run("main_guard", "main.py", "other.py")
    assert "entry_only.py" in local(both)
    assert {"main.py", "main", "other.py"} <= both.graph.modules


def test_type_checking_imports_never_count() -> None:
    analysis = run("type_checking")
    assert local(analysis) == {"main.py", "runtime_mod.py", "runtime_too.py"}
    assert external(analysis) == set()


def test_optional_imports_count_when_found_and_are_info_when_missing() -> None:
    analysis = run("optional")
    assert "fast_local.py" in local(analysis)
    levels = {(d.line, d.code, d.level) for d in analysis.diagnostics}
    assert (6, "optional-import-missing", "info") in levels
    assert (10, "optional-import-missing", "info") in levels
    assert (14, "optional-import-missing", "info") in levels
    assert (18, "unresolved-import", "warning") in levels
    assert not any(d.level == "error" for d in analysis.diagnostics)


@pytest.mark.parametrize(
    ("target", "expected_extra", "external_names"),
    [
        ("3.10", {"before312.py"}, {"tomli", "some_flag"} - {"some_flag"}),
        ("3.11", {"before312.py"}, set()),
        ("3.12", set(), {"distutils"}),
    ],
)
def test_platform_and_version_branches_are_judged_for_the_target(
    target: str, expected_extra: set[str], external_names: set[str]
) -> None:
    analysis = run("platform", target=target)
    always = {"main.py", "linuxonly.py", "linux_system.py", "maybe_linux.py", "maybe_anything.py"}
    assert local(analysis) == always | expected_extra
    assert external(analysis) == external_names


def test_literal_dynamic_imports_are_followed_and_others_warned() -> None:
    analysis = run("dynamic")
    assert local(analysis) == {
        "main.py", "plugins/__init__.py", "plugins/alpha.py", "plugins/beta.py",
        "plugins/gamma.py", "plugins/delta.py",
    }
    assert {("main.py", 9, "dynamic-import"), ("main.py", 10, "dynamic-import")} <= codes(
        analysis
    )


def test_cycles_terminate_and_function_and_class_imports_count() -> None:
    analysis = run("cycles")
    assert local(analysis) == {"main.py", "a.py", "b.py", "in_function.py", "in_class.py"}
    assert {"a", "b", "main"} <= analysis.graph.modules


def test_pep263_encodings_and_boms_are_honoured() -> None:
    analysis = run("encoding")
    assert local(analysis) == {"main.py", "enc_helper.py", "bom_helper.py"}
    assert not analysis.diagnostics


def test_a_reached_module_that_does_not_parse_is_an_error_at_its_line() -> None:
    analysis = run("syntax_error")
    errors = [d for d in analysis.diagnostics if d.level == "error"]
    assert [(d.path, d.line, d.code) for d in errors] == [("broken.py", 2, "syntax-error")]


def test_python_dash_m_runs_module_or_package_main_with_its_packages() -> None:
    module = run("module_entry", "-m pkg.cli")
    assert local(module) == {"pkg/__init__.py", "pkg/cli.py", "pkg/core.py"}
    package = run("module_entry", "-m app")
    assert local(package) == {"app/__init__.py", "app/__main__.py", "app/run.py"}


def test_relative_import_in_a_script_is_a_warning() -> None:
    assert ("main.py", 1, "relative-import-in-script") in codes(run("script_relative"))


def test_graph_answers_chains_with_lines() -> None:
    analysis = run("basic")
    chain = analysis.graph.find_shortest_chain("main.py", "requests")
    assert chain is not None
    assert [(s.imported, s.site.render()) for s in chain] == [
        ("a.b.c", "main.py:3"), ("requests", "a/b/c.py:1"),
    ]
    assert analysis.graph.path_exists("main.py", "a.b")
    assert not analysis.graph.path_exists("helper", "main.py")


def test_arbitrary_files_never_crash_the_walk(tmp_path_factory: pytest.TempPathFactory,
                                              ) -> None:
    root = tmp_path_factory.mktemp("fuzz")  # one folder for every example, made at run time

    @settings(max_examples=60, deadline=None)
    @given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
    def walk(data: bytes) -> None:
        (root / "main.py").write_bytes(data)
        entry = parse_entry("main.py", root)
        walked = walk_imports([entry], root, Target(3, 11), DistributionIndex([]), None,
                              FactsStore(Target(3, 11), None))
        assert "main.py" in walked.local_files

    walk()


class _Ahead:
    """Stands in for the parsing beside the walk (`FactsStore`): records what it is
    handed; parsed are what the test says."""

    def __init__(self) -> None:
        self.handed: list[str] = []
        self.parsed: list[Path] = []

    def speculate(self, paths: Iterable[Path], urgent: bool = False) -> None:
        self.handed += [path.name for path in paths]

    def wait_any(self, paths: Collection[Path]) -> set[Path]:
        return set(paths)

    def arrived(self) -> list[Path]:
        parsed, self.parsed = self.parsed, []
        return parsed


def test_the_workers_are_handed_what_a_parsed_library_module_imports_at_module_level(
        tmp_path: Path) -> None:
    """Ahead of the walk: what runs on import (module level, a class body, the parent
    packages), not what waits for a call or runs only as a script."""
    site = tmp_path / "site"
    files = {
        "lib/__init__.py": "",
        "lib/a.py": "import lib.sub.b\nfrom . import c\nfrom .d import name\n"
                    "class K:\n    from lib import e\n"
                    "def f():\n    import lib.lazy\n"
                    "if __name__ == '__main__':\n    import lib.script\n",
        **{f"lib/{n}.py": "" for n in ("c", "d", "e", "lazy", "script")},
        "lib/sub/__init__.py": "", "lib/sub/b.py": "",
    }
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    ahead = _Ahead()
    target = Target(3, 11)
    walker = Walker(tmp_path, target, FactsStore(target, None), lambda name: None,
                    site_paths=(site,), ahead=ahead)
    walker._parse_ahead(site / "lib" / "a.py", "lib")
    assert ahead.handed == ["a.py"]
    ahead.parsed = [site / "lib" / "a.py"]
    walker._look_ahead(ahead)
    assert sorted(ahead.handed) == sorted(["a.py", "__init__.py", "__init__.py", "b.py",
                                           "c.py", "d.py", "e.py"])
