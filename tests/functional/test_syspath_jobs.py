"""A script in a subfolder that puts its project folder on sys.path, run as a user would:
`jobpack build train.py` from the script's folder, then the archive alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES
from tests.functional.test_cli import jobpack
from tests.functional.test_runner import run_archive


def test_the_root_widens_to_the_folder_the_script_reaches_up_to(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "analyzer" / "syspath", project)
    result = jobpack("analyze", "train.py", "--json", cwd=project / "jobs")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["cmd"] == "python jobs/train.py"
    assert [f["path"] for f in manifest["local_files"]] == [
        "common/__init__.py", "common/utils.py", "jobs/train.py"]
    assert manifest["diagnostics"] == []

    archive = tmp_path / "train.zip"
    built = jobpack("build", "train.py", "-o", str(archive), cwd=project / "jobs")
    assert built.returncode == 0, built.stderr
    shutil.rmtree(project)
    ran = run_archive(archive, "--offline", cwd=tmp_path, cache=tmp_path / "envs")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "42"


def test_an_explicit_config_root_is_kept_and_the_reach_outside_named(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "analyzer" / "syspath", project)
    (project / "jobs" / "config.yaml").write_text("cmd: python train.py\n")
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=project / "jobs")
    manifest = json.loads(result.stdout)
    assert [f["path"] for f in manifest["local_files"]] == ["train.py"]
    assert [(d["code"], d["line"]) for d in manifest["diagnostics"]] == [
        ("sys-path-outside-root", 5), ("unresolved-import", 7)]
