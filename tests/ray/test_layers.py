"""`jobpack submit` of a layered archive to a real Ray head node: each dependency layer is
its own package, so a code-only change re-sends only the archive's small zip, and the
cluster reuses the environment built the first time. On a scikit-learn job (wheels from
the package index)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ray.conftest import RayHead
from tests.ray.test_submit import jobpack
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow

JOB = """\
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

X, y = make_classification(n_samples=200, random_state=0)
print("score", round(LogisticRegression().fit(X, y).score(X, y), 3))
"""


def _build(job: Path, python: Path, out: Path) -> None:
    result = jobpack("build", "main.py", "--python", str(python), "--wheels", "-o", str(out),
                     cwd=job)
    assert result.returncode == 0, result.stderr


def _sent(stderr: str) -> int:
    return int(re.search(r"sent (\d+) bytes", stderr).group(1))  # type: ignore[union-attr]


def test_a_code_change_resubmits_kilobytes_and_reuses_the_environment(
        ray_head: RayHead, tmp_path: Path) -> None:
    python = tool_venv("sklearn", ["scikit-learn==1.5.2"]) / "bin" / "python"
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    archive = tmp_path / "ml.jobpack.zip"
    _build(job, python, archive)
    env = f"XDG_CACHE_HOME={tmp_path / 'xdg'}"
    first = jobpack("submit", str(archive), "--ray", ray_head.address, "--env", env)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "score 0." in first.stdout
    layers = int(re.search(r"dependency layers: (\d+) uploaded, 0 already", first.stderr)
                 .group(1))  # type: ignore[union-attr]
    assert layers >= 2 and _sent(first.stderr) > 50_000_000  # numpy, scipy, scikit-learn
    (job / "main.py").write_text(JOB + "print('one more line')\n")
    _build(job, python, archive)
    again = jobpack("submit", str(archive), "--ray", ray_head.address, "--env", env)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "one more line" in again.stdout
    assert f"dependency layers: 0 uploaded, {layers} already on the cluster" in again.stderr
    assert _sent(again.stderr) < 1_000_000
    assert "jobpack: reusing environment" in again.stdout  # the runner's lines, in the logs


def test_a_layer_over_the_upload_limit_travels_in_parts_and_is_joined(
        ray_head: RayHead, tmp_path: Path) -> None:
    python = tool_venv("image-job", ["numpy==2.2.6", "attrs==25.3.0"]) / "bin" / "python"
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text("import numpy\nprint('sum', numpy.arange(4).sum())\n")
    archive = tmp_path / "np.jobpack.zip"
    _build(job, python, archive)  # one layer: numpy's 16 MB wheel and its bytecode
    env = f"XDG_CACHE_HOME={tmp_path / 'xdg'}"
    submit = ("submit", str(archive), "--ray", ray_head.address, "--env", env,
              "--upload-limit", "8M")
    first = jobpack(*submit)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "sum 6" in first.stdout
    parts = int(re.search(r"dependency layers: (\d+) uploaded, 0 already", first.stderr)
                .group(1))  # type: ignore[union-attr]
    assert parts == 3
    assert re.search(r"joining dependency layer \w+ from 3 parts: done", first.stdout)
    again = jobpack(*submit)  # the same parts, by digest: nothing is sent
    assert again.returncode == 0, again.stderr + again.stdout
    assert "dependency layers: 0 uploaded, 3 already on the cluster" in again.stderr
    assert _sent(again.stderr) == 0
    assert "jobpack: reusing environment" in again.stdout
