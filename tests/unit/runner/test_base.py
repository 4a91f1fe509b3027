"""The runner on an image: what the base provides is used as it is, checked first, and
installed into the job's environment only when it is missing or of another kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobpack.layout import SCHEMA, FileRecord, LayerRecord, PinRecord, RunSpec, WheelRecord
from jobpack.runner import base
from jobpack.runner.base import Provided, compatible, provided_set
from jobpack.runner.environment import Environment, prepared
from jobpack.runner.errors import RunnerError
from tests.support.members import Members
from tests.support.wheels import WheelSpec, write_wheel


def prepare(workdir: Path, spec: RunSpec, cache: Path, offline: bool,
            opener: Any) -> Environment:
    """The environment, its shared lock released at once (nothing prunes here)."""
    with prepared(workdir, spec, cache, offline, opener) as env:
        return env


@pytest.mark.parametrize(("found", "wanted", "ok"), [
    ("1.24.2", "1.24.2", True),
    ("1.26.4", "1.24.2", True),  # same major: the job's code sees the API it was built on
    ("2.0.1", "1.24.2", False),
    ("0.15.1", "0.14.0", False),  # below 1.0 the minor is the major
    ("0.14.9", "0.14.0", True),
    ("2.1.0+cu118", "2.1.0+cu121", True),  # both CUDA builds
    ("2.1.0+cpu", "2.1.0+cu121", False),
    ("2.1.0", "2.1.0+cpu", False),
    ("2.1.0+rocm6.1", "2.1.0+cu121", False),
    ("anything", "", True),  # the listing named no version
    ("weird", "1.0", False),
])
def test_compatible_versions(found: str, wanted: str, ok: bool) -> None:
    assert compatible(found, wanted) is ok


def test_the_provided_set_is_read_from_the_requirements_tier() -> None:
    manifest = RunSpec.from_dict({"schema": SCHEMA, "target": {"python": "3.11"},
                                  "requirements": [
        {"name": "attrs", "version": "23.1.0", "tier": "required"},
        {"name": "torch", "version": "2.13.0+cpu", "tier": "provided",
         "image_version": "2.1.0+cu121"},
        {"name": "numpy", "version": "1.26.4", "tier": "provided", "image_version": None},
    ]})
    assert provided_set(manifest) == [Provided("numpy", "1.26.4"),
                                      Provided("torch", "2.1.0+cu121")]


def _image(tmp_path: Path, dists: dict[str, str]) -> Path:
    """A site folder as an image has it: the distributions' metadata and modules."""
    site = tmp_path / "image-site"
    for name, version in dists.items():
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
        (site / f"{name}.py").write_text(f"WHERE = 'image'\nVERSION = {version!r}\n")
    return site


def _archive(tmp_path: Path, provided: dict[str, str], wheels: list[Path]
             ) -> tuple[Path, RunSpec, Any]:
    records = [WheelRecord(w.name.split("-")[0], f"wheels/{w.name}", w.name) for w in wheels]
    layer = LayerRecord("1" * 64, 1, tuple(FileRecord(r.file, r.sha256, 1) for r in records))
    pins = [PinRecord(r.name, f"{r.name}==1.0") for r in records if r.name not in provided]
    manifest = RunSpec("3.11", "python main.py", wheels=tuple(records), layers=(layer,),
                       pins=tuple(pins), provided=tuple(sorted(provided.items())))
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return workdir, manifest, Members({f"wheels/{w.name}": w for w in wheels})


def _python_of(env: Any) -> str:
    return str(env.bin / "python")


def test_the_environment_sees_the_image_and_installs_only_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    site = _image(tmp_path, {"imagelib": "1.4.0"})
    monkeypatch.setattr(base, "site_folders", lambda: [str(site)])
    own = write_wheel(WheelSpec("ownlib", "1.0", {"ownlib.py": "WHERE = 'bundle'\n"}),
                      tmp_path / "w")
    workdir, manifest, opener = _archive(tmp_path, {"imagelib": "1.2.0"}, [own])
    env = prepare(workdir, manifest, tmp_path / "cache", True, opener)
    said = capsys.readouterr().err
    assert f"imagelib 1.4.0: provided by {site}; used as it is" in said
    ran = subprocess.run([_python_of(env), "-c", "import imagelib, ownlib; "
                          "print(imagelib.WHERE, imagelib.__file__, ownlib.WHERE)"],
                         capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["image", str(site / "imagelib.py"), "bundle"]
    assert not list(env.prefix.rglob("imagelib*"))  # nothing of it in the environment
    assert [p.name for p in site.iterdir()] == ["imagelib-1.4.0.dist-info", "imagelib.py"]


def test_a_provided_distribution_the_image_lacks_comes_from_its_bundled_wheel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    site = _image(tmp_path, {"imagelib": "2.0.0"})  # another major: not compatible
    monkeypatch.setattr(base, "site_folders", lambda: [str(site)])
    fallback = write_wheel(WheelSpec("imagelib", "1.2.0", {"imagelib.py": "WHERE = 'bundle'\n"}),
                           tmp_path / "w")
    workdir, manifest, opener = _archive(tmp_path, {"imagelib": "1.2.0"}, [fallback])
    env = prepare(workdir, manifest, tmp_path / "cache", True, opener)
    assert ("imagelib 2.0.0 in " + str(site) + " is not compatible with 1.2.0; installing "
            "imagelib-1.2.0-py3-none-any.whl (bundled)") in capsys.readouterr().err
    ran = subprocess.run([_python_of(env), "-c", "import imagelib; print(imagelib.WHERE)"],
                         capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "bundle"  # the environment's own copy comes first


def test_offline_without_the_image_or_a_wheel_one_line_says_what_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _image(tmp_path, {})
    site.mkdir()
    monkeypatch.setattr(base, "site_folders", lambda: [str(site)])
    workdir, manifest, opener = _archive(tmp_path, {"numpy": "1.24.2"}, [])
    cache = tmp_path / "cache"
    with pytest.raises(RunnerError) as caught:
        prepare(workdir, manifest, cache, True, opener)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("numpy 1.24.2: not in this Python, and --offline with no "
                              "bundled wheel for it: install numpy==1.24.2 in the image")
    assert not cache.exists() or not [p for p in cache.iterdir() if p.is_dir()]


def test_the_cache_key_follows_the_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    first = _image(tmp_path / "a", {"imagelib": "1.2.0"})
    second = _image(tmp_path / "b", {"imagelib": "1.3.0"})
    workdir, manifest, opener = _archive(tmp_path, {"imagelib": "1.2.0"}, [])
    prefixes = []
    for site in (first, second, first):
        monkeypatch.setattr(base, "site_folders", lambda site=site: [str(site)])
        prefixes.append(prepare(workdir, manifest, tmp_path / "cache", True, opener).prefix)
    assert prefixes[0] != prefixes[1]
    assert prefixes[0] == prefixes[2]


def test_the_running_interpreters_site_folders_are_the_base() -> None:
    import site

    folders = base.site_folders()
    assert folders
    assert all(Path(f).is_dir() for f in folders)
    assert set(folders) <= {str(Path(f).resolve()) for f in
                            [*site.getsitepackages(), site.getusersitepackages()]}
    assert sys.prefix in folders[0] or sys.base_prefix in folders[0]


def test_an_image_with_another_micro_version_runs_the_job() -> None:
    """Debian's python3 is 3.11.2; a job analysed on 3.11.7 targets 3.11.7."""
    from jobpack.runner.main import check_python

    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    check_python(RunSpec(f"{running}.99", "python main.py"), allow_mismatch=False)
    with pytest.raises(RunnerError, match=r"targets Python 3\.7\.1"):
        check_python(RunSpec("3.7.1", "python main.py"), allow_mismatch=False)
