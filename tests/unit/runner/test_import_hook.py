"""The import hook the runner puts into a job's environment (issue #20), in-process: it
stays out of the way of every module it does not own, and fails an import (never the
interpreter) when an optional distribution cannot be installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobpack.layout import OptionalRecord, OptionalSpec
from jobpack.runner import import_hook
from jobpack.runner.import_hook import OptionalFinder


def _finder(tmp_path: Path, python: str = "/nonexistent/python") -> OptionalFinder:
    spec = OptionalSpec(str(tmp_path / "job.zip"), python, str(tmp_path / "optional"), (
        OptionalRecord("pandas", "2.2.0", "pandas==2.2.0", ("pandas",), ("pytz",)),
        OptionalRecord("pytz", "2024.1", "pytz==2024.1", ("pytz",))))
    return OptionalFinder(str(tmp_path / "spec.json"), spec)


def test_modules_it_does_not_own_are_left_alone(tmp_path: Path) -> None:
    finder = _finder(tmp_path)
    assert finder.find_spec("numpy") is None and finder.find_spec("pandasx") is None
    assert list(finder.find_distributions(None)) == []


def test_a_distribution_comes_with_the_optional_ones_it_requires(tmp_path: Path) -> None:
    assert _finder(tmp_path).closure("pandas") == ["pandas", "pytz"]


def test_a_failed_install_fails_the_import_once(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    finder = _finder(tmp_path)
    assert finder.find_spec("pandas.core") is None
    assert "cannot install the optional distribution pandas" in capsys.readouterr().err
    assert finder.find_spec("pandas") is None and "pandas" in finder.failed
    assert capsys.readouterr().err == ""  # not tried again


def test_an_installed_distribution_is_found_without_the_runner(tmp_path: Path) -> None:
    finder = _finder(tmp_path)
    for name, version in (("pandas", "2.2.0"), ("pytz", "2024.1")):
        folder = tmp_path / "optional" / f"{name}-{version}"
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text("")
        (folder / ".jobpack-complete").write_text("{}")
    before = list(sys.path)
    try:
        spec = finder.find_spec("pandas")
        assert spec is not None and spec.origin == str(
            tmp_path / "optional" / "pandas-2.2.0" / "pandas" / "__init__.py")
        assert str(tmp_path / "optional" / "pytz-2024.1") in sys.path
    finally:
        sys.path[:] = before


def test_without_the_variable_nothing_is_installed(tmp_path: Path) -> None:
    before = list(sys.meta_path)
    import_hook.install({})
    assert sys.meta_path == before


def test_an_unreadable_spec_turns_the_hook_off_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text("{not json")
    code = ("import sys; from jobpack.runner import import_hook; "
            f"import_hook.install({{'JOBPACK_OPTIONAL': {str(tmp_path / 'spec.json')!r}}}); "
            "print(len(sys.meta_path))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert ran.stderr.startswith("jobpack: optional distributions are off: ")
    assert len(ran.stderr.splitlines()) == 1


def test_the_spec_the_runner_writes_is_the_one_the_hook_reads(tmp_path: Path) -> None:
    from jobpack.layout import RunSpec
    from jobpack.runner.environment import Environment
    from jobpack.runner.optional import job_spec

    record = OptionalRecord("pytz", "2024.1", "pytz==2024.1", ("pytz",))
    env = job_spec(RunSpec("3.11", "python main.py", optional=(record,)), tmp_path,
                   tmp_path / "job.zip",
                   Environment(tmp_path / "env", "venv", tmp_path / "env" / "bin"), False,
                   [tmp_path / "layers"])
    data = json.loads(Path(env[import_hook.VARIABLE]).read_text())
    finder = OptionalFinder(env[import_hook.VARIABLE], OptionalSpec.from_dict(data))
    assert finder.spec.distributions == (record,)
    assert finder.by_module == {"pytz": "pytz"}
    assert finder.folder("pytz") == str(tmp_path / "env" / "jobpack-optional" / "pytz-2024.1")


def test_the_hook_in_an_environment_reads_its_spec_with_the_layout_copy(
        tmp_path: Path) -> None:
    """In the job's environment jobpack is not importable: the hook reads the spec with
    the copy of jobpack.layout's optional tier that hook_files puts beside it."""
    from jobpack.runner.optional import hook_files

    site = tmp_path / "site"
    site.mkdir()
    hook_files(site)
    spec = OptionalSpec(str(tmp_path / "job.zip"), sys.executable, str(tmp_path / "opt"),
                        (OptionalRecord("pytz", "2024.1", "pytz==2024.1", ("pytz",)),))
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); "
            "import _jobpack_optional as hook; hook.install(); "
            "finder = sys.meta_path[-1]; "
            "print(type(finder).__name__, finder.by_module, 'jobpack' in sys.modules, "
            "type(finder.spec).__module__)")
    ran = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                         text=True, check=True, cwd=tmp_path,
                         env={"JOBPACK_OPTIONAL": str(tmp_path / "spec.json")})
    assert ran.stdout.split() == ["OptionalFinder", "{'pytz':", "'pytz'}", "False",
                                  "_jobpack_layout.optional"]
