"""A job on an image: Debian's python3 with Debian's numpy stands in for a Docker image.

The job imports numpy and attrs. Built with `--wheels --provided` naming the image's
numpy, the archive carries attrs' wheel and no numpy; it runs offline on that python3,
imports the image's numpy, and the runner's environment holds attrs but no numpy. Where
the image lacks numpy (a venv of the same python3 without it) or holds another major
version than the listing names, one line says so before the job starts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.bytecode import layer_names
from tests.support.cache import tests_cache_root
from tests.support.debian import debian_python_with, image_version
from tests.support.tools import tool_venv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                       reason="needs unshare -n as root to cut the network"),
]

JOB = """\
import attrs
import numpy

@attrs.frozen
class Total:
    value: int

print("NUMPY", numpy.__version__, numpy.__file__)
print("ATTRS", attrs.__file__)
print("TOTAL", Total(int(numpy.arange(5).sum())))
"""


def jobpack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def offline(python: Path, archive: Path, *args: str, home: Path
            ) -> subprocess.CompletedProcess[str]:
    """`python3 job.zip` on a machine without network, as a fresh VM would start it."""
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    return subprocess.run(["unshare", "-n", str(python), str(archive),
                           "--env-cache", str(home / "envs"), *args],
                          cwd=home, env=bare, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def image() -> Path:
    return debian_python_with("python3-numpy", "numpy")


def _build(tmp_path: Path, listing: str) -> Path:
    analysed = tool_venv("image-job", ["numpy==2.2.6", "attrs==25.3.0"]) / "bin" / "python"
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)
    (tmp_path / "image.txt").write_text(listing)
    built = jobpack("build", "main.py", "--python", str(analysed), "--wheels",
                    "--provided", "../image.txt", "--wheel-cache",
                    str(tests_cache_root() / "image-job-wheels"), "-o", str(tmp_path / "job.zip"),
                    cwd=job)
    assert built.returncode == 0, built.stderr
    return tmp_path / "job.zip"


def test_the_images_numpy_is_used_and_never_shipped(image: Path, tmp_path: Path) -> None:
    version = image_version(image, "numpy")
    archive = _build(tmp_path, f"numpy=={version}\n")
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("jobpack.json"))
        requirements = opened.read("requirements.txt").decode()
    wheels = [n for n in layer_names(archive) if n.startswith("wheels/")]
    assert wheels == ["wheels/attrs-25.3.0-py3-none-any.whl"]
    assert "numpy" not in requirements
    [numpy] = [r for r in manifest["requirements"] if r["name"] == "numpy"]
    assert (numpy["tier"], numpy["version"], numpy["image_version"]) == (
        "provided", "2.2.6", version)
    home = tmp_path / "vm"
    home.mkdir()
    ran = offline(image, archive, home=home)
    assert ran.returncode == 0, ran.stderr
    lines = dict(line.split(" ", 1) for line in ran.stdout.splitlines())
    assert lines["NUMPY"].startswith(f"{version} /usr/lib/python3/dist-packages/numpy/")
    assert lines["ATTRS"].startswith(str(home / "envs"))
    assert lines["TOTAL"] == "Total(value=10)"
    assert f"numpy {version}: provided by /usr/lib/python3/dist-packages; used as it is" \
        in ran.stderr
    [site] = (home / "envs").glob("*/lib/python3.*/site-packages")
    installed = sorted(p.name for p in site.iterdir())
    assert "attrs" in installed and not [n for n in installed if "numpy" in n.lower()]


def test_without_the_images_numpy_one_line_says_what_is_missing(image: Path,
                                                                  tmp_path: Path) -> None:
    version = image_version(image, "numpy")
    archive = _build(tmp_path, f"numpy=={version}\n")
    stand_in = tmp_path / "no-numpy"  # the same python3, without Debian's packages
    subprocess.run([str(image), "-m", "venv", "--without-pip", str(stand_in)], check=True)
    home = tmp_path / "vm"
    home.mkdir()
    ran = offline(stand_in / "bin" / "python", archive, "--offline", home=home)
    assert ran.returncode == 1
    assert "TOTAL" not in ran.stdout  # the job never started
    last = ran.stderr.strip().splitlines()[-1]
    assert last == (f"jobpack: error: numpy {version}: not in this Python, and --offline "
                    f"with no bundled wheel for it: install numpy=={version} in the image, "
                    "or build without --provided for it")


def test_an_image_with_another_major_version_than_listed_is_refused(image: Path,
                                                                   tmp_path: Path) -> None:
    version = image_version(image, "numpy")
    archive = _build(tmp_path, "numpy==2.2.6\n")  # what the listing promises, not the image
    home = tmp_path / "vm"
    home.mkdir()
    ran = offline(image, archive, "--offline", home=home)
    assert ran.returncode == 1 and "TOTAL" not in ran.stdout
    assert ran.stderr.strip().splitlines()[-1] == (
        f"jobpack: error: numpy {version} in /usr/lib/python3/dist-packages is not "
        "compatible with 2.2.6, and --offline with no bundled wheel for it: install "
        "numpy==2.2.6 in the image, or build without --provided for it")
