"""A torch job in a data scientist's venv (tests/torchjobs: torch, transformers, datasets,
accelerate, pandas, scikit-learn, matplotlib, networkx and what they need), built for an
image that has torch and its CUDA stack: `--wheels --provided` (torch, nvidia-*, triton)
gives an archive of kilobytes that runs offline on a Python with torch, where the same
build without `--provided` ships torch's wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow
TORCHJOBS = REPO / "tests" / "torchjobs" / "requirements.txt"


def jobpack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_the_word_language_model_on_a_torch_image_ships_kilobytes(tmp_path: Path) -> None:
    # the venv of #20's torch jobs, built once per machine by their helper
    cached_venv = pytest.importorskip("tests.support.cached_venv",
                                      reason="tests/torchjobs (#20) is not on this branch yet")
    if not TORCHJOBS.is_file():
        pytest.skip("tests/torchjobs (#20) is not on this branch yet")
    python = cached_venv.ensure_venv("torch", TORCHJOBS)
    count = subprocess.run([str(python), "-c", "from importlib import metadata; "
                            "print(len({d.metadata['Name'] for d in metadata.distributions()}))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    job = tmp_path / "wlm"
    shutil.copytree(FIXTURES / "gpu", job)
    (job / "image.txt").write_text("torch\nnvidia-*\ntriton\n")
    built = jobpack("build", "--config", "config.yaml", "--python", str(python), "--wheels",
                    "--provided", "image.txt", "-o", "dist/", cwd=job)
    assert built.returncode == 0, built.stderr[-3000:]
    archive = job / "dist" / "wlm.jobpack.zip"
    size = archive.stat().st_size
    print(f"\nvenv of {count} distributions: archive {size} bytes with --provided")
    assert size < 100 * 1024 * 1024
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        manifest = json.loads(opened.read("jobpack.json"))
    assert not [n for n in names if n.startswith("wheels/torch") or "nvidia" in n]
    tiers = {r["name"]: r["tier"] for r in manifest["requirements"]}
    assert tiers.get("torch") == "provided"
    assert "cpu-build-on-gpu" not in built.stderr  # nvidia-* in the listing: a CUDA image
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return
    run = subprocess.run(["unshare", "-n", str(python), str(archive), "--offline",
                          "--output-dir", str(tmp_path / "out")],
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                         capture_output=True, text=True, check=False, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "torch 2.13.0+cpu: provided by " in run.stderr
    assert "End of training" in run.stdout
