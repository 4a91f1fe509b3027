"""`type: manual`: the requirements file is the truth, but what the job imports and the file
will not install is named, at the import's file and line. The analysed environment is this
test venv, whose real rich requires markdown-it-py and pygments."""

from __future__ import annotations

import json
from pathlib import Path

from tests.functional.test_cli import jobpack

CONFIG = ("cmd: python main.py\nenv:\n  python:\n    type: manual\n"
          "    requirements-file: requirements.txt\n")
MAIN = "import json\nimport markdown_it\n\ndef colour():\n    import pygments\n"


def _diagnostics(tmp_path: Path, requirements: str) -> list[dict[str, object]]:
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "requirements.txt").write_text(requirements)
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert [r["name"] for r in manifest["requirements"]] == sorted(
        line.split("=")[0] for line in requirements.split())
    return [d for d in manifest["diagnostics"] if d["code"] == "requirements-file-undeclared"]


def test_imports_the_file_does_not_install_are_named_at_their_line(tmp_path: Path) -> None:
    found = _diagnostics(tmp_path, "pygments\n")
    assert [(d["path"], d["line"]) for d in found] == [("main.py", 2)]
    assert "markdown_it is imported but markdown-it-py is neither in requirements.txt" in str(
        found[0]["message"])


def test_what_listed_distributions_require_counts_as_installed(tmp_path: Path) -> None:
    assert _diagnostics(tmp_path, "rich\n") == []  # rich -> markdown-it-py, pygments


def test_a_listed_distribution_not_installed_here_silences_the_check(tmp_path: Path) -> None:
    # its own requirements are unknown here, so nothing can be said about markdown-it-py
    assert _diagnostics(tmp_path, "pygments\nno-such-distribution-jobpack==1.0\n") == []


def test_an_import_the_file_installs_is_not_unresolved_here(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import no_such_distribution_jobpack.sub\nimport unknown_thing_jobpack\n")
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "requirements.txt").write_text("No.Such-Distribution_jobpack==1.0\n")
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=tmp_path)
    manifest = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in manifest["diagnostics"]] == [
        ("unresolved-import", 2)]
