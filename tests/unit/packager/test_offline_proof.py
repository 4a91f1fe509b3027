"""`build --wheels` proves the bundle installs offline to exactly the pins."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import jobpack
from jobpack.errors import OfflineInstallError
from jobpack.manifest import Manifest
from jobpack.packager.wheels import WheelFetcher
from tests.conftest import FIXTURES, UserEnv
from tests.support.bytecode import layer_names

pytestmark = pytest.mark.slow


def test_a_pin_set_missing_a_dependency_fails_the_build_naming_it(
    tmp_path: Path, user_env: UserEnv
) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                               python=str(user_env.python))
    pins = tuple(r for r in analysis.manifest.requirements if r.name != "colorx")
    assert len(pins) < len(analysis.manifest.requirements)  # greet requires colorx
    broken = replace(analysis, manifest=replace(analysis.manifest, requirements=pins))
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    with pytest.raises(OfflineInstallError, match="colorx"):
        jobpack.build(broken, tmp_path / "x.zip", wheels=fetcher)
    assert not (tmp_path / "x.zip").exists()
    # the whole closure installs: the same build passes
    jobpack.build(analysis, tmp_path / "ok.zip", wheels=fetcher)
    assert (tmp_path / "ok.zip").exists()


@pytest.mark.parametrize(("image_version", "passes"), [("1.0.3", True), ("0.9", False)])
def test_what_the_image_provides_satisfies_the_pins_without_shipping(
    tmp_path: Path, user_env: UserEnv, image_version: str, passes: bool
) -> None:
    """greet requires colorx>=1.0; with colorx provided by the image, the proof resolves
    against a stand-in of the image's version, and no colorx wheel ships."""
    import zipfile

    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                               python=str(user_env.python))
    pins = tuple(replace(r, tier="provided", image_version=image_version)
                 if r.name == "colorx" else r for r in analysis.manifest.requirements)
    provided = replace(analysis, manifest=replace(analysis.manifest, requirements=pins))
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    if not passes:
        with pytest.raises(OfflineInstallError, match="colorx"):
            jobpack.build(provided, tmp_path / "x.zip", wheels=fetcher)
        return
    built = jobpack.build(provided, tmp_path / "x.zip", wheels=fetcher)
    with zipfile.ZipFile(built.path) as archive:
        requirements = archive.read("requirements.txt").decode()
    wheels = [n for n in layer_names(built.path) if n.startswith("wheels/")]
    assert wheels and not [w for w in wheels if "colorx" in w]
    assert "colorx" not in requirements and "greet==1.2" in requirements


def test_a_passed_proof_is_remembered_for_the_same_pins_and_wheels(
    tmp_path: Path, user_env: UserEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild after a code change runs no pip resolver; other pins are proved again."""
    from jobpack.packager import wheels

    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                               python=str(user_env.python))
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    jobpack.build(analysis, tmp_path / "a.zip", wheels=fetcher)
    proved: list[int] = []
    real = wheels.prove_installable

    def counted(found: list[wheels.FetchedWheel], manifest: Manifest) -> None:
        proved.append(1)
        real(found, manifest)

    monkeypatch.setattr(wheels, "prove_installable", counted)
    jobpack.build(analysis, tmp_path / "b.zip", wheels=fetcher)
    assert proved == []
    pins = tuple(r for r in analysis.manifest.requirements if r.name != "colorx")
    broken = replace(analysis, manifest=replace(analysis.manifest, requirements=pins))
    with pytest.raises(OfflineInstallError, match="colorx"):
        jobpack.build(broken, tmp_path / "x.zip", wheels=fetcher)
    assert proved == [1]
