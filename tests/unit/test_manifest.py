"""The manifest's requirement tiers: written, read back, defaulted and refused."""

from __future__ import annotations

import json

import pytest

from jobpack.errors import ManifestError
from jobpack.manifest import Manifest, Requirement
from jobpack.target import Target


def _manifest(*reqs: Requirement) -> Manifest:
    return Manifest(target=Target.parse("3.11"), entry_points=("main.py",), requirements=reqs)


def test_each_tier_is_written_and_read_back() -> None:
    manifest = _manifest(Requirement("numpy", "2.0.0", True),
                         Requirement("pandas", "2.2.0", False, tier="optional"),
                         Requirement("torch", "2.13.0", False, tier="provided"))
    text = manifest.to_json()
    tiers = {r["name"]: r["tier"] for r in json.loads(text)["requirements"]}
    assert tiers == {"numpy": "required", "pandas": "optional", "torch": "provided"}
    assert Manifest.from_json(text) == manifest.normalized()


def test_a_manifest_written_before_tiers_reads_as_required() -> None:
    data = json.loads(_manifest(Requirement("numpy", "2.0.0", True)).to_json())
    del data["requirements"][0]["tier"]
    assert Manifest.from_dict(data).requirements[0].tier == "required"


def test_an_unknown_tier_is_one_clear_error() -> None:
    data = json.loads(_manifest(Requirement("numpy", "2.0.0", True)).to_json())
    data["requirements"][0]["tier"] = "maybe"
    with pytest.raises(ManifestError, match="'numpy': unknown tier 'maybe'"):
        Manifest.from_dict(data)


def test_output_folders_and_sys_path_are_written_only_when_set_and_read_back() -> None:
    from dataclasses import replace

    from jobpack.manifest import DataPath

    plain = _manifest()
    assert "sys_path" not in json.loads(plain.to_json())
    manifest = replace(plain, sys_path=("src",), outputs=(
        DataPath("models", None, True), DataPath("result.json", "RESULT")))
    data = json.loads(manifest.to_json())
    assert data["sys_path"] == ["src"]
    assert data["outputs"] == [{"folder": True, "path": "models", "var": None},
                               {"path": "result.json", "var": "RESULT"}]
    assert Manifest.from_json(manifest.to_json()) == manifest.normalized()
