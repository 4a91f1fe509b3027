"""The manifest round-trips: every field written by `to_json` is read back by `from_json`
to an equal value, and writing that again gives the same bytes."""

from __future__ import annotations

from dataclasses import fields

import jobpack
from jobpack.diagnostics import DYNAMIC_IMPORT, EXCLUDED
from jobpack.manifest import (
    DataFile,
    DataPath,
    Interpreter,
    LocalFile,
    Manifest,
    PipOptions,
    Requirement,
)
from jobpack.target import Target
from tests.conftest import FIXTURES

FULL = Manifest(
    target=Target(3, 11, 7),
    entry_points=("main.py", "-m pkg.tool"),
    cmd="python main.py --data ${DATA} --out ${OUT} --home ${DS_PROJECT_HOME}",
    requirements=(
        Requirement("numpy", "2.1.0", True, imported_as=("numpy",), required_by=("main.py:3",),
                    marker='python_version >= "3.9"', extras=("dev",), pure=False,
                    hashes=("sha256:" + "a" * 64,), size=1234, lazy_only=True,
                    optional_only=True, tier="optional"),
        Requirement("tool", "", False, url="git+https://example.org/tool@abc123"),
        Requirement("ranged", "", True, specifier=">=1,<2", tier="provided"),
    ),
    local_files=(LocalFile("main.py", "b" * 64, 10), LocalFile("pkg/tool.py", "c" * 64, 0)),
    diagnostics=(DYNAMIC_IMPORT.at("main.py", 8, "__import__(name)"),
                 EXCLUDED.note("torch is excluded")),
    data_files=(DataFile("params.yaml", "d" * 64, 42, read_by=("main.py:5",)),),
    inputs=(DataPath("data.csv", "DATA"), DataPath("extra")),
    outputs=(DataPath("out", "OUT", folder=True), DataPath("result.json")),
    pip=PipOptions(index_url="https://example.org/simple", extra_index_urls=("https://x/",),
                   trusted_hosts=("x",), find_links=("./wheels",), no_deps=True,
                   constraints=("numpy<3",)),
    python_mode="manual",
    env=(("MODE", "fast"), ("TOKEN", None)),
    name="my job",
    runtime_vars=("DS_PROJECT_HOME",),
    sys_path=("src",),
    interpreter=Interpreter("3.11.7", "venv", "linux-x86_64"),
)


def test_every_field_is_set_in_the_sample() -> None:
    """So a field added later without a round-trip shows up here first."""
    defaults = Manifest(target=Target(3, 11), entry_points=())
    unset = [f.name for f in fields(Manifest)
             if getattr(FULL, f.name) == getattr(defaults, f.name)]
    assert unset == ["schema"]  # one value only


def test_every_field_round_trips() -> None:
    text = FULL.to_json()
    again = Manifest.from_json(text)
    assert again == FULL.normalized()
    assert again.to_json() == text
    assert Manifest.from_json(text.encode()) == again


def test_a_real_analysis_round_trips() -> None:
    manifest = jobpack.analyze(config=FIXTURES / "example" / "config.yaml").manifest
    assert Manifest.from_json(manifest.to_json()) == manifest.normalized()
