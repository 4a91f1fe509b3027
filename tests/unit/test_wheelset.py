"""One check, two sides (issue #22): a wheel set the runner would refuse on the VM, the
build refuses first, with the same words (`jobpack.wheelset`)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from jobpack.errors import BuildError
from jobpack.manifest import LocalFile, Manifest, Requirement, SourceMap
from jobpack.packager import api
from jobpack.packager.wheels import WheelFetcher
from jobpack.target import Target
from jobpack.wheelset import WheelSetError, check_wheel_set, linux_accepts
from tests.support.wheels import WheelSpec, write_wheel

CLASH = "cannot install two-1.0-py3-none-any.whl: one-1.0-py3-none-any.whl installs " \
        "site/ns/x.py too"


def _pair(folder: Path, second: str = "b = 2\n") -> list[tuple[str, str]]:
    one = write_wheel(WheelSpec("one", "1.0", {"ns/x.py": "a = 1\n", "one.py": ""}), folder)
    two = write_wheel(WheelSpec("two", "1.0", {"ns/x.py": second, "two.py": ""}), folder)
    return [(one.name, str(one)), (two.name, str(two))]


def test_two_wheels_writing_one_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WheelSetError) as caught:
        check_wheel_set(_pair(tmp_path))
    assert str(caught.value) == CLASH


def test_the_same_bytes_at_one_path_are_fine(tmp_path: Path) -> None:
    check_wheel_set(_pair(tmp_path, second="a = 1\n"))  # a pkgutil namespace __init__


def _rewrite(wheel: Path, drop: str = "", replace: dict[str, str] | None = None) -> None:
    with zipfile.ZipFile(wheel) as source:
        members = {n: source.read(n) for n in source.namelist() if not n.endswith(drop)
                   or not drop}
    for name, text in (replace or {}).items():
        members[name] = text.encode()
    with zipfile.ZipFile(wheel, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


@pytest.mark.parametrize(("change", "says"), [
    ({"drop": "/RECORD"}, "no one-1.0.dist-info/RECORD"),
    ({"replace": {"one-1.0.dist-info/WHEEL": "Wheel-Version: 2.0\n"}},
     "Wheel-Version 2.0 is not 1.x"),
    ({"replace": {"../evil.py": ""}}, "refusing the path '../evil.py'"),
    ({"replace": {"one-1.0.data/weird/x": ""}}, "unknown .data folder 'weird'"),
    ({"replace": {"one-1.0.dist-info/entry_points.txt": "[console_scripts]\n../evil = one:m\n"}},
     "refusing the entry point script name '../evil' (not a plain file name)"),
    ({"replace": {"one-1.0.dist-info/entry_points.txt": "[gui_scripts]\nsub/x = one:m\n"}},
     "refusing the entry point script name 'sub/x'"),
    ({"replace": {"one-1.0.dist-info/entry_points.txt": "[console_scripts\n"}},
     "entry_points.txt: "),
])
def test_a_broken_wheel_is_one_line(tmp_path: Path, change: dict[str, object],
                                    says: str) -> None:
    wheel = write_wheel(WheelSpec("one", "1.0", {"one.py": ""}), tmp_path)
    _rewrite(wheel, **change)  # type: ignore[arg-type]
    with pytest.raises(WheelSetError) as caught:
        check_wheel_set([(wheel.name, str(wheel))])
    assert str(caught.value).startswith("cannot install one-1.0-py3-none-any.whl: ")
    assert says in str(caught.value)


def _manifest(job: Path) -> Manifest:
    data = b"import one, two\n"
    (job / "main.py").write_bytes(data)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return Manifest(target=Target.parse(python), entry_points=("main.py",),
                    cmd="python main.py",
                    requirements=(Requirement(name="one", version="1.0", direct=True),
                                  Requirement(name="two", version="1.0", direct=True)),
                    local_files=(LocalFile("main.py", hashlib.sha256(data).hexdigest(),
                                           len(data)),))


def test_the_build_and_the_runner_refuse_a_clash_in_the_same_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    house, job = tmp_path / "house", tmp_path / "job"
    job.mkdir()
    _pair(house)
    manifest = _manifest(job)
    fetcher = WheelFetcher(cache=house, find_links=(str(house),), no_index=True, prove=False)
    _refused_by_build_and_runner(tmp_path, monkeypatch, manifest, job, fetcher, CLASH)


@pytest.mark.parametrize("tag", ["py3-none-macosx_11_0_arm64", "cp312-cp312-manylinux_2_17_x86_64",
                                 "cp311-cp311-win_amd64", "cp311-abi3-manylinux_2_17_aarch64",
                                 "cp312-abi3-manylinux_2_17_x86_64", "py2-none-any",
                                 "cp311-cp311-musllinux_1_1_x86_64"])
def test_a_wheel_tagged_for_another_interpreter_is_one_line_on_both_sides(
        tmp_path: Path, tag: str) -> None:
    wheel = write_wheel(WheelSpec("one", "1.0", {"one.py": ""}, tag=tag), tmp_path)
    said = []
    for interpreter in (api.target_interpreter(Target.parse("3.11")), linux_accepts(3, 11)):
        with pytest.raises(WheelSetError) as caught:
            check_wheel_set([(wheel.name, str(wheel))], interpreter)
        said.append(str(caught.value))
    assert said[0] == said[1] == (f"cannot install {wheel.name}: tagged {tag}, which "
                                  "Python 3.11 on Linux x86_64 does not install")


@pytest.mark.parametrize("tag", ["py3-none-any", "py2.py3-none-any",
                                 "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
                                 "cp38-abi3-manylinux2014_x86_64", "py3-none-linux_x86_64"])
def test_a_wheel_the_target_installs_passes_on_both_sides(tmp_path: Path, tag: str) -> None:
    wheel = write_wheel(WheelSpec("one", "1.0", {"one.py": ""}, tag=tag), tmp_path)
    for interpreter in (api.target_interpreter(Target.parse("3.11")), linux_accepts(3, 11)):
        check_wheel_set([(wheel.name, str(wheel))], interpreter)


MAC = "cp311-cp311-macosx_11_0_arm64"


def test_a_renamed_wheel_is_judged_by_its_wheel_tags_at_build_and_at_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    house, job = tmp_path / "house", tmp_path / "job"
    job.mkdir()
    one = write_wheel(WheelSpec("one", "1.0", {"one.py": ""}), house)
    write_wheel(WheelSpec("two", "1.0", {"two.py": ""}), house)
    # a macOS build renamed py3-none-any: its WHEEL file still says what it is
    _rewrite(one, replace={"one-1.0.dist-info/WHEEL": f"Wheel-Version: 1.0\nTag: {MAC}\n"})
    said = (f"cannot install {one.name}: tagged {MAC}, which Python "
            f"{sys.version_info[0]}.{sys.version_info[1]} on Linux x86_64 does not install")
    manifest = _manifest(job)
    fetcher = WheelFetcher(cache=house, find_links=(str(house),), no_index=True, prove=False)
    _refused_by_build_and_runner(tmp_path, monkeypatch, manifest, job, fetcher, said)


def _refused_by_build_and_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 manifest: Manifest, job: Path, fetcher: WheelFetcher,
                                 said: str) -> None:
    """The build refuses the wheel set with `said`; an archive built without the check
    (an older jobpack) is refused by the runner in the same words."""
    with pytest.raises(BuildError) as caught:
        api.build(manifest, SourceMap.beside(manifest, job), tmp_path / "a.zip",
                  wheels=fetcher)
    assert str(caught.value) == said
    assert not (tmp_path / "a.zip").exists()
    monkeypatch.setattr(api, "check_wheel_set", lambda *given: None)
    archive = api.build(manifest, SourceMap.beside(manifest, job), tmp_path / "a.zip",
                        wheels=fetcher).path
    run = subprocess.run([sys.executable, str(archive), "--offline", "--env-cache",
                          str(tmp_path / "envs")], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == f"jobpack: error: {said}"
    assert "Traceback" not in run.stderr
