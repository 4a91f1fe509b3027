"""What ships of each tier under `--wheels` and `--optional` (issue #20)."""

from __future__ import annotations

import pytest

from jobpack.errors import BuildError
from jobpack.layout import WheelRecord
from jobpack.manifest import Manifest, Requirement
from jobpack.packager.tiers import OptionalPolicy, optional_records, plan_tiers
from jobpack.target import Target

PINS = (Requirement("numpy", "2.0.0", True, top_level=("numpy",)),
        Requirement("pandas", "2.2.0", False, tier="optional", top_level=("pandas",)),
        Requirement("pytz", "2024.1", False, required_by=("pandas",), tier="optional",
                    top_level=("pytz",)),
        Requirement("torch", "2.13.0", True, tier="provided", top_level=("torch",)))
MANIFEST = Manifest(target=Target.parse("3.11"), entry_points=("main.py",),
                    requirements=PINS)


@pytest.mark.parametrize(("wheels", "optional", "bundled", "prove"), [
    (True, None, ["numpy", "pandas", "pytz"], True),
    (False, None, [], False),
    (True, "index", ["numpy"], False),
    (False, "bundle", ["pandas", "pytz"], False),
    (True, "drop", ["numpy"], True),
])
def test_each_tier_ships_as_the_options_say(wheels: bool, optional: OptionalPolicy | None,
                                            bundled: list[str], prove: bool) -> None:
    plan = plan_tiers(MANIFEST, bundle_required=wheels, optional=optional)
    assert [r.name for r in plan.bundled] == bundled and plan.prove is prove
    kept = [r.name for r in plan.manifest.requirements]
    assert kept == (["numpy", "torch"] if optional == "drop" else [r.name for r in PINS])


def test_optional_records_name_their_wheel_modules_and_optional_requirements() -> None:
    plan = plan_tiers(MANIFEST, bundle_required=True, optional=None)
    wheel = WheelRecord("pandas", "wheels/pandas-2.2.0-cp311.whl", "0" * 64)
    records = {r.name: r for r in optional_records(plan, [wheel])}
    assert records["pandas"].requires == ("pytz",) and records["pytz"].requires == ()
    assert records["pandas"].wheel == wheel.file and records["pytz"].wheel is None
    assert records["pandas"].top_level == ("pandas",)
    assert records["pytz"].line == "pytz==2024.1"


def test_an_optional_pin_without_modules_is_refused() -> None:
    manifest = Manifest(target=Target.parse("3.11"), entry_points=("main.py",),
                        requirements=(Requirement("x", "1", False, tier="optional"),))
    with pytest.raises(BuildError, match="names no top-level module"):
        optional_records(plan_tiers(manifest, bundle_required=False, optional=None), [])


LOCAL = Requirement("mypkg", "0.1.0", True, tier="optional", top_level=("mypkg",),
                    url="file:///home/me/dist/mypkg-0.1.0-py3-none-any.whl#sha256=" + "0" * 64)


@pytest.mark.parametrize(("wheels", "optional", "refused"), [
    (True, None, False), (True, "bundle", False), (False, None, True),
    (True, "index", True), (False, "bundle", False), (True, "drop", False)])
def test_a_pin_installed_from_a_local_file_ships_only_bundled(
        wheels: bool, optional: OptionalPolicy | None, refused: bool) -> None:
    """No index serves a wheel file of this machine: a plan that would leave it to one is
    refused, naming the file."""
    manifest = Manifest(target=Target.parse("3.11"), entry_points=("main.py",),
                        requirements=(*PINS, LOCAL))
    if refused:
        with pytest.raises(BuildError, match=r"installed from /home/me/dist/mypkg-0\.1\.0"):
            plan_tiers(manifest, bundle_required=wheels, optional=optional)
    else:
        plan = plan_tiers(manifest, bundle_required=wheels, optional=optional)
        assert (LOCAL in plan.bundled) is (optional != "drop")
