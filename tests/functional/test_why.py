"""`jobpack why DIST`: chains end where the job enters the distribution.

A distribution's own modules import each other (`yaml` imports `yaml.error`, ...); a chain
through them says nothing about why the job needs the distribution, so `why` shows only
the chains to the modules the job's code (or another distribution) imports.
"""

from __future__ import annotations

from pathlib import Path

from tests.functional.test_cli import jobpack


def test_why_a_real_distribution_stops_where_the_job_enters_it(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import json\nimport yaml\n\nyaml.safe_load('a: 1')\n")
    result = jobpack("why", "pyyaml", "main.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # one chain, to `yaml` itself: none continues into yaml.error, yaml.loader, ...
    assert result.stdout.splitlines()[1:] == [
        "main.py", "  main.py:2: imports yaml (external; module level)"]


def test_why_an_import_name_inside_a_distribution_is_still_answered(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import yaml.constructor\n")
    result = jobpack("why", "pyyaml", "main.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[1:]
    assert "  main.py:1: imports yaml.constructor (external; module level)" in lines
    assert not any("yaml/" in line for line in lines)  # no step inside pyyaml's own files


def test_a_chain_that_reaches_the_distribution_early_ends_there(tmp_path: Path) -> None:
    # `yaml.constructor` is entered from the job's own `d.py` too, four steps away; its
    # shortest chain runs through pyyaml's own files (yaml -> yaml.loader -> ...), as
    # word_language_model's chain to `matplotlib.colors` ran on through `pyplot`
    (tmp_path / "main.py").write_text("import yaml\nimport b\n")
    (tmp_path / "b.py").write_text("import c\n")
    (tmp_path / "c.py").write_text("import d\n")
    (tmp_path / "d.py").write_text("import yaml.constructor\n")
    result = jobpack("why", "pyyaml", "main.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[1:]
    assert not any("yaml/" in line for line in lines), lines
    assert lines.count("  main.py:1: imports yaml (external; module level)") == 1


def test_why_follows_what_named_a_library_function_back(tmp_path: Path) -> None:
    """An import inside a library function: `why` says what named the function, what
    named that, and so on back to code that runs. Asked twice, so that the second answer
    would come from the walk's memo, which keeps no such chain: `why` walks afresh."""
    from tests.support.wheels import WheelSpec, make_venv, pip_install, write_wheel

    lazy = WheelSpec("lazylib", "1.0", {"lazylib/__init__.py": (
        "def plot():\n    import lazydep\n"
        "def draw():\n    return plot()\n"
        "class Figure:\n    shown = draw()\n"), "lazydep/__init__.py": ""})
    wheel = write_wheel(lazy, tmp_path / "wheels")
    python = make_venv(tmp_path / "venv")
    pip_install(python, "--no-deps", str(wheel))
    (tmp_path / "main.py").write_text("import lazylib\n")
    for _ in range(2):
        result = jobpack("why", "lazydep", "main.py", "--python", str(python),
                         "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "lazylib/__init__.py:2: imports lazydep (external; in function plot (named by " \
               "lazylib/__init__.py:3, in draw))" in result.stdout
        assert "      <- lazylib/__init__.py, module level" in result.stdout.splitlines()


def test_why_says_a_distribution_is_in_the_optional_tier(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n")
    result = jobpack("why", "pyyaml", "main.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pyyaml is in the optional tier: every chain to it passes code that may not " \
           "run (marked below)" in " ".join(result.stdout.split())
    assert "  main.py:2: imports yaml (external; module level, under except ImportError)" \
        in result.stdout.splitlines()
    result = jobpack("why", "yaml", "main.py", cwd=tmp_path)  # asked by its module's name
    assert "yaml is in the optional tier" in " ".join(result.stdout.split())
    (tmp_path / "main.py").write_text("import yaml\n")
    result = jobpack("why", "pyyaml", "main.py", cwd=tmp_path)
    assert "optional tier" not in result.stdout
