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
    assert "main.py:5: warning[unresolved-import]" in result.stderr or "yaml" in result.stdout


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
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py\nenv:\n  python:\n    type: manual\n    version: '3.10'\n"
        "    requirements-file: requirements.txt\n    local-paths: [main.py, lib/]\n")
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=tmp_path)
    manifest = json.loads(result.stdout)
    assert manifest["python"] == {"mode": "manual"}
    assert manifest["target"]["python"] == "3.10"
    assert [f["path"] for f in manifest["local_files"]] == ["lib/util.py", "main.py"]
    assert manifest["pip"]["extra_index_urls"] == ["https://example.org/simple"]
    assert manifest["pip"]["constraints"] == ["urllib3<2"]
    requirements = jobpack("analyze", "--config", "config.yaml", "--requirements",
                           cwd=tmp_path).stdout
    assert requirements == (
        "--extra-index-url https://example.org/simple\n-c constraints.txt\n"
        'numpy>=1.20 ; python_version < "3.13"\nrequests==2.31.0\n')
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
    assert text == ("# install with: pip install --no-deps -r requirements.txt\n"
                    "--index-url https://example.org/simple\n")
    (tmp_path / "requirements.txt").write_text(text)
    check = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
         "-r", str(tmp_path / "requirements.txt")],
        capture_output=True, text=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert check.returncode == 0, check.stderr
