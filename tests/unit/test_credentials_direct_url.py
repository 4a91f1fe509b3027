"""Credentials in an installed distribution's `direct_url.json` (a `git+https://TOKEN@...`
install) never reach a manifest or an archive (issue #22): a real venv, a real dist-info."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.wheels import make_venv, site_packages

TOKEN = "ghp_t0kenXYZsecret"


def _venv_with_a_vcs_install(root: Path) -> Path:
    python = make_venv(root / "venv", with_pip=False)
    site = site_packages(python)
    (site / "vcstool.py").write_text("VALUE = 1\n")
    info = site / "vcstool-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vcstool\nVersion: 0.1\n")
    (info / "RECORD").write_text("vcstool.py,,\nvcstool-0.1.dist-info/METADATA,,\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "top_level.txt").write_text("vcstool\n")
    (info / "direct_url.json").write_text(json.dumps({
        "url": f"https://{TOKEN}@github.com/org/vcstool.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef"}}))
    return python


def test_a_token_in_direct_url_json_is_redacted_with_a_warning(tmp_path: Path) -> None:
    python = _venv_with_a_vcs_install(tmp_path)
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text("import vcstool\nprint(vcstool.VALUE)\n")
    jobpack = [sys.executable, "-m", "jobpack"]
    shown = subprocess.run([*jobpack, "analyze", "main.py", "--python", str(python),
                            "-f", "requirements"], cwd=job, capture_output=True, text=True,
                           check=False)
    assert shown.returncode == 0, shown.stderr
    assert TOKEN not in shown.stdout + shown.stderr
    assert ("vcstool @ git+https://${JOBPACK_URL_VCSTOOL_AUTH}@github.com/org/vcstool.git"
            "@0123456789abcdef") in shown.stdout
    assert "credentials-redacted" in shown.stderr
    built = subprocess.run([*jobpack, "build", "main.py", "--python", str(python), "-o",
                            str(tmp_path / "a.zip")], cwd=job, capture_output=True,
                           text=True, check=False)
    assert built.returncode == 0, built.stderr
    assert TOKEN not in built.stdout + built.stderr
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert all(TOKEN.encode() not in archive.read(n) for n in archive.namelist())
