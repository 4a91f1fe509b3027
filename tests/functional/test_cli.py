"""The installed `jobpack` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

JOBPACK = shutil.which("jobpack", path=str(Path(sys.executable).parent)) or "jobpack"


def jobpack(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run([JOBPACK, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=120)


def test_help_lists_the_commands() -> None:
    result = jobpack("--help")
    assert result.returncode == 0
    for command in ("analyze", "build", "run", "inspect", "verify", "why"):
        assert command in result.stdout


def test_analyze_json_is_the_manifest_alone_on_stdout() -> None:
    result = jobpack("analyze", "main.py", "--json", cwd=FIXTURES / "analyzer" / "basic")
    manifest = json.loads(result.stdout)
    assert manifest["schema"] == "jobpack/manifest/1"
    assert manifest["entry_points"] == ["main.py"]
    assert manifest["cmd"] == "python main.py"
    assert [f["path"] for f in manifest["local_files"]] == sorted(
        ["a/__init__.py", "a/b/__init__.py", "a/b/c.py", "helper.py", "main.py"])
    assert result.stdout == json.dumps(manifest, sort_keys=True, indent=2,
                                       ensure_ascii=False) + "\n"
    assert result.returncode == 0  # warnings do not fail the command
    pyyaml = next(r for r in manifest["requirements"] if r["name"] == "pyyaml")
    assert pyyaml["required_by"] == ["main.py:5"]  # jobpack's own interpreter has PyYAML
    assert manifest["interpreter"]["python"] == ".".join(map(str, sys.version_info[:3]))


def test_machine_formats_keep_warnings_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import json\nimport surely_not_installed_xyz\n")
    result = jobpack("analyze", "main.py", "--format", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["entry_points"] == ["main.py"]
    assert result.stderr.startswith("main.py:2: warning[unresolved-import]")
    assert result.returncode == 0
    strict = jobpack("analyze", "main.py", "--json", "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and strict.stdout == result.stdout


def test_human_output_lists_files_and_diagnostics_with_file_line() -> None:
    result = jobpack("analyze", "main.py", cwd=FIXTURES / "analyzer" / "dynamic")
    assert result.returncode == 0
    assert "plugins/alpha.py" in result.stdout
    assert "main.py:9: warning[dynamic-import]" in result.stdout


def test_a_reached_module_that_does_not_parse_exits_1_with_file_line() -> None:
    result = jobpack("analyze", "main.py", cwd=FIXTURES / "analyzer" / "syntax_error")
    assert result.returncode == 1
    assert "broken.py:2: error[syntax-error]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "missing.py"], "error: missing.py: entry point does not exist"),
        (["analyze"], "error: no entry point given"),
        (["analyze", "main.py", "--target-python", "banana"], "invalid target Python version"),
        (["analyze", "main.py", "--python", "/nonexistent/python"], "cannot run /nonexistent"),
        (["inspect", "nothing.zip"], "not a readable jobpack archive"),
        (["why", "nothing_at_all", "main.py"], "neither a module of the job"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(args: list[str], message: str) -> None:
    result = jobpack(*args, cwd=FIXTURES / "analyzer" / "basic")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback() -> None:
    result = jobpack("--debug", "analyze", "missing.py", cwd=FIXTURES / "analyzer" / "basic")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_config_errors_name_file_key_and_line(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("cmd: python main.py\nenv:\n  pyton: auto\n")
    result = jobpack("analyze", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: config.yaml:3: env.pyton: unknown key (did you mean 'python'?)")


def test_a_plain_job_ships_its_inputs_and_analyses_nothing(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("#!/bin/bash\nuname -a\n")
    (tmp_path / "config.yaml").write_text("cmd: ./run.sh\ninputs:\n  - run.sh\n")
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=tmp_path)
    manifest = json.loads(result.stdout)
    assert manifest["python"] == {"mode": "plain"}
    assert manifest["local_files"] == [] and manifest["inputs"] == [
        {"path": "run.sh", "var": None}]


def test_no_entry_point_points_at_root_paths(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("cmd: python -c 'print(1)'\n")
    result = jobpack("analyze", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "root-paths" in result.stderr


def test_manual_requirements_file_and_local_paths(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("import yaml\n")
    (tmp_path / "lib" / ".env").write_text("SECRET=1\n")
    (tmp_path / "main.py").write_text("import lib.util\n")
    (tmp_path / "extra.txt").write_text("urllib3<2\n")
    (tmp_path / "requirements.txt").write_text(
        "--extra-index-url https://example.org/simple\n-c extra.txt\n"
        "numpy>=1.20 ; python_version < '3.13'\nrequests==2.31.0\n")
    # a version other than the analysing interpreter's: the analysis warns of it
    other = "3.12" if sys.version_info[:2] == (3, 10) else "3.10"
    (tmp_path / "config.yaml").write_text(
        f"cmd: python main.py\nenv:\n  python:\n    type: manual\n    version: '{other}'\n"
        "    requirements-file: requirements.txt\n    local-paths: [main.py, lib/]\n")
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=tmp_path)
    manifest = json.loads(result.stdout)
    assert manifest["python"] == {"mode": "manual"}
    assert manifest["target"]["python"] == other
    assert [f["path"] for f in manifest["local_files"]] == ["lib/util.py", "main.py"]
    assert manifest["pip"]["extra_index_urls"] == ["https://example.org/simple"]
    assert manifest["pip"]["constraints"] == ["urllib3<2"]
    requirements = jobpack("analyze", "--config", "config.yaml", "--requirements",
                           cwd=tmp_path).stdout
    assert _uncommented(requirements) == (
        "--extra-index-url https://example.org/simple\n-c constraints.txt\n"
        'numpy>=1.20 ; python_version < "3.13"\nrequests==2.31.0\n')
    assert 'numpy>=1.20 ; python_version < "3.13"\n    # via requirements.txt:3\n' in (
        requirements)
    assert any(d["code"] == "target-mismatch" for d in manifest["diagnostics"])
    assert any(d["code"] == "left-out" and "lib/.env" in d["message"]
               for d in manifest["diagnostics"])


def test_an_editable_line_in_a_requirements_file_cannot_travel(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("")
    (tmp_path / "requirements.txt").write_text("requests==2.31.0\n-e ./mylib\n")
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py\nenv:\n  python:\n    type: manual\n"
        "    requirements-file: requirements.txt\n")
    result = jobpack("analyze", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: requirements.txt:2: '-e ./mylib' points at a local folder" in result.stderr


def test_build_prints_path_size_and_sha256(tmp_path: Path) -> None:
    result = jobpack("build", "--config", str(FIXTURES / "example" / "config.yaml"),
                     "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    path, size, unit, digest = result.stdout.split()
    assert Path(path) == tmp_path / "example.jobpack.zip"
    assert (int(size), unit) == (Path(path).stat().st_size, "bytes")
    assert digest.startswith("sha256:")
    inspect = jobpack("inspect", path)
    assert "src/lib/stats.py" in inspect.stdout and "jobpack.json" in inspect.stdout


def test_no_deps_requirements_are_a_file_pip_accepts(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("")
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py\nenv:\n  python:\n    pip:\n      no-deps: true\n"
        "      index-url: https://example.org/simple\n")
    text = jobpack("analyze", "--config", "config.yaml", "--requirements", cwd=tmp_path).stdout
    assert _uncommented(text, keep="# install") == ("# install with: pip install --no-deps -r requirements.txt\n"
                    "--index-url https://example.org/simple\n")
    (tmp_path / "requirements.txt").write_text(text)
    check = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
         "-r", str(tmp_path / "requirements.txt")],
        capture_output=True, text=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert check.returncode == 0, check.stderr


def _uncommented(text: str, keep: str = "\0") -> str:
    """The lines of a requirements file that are not comments (or start with `keep`)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.lstrip().startswith("#") or line.startswith(keep))


def test_version() -> None:
    from importlib.metadata import version

    result = jobpack("--version")
    assert result.returncode == 0
    assert result.stdout == f"jobpack {version('jobpack')}\n"


def test_help_shows_flags_without_a_bool_metavar_and_offers_completion() -> None:
    result = jobpack("analyze", "--help")
    assert "--no-cache " in result.stdout and "--strict " in result.stdout
    assert "<bool>" not in result.stdout and "BOOLEAN" not in result.stdout
    assert "--install-completion" in jobpack("--help").stdout


def test_report_names_the_interpreter_first_and_ends_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    result = jobpack("analyze", "main.py", "--python", sys.executable, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Analysed {sys.executable} (CPython ")
    assert "venv" in lines[0] and "for Python" in lines[0]
    assert lines[-1] == "2 local files (0.00 MB), 0 distributions, 0 warnings, 0 errors, 0 infos"
    requirements = jobpack("analyze", "main.py", "--format", "requirements", cwd=tmp_path)
    assert requirements.stdout.startswith("# Analysed ")


def test_piped_output_is_plain_and_never_truncated(tmp_path: Path) -> None:
    long_name = "module_with_a_really_long_name_" + "x" * 150
    (tmp_path / "main.py").write_text(f"import {long_name}\n")
    (tmp_path / f"{long_name}.py").write_text("")
    result = jobpack("analyze", "main.py", cwd=tmp_path)
    assert f"{long_name}.py  " in result.stdout  # whole, on one line, as a plain column
    assert "\u2502" not in result.stdout and "\u2501" not in result.stdout  # no box drawing


def test_repeated_diagnostics_are_grouped_unless_verbose(tmp_path: Path) -> None:
    guarded = "".join(f"try:\n    import missing_mod_{n}\nexcept ImportError:\n    pass\n"
                      for n in range(30))
    (tmp_path / "main.py").write_text(guarded)
    grouped = jobpack("analyze", "main.py", cwd=tmp_path).stdout
    lines = [line for line in grouped.splitlines() if "optional-import-missing" in line]
    assert len(lines) == 1 and "(and 29 more like it; --verbose lists them)" in lines[0]
    verbose = jobpack("analyze", "main.py", "--verbose", cwd=tmp_path).stdout
    assert sum("optional-import-missing" in line for line in verbose.splitlines()) == 30
    assert grouped.splitlines()[-1].endswith("30 infos")


def test_quiet_prints_only_warnings_errors_and_the_result(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import surely_not_installed_xyz\n")
    result = jobpack("analyze", "main.py", "--quiet", cwd=tmp_path)
    [warning, last] = result.stdout.splitlines()
    assert "warning[unresolved-import]" in warning
    assert last == "1 local file (0.00 MB), 0 distributions, 1 warning, 0 errors, 0 infos"


def test_strict_build_fails_on_warnings_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import surely_not_installed_xyz\n")
    result = jobpack("build", "main.py", "--strict", "-o", "out.zip", cwd=tmp_path)
    assert result.returncode == 1
    assert "warning[unresolved-import]" in result.stderr
    assert not (tmp_path / "out.zip").exists()
    assert jobpack("build", "main.py", "-o", "out.zip", cwd=tmp_path).returncode == 0


def test_the_archive_is_named_after_the_configs_name(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print(1)\n")
    (tmp_path / "config.yaml").write_text("name: nightly report\ncmd: python main.py\n")
    result = jobpack("build", "--config", "config.yaml", "-o", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "nightly-report.jobpack.zip").is_file()


def test_run_help_lists_the_runners_options() -> None:
    result = jobpack("run", "--help")
    assert result.returncode == 0
    for option in ("--workdir", "--keep", "--offline", "--output-dir"):
        assert option in result.stdout


def test_a_job_argument_without_the_separator_gets_a_hint(tmp_path: Path) -> None:
    build = jobpack("build", "--config", str(FIXTURES / "example" / "config.yaml"),
                    "-o", str(tmp_path))
    archive = build.stdout.split()[0]
    result = jobpack("run", archive, "--data", "other.csv")
    assert result.returncode == 2
    assert "hint: the job's own arguments go after '--'" in result.stderr


def test_shell_completion_completes_commands_and_formats() -> None:
    # The shell is detected from the parent process, as when a user types it in bash
    # (`; exit`: bash would exec a lone command, and the parent found be pytest's own,
    # a shell only when pytest was started from one)
    script = subprocess.run(["bash", "-c", f"'{JOBPACK}' --show-completion; exit $?"],
                            capture_output=True, text=True)
    assert script.returncode == 0, script.stderr
    assert "_JOBPACK_COMPLETE=complete_bash" in script.stdout
    env = {**os.environ, "_JOBPACK_COMPLETE": "complete_bash"}
    commands = subprocess.run([JOBPACK], capture_output=True, text=True, env={
        **env, "COMP_WORDS": "jobpack an", "COMP_CWORD": "1"})
    assert commands.stdout.split() == ["analyze"]
    formats = subprocess.run([JOBPACK], capture_output=True, text=True, env={
        **env, "COMP_WORDS": "jobpack analyze --format py", "COMP_CWORD": "3"})
    assert formats.stdout.split() == ["pylock"]
