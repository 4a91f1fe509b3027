"""`build --wheels` proves the bundle installs offline to exactly the pins."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import jobpack
from jobpack.errors import OfflineInstallError
from jobpack.packager.wheels import WheelFetcher
from tests.conftest import FIXTURES, UserEnv

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
