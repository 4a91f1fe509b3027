"""Which pins an archive installs up front, which on the job's first import of them, and
which it carries wheels of (issue #20).

The required tier is installed with the environment: bundled with `--wheels`, else pip
installs it on the VM. The optional tier (reached only through code the analysis could not
show runs) is installed by the runner's import hook when the job first imports it; by
default (`--optional` unset) its wheels ship with `--wheels` (an offline VM never fails
for one) and are left to the index without. `--optional bundle` ships them regardless,
`index` never, `drop` leaves the tier out of the archive altogether. The provided tier (in
the base image) is neither bundled nor installed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from jobpack.errors import BuildError
from jobpack.layout import OptionalRecord, WheelRecord
from jobpack.manifest import Manifest, Requirement

OptionalPolicy = Literal["bundle", "index", "drop"]
OPTIONAL_POLICIES: tuple[OptionalPolicy, ...] = ("bundle", "index", "drop")


@dataclass(frozen=True)
class TierPlan:
    """The manifest the archive carries, and the pins whose wheels it bundles."""

    manifest: Manifest
    bundled: tuple[Requirement, ...]  # their wheels ship
    prove: bool  # every pin is bundled: prove the wheels install offline to exactly them

    @property
    def optional(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.manifest.requirements if r.tier == "optional")


def plan_tiers(manifest: Manifest, *, bundle_required: bool,
               optional: OptionalPolicy | None) -> TierPlan:
    """What ships for `manifest` when the required tier is bundled (`--wheels`) or not and
    the optional tier follows `optional` (None: with the required tier)."""
    policy = optional or ("bundle" if bundle_required else "index")
    if policy not in OPTIONAL_POLICIES:
        raise BuildError(f"--optional {policy!r}: expected one of "
                         f"{', '.join(OPTIONAL_POLICIES)}")
    if policy == "drop":
        manifest = replace(manifest, requirements=tuple(
            r for r in manifest.requirements if r.tier != "optional"))
    installed = [r for r in manifest.requirements if r.tier != "provided"]
    bundled = [r for r in installed if (r.tier == "optional" and policy == "bundle")
               or (r.tier != "optional" and bundle_required)]
    for requirement in installed:
        if requirement.local_file is not None and requirement not in bundled:
            raise BuildError(
                f"{requirement.name} {requirement.version} was installed from "
                f"{requirement.local_file}, which no index serves to the VM: build with "
                "--wheels" + (" and without --optional index" if bundle_required else "")
                + " to ship that wheel")
    return TierPlan(manifest, tuple(bundled), len(bundled) == len(installed))


def optional_records(plan: TierPlan, wheels: list[WheelRecord]) -> list[OptionalRecord]:
    """The archive's `optional` records: each optional pin, its bundled wheel if any, the
    top-level modules whose import installs it, and the optional pins it requires."""
    by_name = {w.name: w for w in wheels}
    optional = plan.optional
    names = {r.name for r in optional}
    records = []
    for requirement in optional:
        if not requirement.top_level:
            raise BuildError(f"the optional distribution {requirement.name} names no "
                             "top-level module, so no import could install it")
        wheel = by_name.get(requirement.name)  # None: left to the index (or --allow-sdist)
        requires = sorted(n for n in names if n != requirement.name
                          and _requires(optional, requirement.name, n))
        records.append(OptionalRecord(
            requirement.name, requirement.version, requirement.pip_line(),
            requirement.top_level, tuple(requires), wheel.file if wheel else None))
    return records


def _requires(optional: tuple[Requirement, ...], parent: str, child: str) -> bool:
    """Whether `parent`'s metadata requires `child` (its `required_by` names the parent
    alone, where an importing library is named with the site of its import)."""
    return any(r.name == child and parent in r.required_by for r in optional)


def split_wheels(wheels: list[WheelRecord], plan: TierPlan
                 ) -> tuple[list[WheelRecord], list[WheelRecord]]:
    """The bundled wheels of the required tier (installed up front) and of the optional."""
    optional = {r.name for r in plan.optional}
    return ([w for w in wheels if w.name not in optional],
            [w for w in wheels if w.name in optional])

