"""`--format pep723|pylock|requirements` and `--write-pep723`, through the installed CLI."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from tests.functional.test_cli import jobpack
from tests.support.tools import tool_venv

PYYAML = version("PyYAML")  # jobpack's own interpreter, analysed by default, has PyYAML


def _job(tmp_path: Path, head: str = "") -> Path:
    (tmp_path / "main.py").write_text(f"{head}import yaml\nimport helper\n")
    (tmp_path / "helper.py").write_text("import json\n")
    return tmp_path


def test_format_pep723_prints_the_block_of_direct_pins(tmp_path: Path) -> None:
    result = jobpack("analyze", "main.py", "--format", "pep723", cwd=_job(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ('# /// script\n# requires-python = ">=3.{minor}"\n'
                             '# dependencies = [\n#   "pyyaml=={v}",\n# ]\n# ///\n').format(
        minor=__import__("sys").version_info.minor, v=PYYAML)


def test_write_pep723_then_the_block_is_authoritative(tmp_path: Path) -> None:
    job = _job(tmp_path, head="#!/usr/bin/env python3\n")
    before = (job / "main.py").read_bytes()
    result = jobpack("analyze", "main.py", "--write-pep723", "--quiet", cwd=job)
    assert result.returncode == 0, result.stderr
    assert "main.py: '# /// script' block written" in result.stderr
    after = (job / "main.py").read_bytes()
    block = jobpack("analyze", "main.py", "--format", "pep723", cwd=job).stdout.encode()
    assert after == b"#!/usr/bin/env python3\n" + block + b"\n" + before[len(
        b"#!/usr/bin/env python3\n"):]
    manifest = json.loads(jobpack("analyze", "main.py", "--json", cwd=job).stdout)
    assert [(r["name"], r["version"], r["required_by"]) for r in manifest["requirements"]] == [
        ("pyyaml", PYYAML, ["main.py (PEP 723)"])]
    again = jobpack("analyze", "main.py", "--write-pep723", cwd=job)
    assert "already up to date" in again.stderr and (job / "main.py").read_bytes() == after


def _with_block(tmp_path: Path, body: str) -> Path:
    (tmp_path / "main.py").write_text(f"# /// script\n{body}# ///\nimport yaml\n")
    return tmp_path


def test_a_declared_range_the_installed_version_misses_is_a_warning(tmp_path: Path) -> None:
    job = _with_block(tmp_path, '# dependencies = ["pyyaml<1", "surely-absent-dist==1.0"]\n')
    result = jobpack("analyze", "main.py", "--json", cwd=job)
    manifest = json.loads(result.stdout)
    codes = {d["code"]: d for d in manifest["diagnostics"]}
    assert codes["pep723-mismatch"]["level"] == "warning"
    assert codes["pep723-mismatch"]["path"] == "main.py" and codes["pep723-mismatch"]["line"] == 1
    assert codes["pep723-not-installed"]["level"] == "info"
    assert {r["name"]: r["specifier"] for r in manifest["requirements"]} == {
        "pyyaml": "<1", "surely-absent-dist": "==1.0"}
    assert "main.py:1: warning[pep723-mismatch]" in result.stderr


def test_an_import_the_block_does_not_declare_is_a_warning(tmp_path: Path) -> None:
    job = _with_block(tmp_path, "# dependencies = []\n")
    result = jobpack("analyze", "main.py", "--json", cwd=job)
    manifest = json.loads(result.stdout)
    assert manifest["requirements"] == []
    assert "main.py:4: warning[pep723-undeclared]" in result.stderr


def test_requires_python_that_excludes_the_target_fails(tmp_path: Path) -> None:
    job = _with_block(tmp_path, '# requires-python = ">=3.99"\n')
    result = jobpack("analyze", "main.py", cwd=job)
    assert result.returncode == 1
    assert "main.py:1: error[pep723-requires-python]" in result.stdout


def test_a_malformed_block_is_one_line_and_exit_1(tmp_path: Path) -> None:
    job = _with_block(tmp_path, '# dependencies = "pyyaml"\n')
    result = jobpack("analyze", "main.py", cwd=job)
    assert result.returncode == 1
    assert result.stderr == "error: main.py:1: dependencies must be a list of strings\n"


RICH = ["rich", "markdown-it-py", "mdurl", "pygments"]  # rich and its closure


def test_requirements_carry_via_comments(tmp_path: Path) -> None:
    # A venv that holds only rich's closure (the versions jobpack's own venv has), and a
    # cache of our own: what the developer's venv also holds (hypothesis, pytest, ...
    # some declare rich, or are declared by its closure, under an extra) and what other
    # runs left in the shared cache cannot change the answer.
    pins = [f"{name}=={version(name)}" for name in RICH]
    python = tool_venv("rich-closure", pins) / "bin" / "python"
    (tmp_path / "main.py").write_text("import rich\n")
    text = jobpack("analyze", "main.py", "--format", "requirements", "--python", str(python),
                   "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path).stdout
    assert [line for line in text.splitlines() if line and not line.startswith("#")
            and not line.startswith("    #")] == sorted(pins)  # exactly the closure
    assert _via(text, f"rich=={version('rich')}") == ["main.py:1"]
    assert _via(text, f"pygments=={version('pygments')}") == ["rich"]
    assert _via(text, f"mdurl=={version('mdurl')}") == ["markdown-it-py"]  # one: same line


def _via(text: str, pin: str) -> list[str]:
    """What the `# via` comments under `pin` name (uv's one-line and list forms)."""
    lines = text.splitlines()
    reasons = []
    for line in lines[lines.index(pin) + 1:]:
        if not line.startswith("    #"):
            break
        reason = line.removeprefix("    #").strip().removeprefix("via").strip()
        if reason:
            reasons.append(reason)
    return reasons
