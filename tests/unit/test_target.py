"""One Target from the command line to the archive: decided once, micro version included."""

from __future__ import annotations

import sys

import pytest

from jobpack.errors import TargetError
from jobpack.layout import RunSpec
from jobpack.manifest import Manifest
from jobpack.packager.pip import target_pip
from jobpack.runner.errors import RunnerError
from jobpack.runner.main import check_python
from jobpack.target import Target

ANALYSED = Target(3, 11, 7)


@pytest.mark.parametrize(("asked", "decided"), [
    (None, Target(3, 11, 7)),  # nothing asked: the analysed interpreter's
    (Target(3, 11), Target(3, 11, 7)),  # its X.Y: its micro version too
    (Target(3, 11, 4), Target(3, 11, 4)),  # a micro asked for is kept
    (Target(3, 12), Target(3, 12)),  # another X.Y: no micro version is known
])
def test_the_target_is_decided_once(asked: Target | None, decided: Target) -> None:
    assert Target.for_job(asked, ANALYSED) == decided


def test_an_interpreter_is_the_target_by_its_x_y() -> None:
    assert Target(3, 11, 7).runs((3, 11, 2, "final", 0))  # type: ignore[arg-type]
    assert Target(3, 11).runs(Target(3, 11, 9))
    assert not Target(3, 11, 7).runs((3, 12, 1))


def test_versions_parse_once_and_old_pythons_are_refused() -> None:
    assert Target.parse("3.11.7") == Target.of((3, 11, 7)) == Target(3, 11, 7)
    with pytest.raises(TargetError, match=r"3\.7\.9 is not supported"):
        Target.of((3, 7, 9))
    with pytest.raises(TargetError, match="invalid target Python version"):
        Target.parse("3.11.x")


def test_markers_pip_and_the_manifest_see_the_same_micro_version() -> None:
    target = Target(3, 11, 7)
    assert target.marker_environment()["python_full_version"] == "3.11.7"
    command = target_pip("download", target, Manifest(target, ()).pip)
    assert command[command.index("--python-version") + 1] == "3.11.7"
    manifest = Manifest(target=target, entry_points=("main.py",))
    assert manifest.to_dict()["target"]["python"] == "3.11.7"
    assert Manifest.from_dict(manifest.to_dict()).target == target


def test_the_runner_runs_a_target_of_its_x_y_whatever_the_micro() -> None:
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    check_python(RunSpec(f"{here}.0", "python main.py"), allow_mismatch=False)
    check_python(RunSpec(here, "python main.py"), allow_mismatch=False)  # an older archive
    with pytest.raises(RunnerError, match=r"targets Python 3\.99\.1"):
        check_python(RunSpec("3.99.1", "python main.py"), allow_mismatch=False)
