"""Resolving imports against a real venv of real (tiny) wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.graph import ImportGraph, ImportSite, Module
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.errors import DistributionError
from jobpack.target import Target
from tests.conftest import FIXTURES, UserEnv
from tests.support.pythons import find_python

pytestmark = pytest.mark.slow
DEPS = FIXTURES / "jobs" / "deps"


@pytest.fixture(scope="module")
def analysis(user_env: UserEnv) -> jobpack.Analysis:
    return jobpack.analyze(["main.py"], root=DEPS, python=str(user_env.python))


def pins(analysis: jobpack.Analysis) -> dict[str, str]:
    return {r.name: r.pip_line() for r in analysis.manifest.requirements}


def test_import_names_map_to_their_distributions_and_are_pinned(
    analysis: jobpack.Analysis,
) -> None:
    requirements = {r.name: r for r in analysis.manifest.requirements}
    assert requirements["py-yamlish"].version == "6.0.1"
    assert requirements["py-yamlish"].imported_as == ("yamlish",)
    assert requirements["py-yamlish"].required_by == ("main.py:2",)
    assert requirements["greet"].direct


def test_the_closure_follows_requires_dist_with_target_markers_and_no_extra_unasked(
    analysis: jobpack.Analysis,
) -> None:
    requirements = {r.name: r for r in analysis.manifest.requirements}
    assert not requirements["colorx"].direct
    assert requirements["colorx"].required_by == ("greet",)
    # nobody asks for greet[fancy]: its installed optional dependency does not ship
    assert requirements["greet"].extras == ()
    assert "fancylib" not in requirements
    assert "winhelper" not in requirements and "oldpy" not in requirements


def test_namespace_packages_resolve_by_the_deepest_module(analysis: jobpack.Analysis) -> None:
    requirements = {r.name: r for r in analysis.manifest.requirements}
    assert requirements["nspkg-beta"].imported_as == ("nsp.beta",)
    assert requirements["nspkg-alpha"].imported_as == ("nsp.alpha",)


def test_a_name_from_two_distributions_is_a_warning_naming_both(
    analysis: jobpack.Analysis,
) -> None:
    [warning] = [d for d in analysis.diagnostics if d.code == "ambiguous-distribution"]
    assert "dupe-one and dupe-two" in warning.message
    assert (warning.path, warning.line) == ("main.py", 5)


def test_vcs_installs_pin_the_commit(analysis: jobpack.Analysis) -> None:
    assert pins(analysis)["vcsdist"] == (
        "vcsdist @ git+https://example.org/vcsdist.git@0123456789abcdef"
    )


def test_editable_installs_ship_as_local_code_with_a_warning(
    analysis: jobpack.Analysis, user_env: UserEnv,
) -> None:
    local = {f.path for f in analysis.manifest.local_files}
    assert {"editmod/__init__.py", "editmod/inner.py"} <= local
    assert "editdist" not in pins(analysis)
    assert any(d.code == "local-install" and "editdist" in d.message
               for d in analysis.diagnostics)


def test_platform_specific_builds_for_another_platform_are_flagged(
    analysis: jobpack.Analysis,
) -> None:
    requirements = {r.name: r for r in analysis.manifest.requirements}
    assert requirements["binpkg"].pure is False
    assert requirements["greet"].pure is True
    assert any(d.code == "platform-mismatch" and "binpkg" in d.message
               for d in analysis.diagnostics)


def test_no_deps_leaves_out_the_closure(user_env: UserEnv) -> None:
    analysis = jobpack.analyze(["main.py"], root=DEPS, python=str(user_env.python),
                               no_deps=True)
    assert "colorx" not in {r.name for r in analysis.manifest.requirements}


def test_why_names_the_chain_to_a_distribution(analysis: jobpack.Analysis) -> None:
    from jobpack.analyzer.api import why

    explanation = why(analysis, "PY_YAMLISH")
    [chain] = explanation.chains
    assert [(s.importer, s.site.render()) for s in chain] == [("main.py", "main.py:2")]
    assert why(analysis, "colorx").required_by == ("greet",)


def test_a_distribution_without_a_version_is_an_error() -> None:
    dist = InstalledDistribution("nover", None, (), (), frozenset({"nover"}), None, (), True,
                                 False, ())
    graph = ImportGraph()
    graph.add_module(Module("main.py", "entry", "main.py"))
    graph.add_module(Module("nover", "external"))
    graph.add_import("main.py", "nover", ImportSite("main.py", 1))
    with pytest.raises(DistributionError, match="nover"):
        resolve_requirements(graph, DistributionIndex([dist]), Target(3, 11))


def test_requirements_output_installs_with_pip(analysis: jobpack.Analysis, tmp_path: Path,
                                               user_env: UserEnv) -> None:
    import subprocess
    import sys

    text = analysis.manifest.requirements_txt()
    assert "greet==1.2\n" in text and "fancylib" not in text
    assert "py-yamlish==6.0.1\n" in text
    requirements = tmp_path / "requirements.txt"
    # the VCS-installed pin points at a repository this machine cannot reach: pip is asked
    # for every other line, offline, from the wheels the environment was built from
    requirements.write_text("".join(line + "\n" for line in text.splitlines()
                                    if " @ " not in line), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--find-links",
         str(user_env.wheelhouse), "--target", str(tmp_path / "site"), "--quiet",
         "--disable-pip-version-check", "-r", str(requirements)],
        capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    installed = {p.name.split("-")[0] for p in (tmp_path / "site").glob("*.dist-info")}
    assert {"greet", "py_yamlish"} <= installed


def test_the_command_line_analyses_the_active_virtualenv(user_env: UserEnv) -> None:
    import json
    import os
    import subprocess
    import sys

    from jobpack.analyzer.pins.environment import venv_python

    venv = str(user_env.python.parent.parent)
    assert venv_python(venv) == str(user_env.python)
    completed = subprocess.run(
        [sys.executable, "-m", "jobpack", "analyze", "main.py", "--format", "json"],
        cwd=DEPS, capture_output=True, text=True, check=True,
        env={**os.environ, "VIRTUAL_ENV": venv})
    names = {r["name"] for r in json.loads(completed.stdout)["requirements"]}
    assert "greet" in names


def test_the_library_analyses_the_interpreter_it_is_given_not_virtual_env(
        user_env: UserEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(user_env.python.parent.parent))
    analysis = jobpack.analyze(["main.py"], root=DEPS)  # no python=: jobpack's own
    assert "greet" not in {r.name for r in analysis.manifest.requirements}


def test_why_on_the_command_line_prints_each_step_with_file_line(user_env: UserEnv) -> None:
    import subprocess
    import sys

    def why(name: str) -> str:
        first, _, rest = subprocess.run(
            [sys.executable, "-m", "jobpack", "why", name, "main.py", "--python",
             str(user_env.python)], cwd=DEPS, capture_output=True, text=True, check=True,
        ).stdout.partition("\n")
        assert first.startswith(f"Analysed {user_env.python}")  # the interpreter, first
        return rest

    assert why("py-yamlish") == (
        "main.py\n  main.py:2: imports yamlish.loader (external; module level)\n")
    assert why("colorx") == (
        "colorx is required by: greet\n"
        "main.py\n  main.py:1: imports greet (external; module level)\n"
        "  greet.py:1: imports colorx (external; module level)\n")
    assert why("editmod/inner.py") == (
        "main.py\n  main.py:8: imports editmod (local; module level)\n"
        "  editmod/__init__.py:1: imports editmod.inner (local; module level)\n")


def _other_python() -> str | None:
    """A runnable CPython of another minor version (pyenv's real binaries, not its shims)."""
    import sys

    for version in ("3.12", "3.10", "3.13"):
        if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
            continue
        found = find_python(version)
        if found is not None:
            return str(found)
    return None


def test_another_cpython_is_inspected_and_becomes_the_target(tmp_path: Path) -> None:
    other = _other_python()
    if other is None:
        pytest.skip("no second CPython version (3.10, 3.12 or 3.13) on this machine")
    (tmp_path / "main.py").write_text("import tomllib\nimport distutils\n")
    analysis = jobpack.analyze(["main.py"], root=tmp_path, python=other)
    target = analysis.manifest.target.python
    unresolved = {m.name for m in analysis.graph.find_modules("unresolved")}
    assert target in {"3.10", "3.12", "3.13"}
    assert unresolved == ({"tomllib"} if target == "3.10" else {"distutils"})


def test_a_relative_python_path_is_taken_from_the_working_folder(
    user_env: UserEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(user_env.python.parent.parent)
    relative = str(Path("bin") / "python")
    analysis = jobpack.analyze(["main.py"], root=DEPS, python=relative)
    assert "greet" in {r.name for r in analysis.manifest.requirements}
