"""Building an environment from bundled wheels: on several processes, with their bytecode."""

from __future__ import annotations

import json
import re
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobpack.layout import (
    MANIFEST_NAME,
    SCHEMA,
    FileRecord,
    LayerRecord,
    PinRecord,
    RunSpec,
    WheelRecord,
    bytecode_member,
)
from jobpack.runner.environment import PARALLEL_BYTES, Environment, environment_key, prepared
from jobpack.runner.errors import RunnerError
from jobpack.runner.verify import read_spec
from tests.support.members import Members
from tests.support.wheels import WheelSpec, write_wheel


def prepare(workdir: Path, spec: RunSpec, cache: Path, offline: bool,
            opener: Any) -> Environment:
    """The environment, its shared lock released at once (nothing prunes here)."""
    with prepared(workdir, spec, cache, offline, opener) as env:
        return env


def _manifest(wheels: dict[str, Path], bytecode: dict[str, str] | None = None) -> RunSpec:
    """A run spec whose wheels look big enough to be installed on several processes."""
    records = [WheelRecord(name, f"wheels/{wheel.name}", name * 8,
                           (bytecode or {}).get(name)) for name, wheel in wheels.items()]
    files = [FileRecord(r.file, r.sha256, PARALLEL_BYTES) for r in records]
    files += [FileRecord(r.bytecode, "0" * 64, 1) for r in records if r.bytecode]
    return RunSpec("3.11", "python main.py", wheels=tuple(records),
                   layers=(LayerRecord("1" * 64, 1, tuple(files)),),
                   pins=tuple(PinRecord(name, f"{name}==1.0") for name in wheels))


def _opener(members: dict[str, Path]) -> Members:
    return Members(members)


def _workdir(tmp_path: Path, pins: list[str]) -> Path:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "requirements.txt").write_text("".join(f"{p}==1.0\n" for p in pins))
    return workdir


def test_wheels_installed_on_several_processes_make_one_environment(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    wheels = {name: write_wheel(WheelSpec(name, "1.0", {f"{name}/__init__.py": f"N = {i}\n"}),
                                folder) for i, name in enumerate(["alpha", "beta", "gamma"])}
    members = {f"wheels/{w.name}": w for w in wheels.values()}
    env = prepare(_workdir(tmp_path, list(wheels)), _manifest(wheels), tmp_path / "cache",
                  True, _opener(members))
    site = env.prefix / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" \
        / "site-packages"
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "alpha-1.0.dist-info", "beta-1.0.dist-info", "gamma-1.0.dist-info"]


def test_a_clash_between_wheels_on_different_processes_leaves_no_environment(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "w"
    wheels = {"one": write_wheel(WheelSpec("one", "1.0", {"ns/x.py": "a = 1\n"}), folder),
              "two": write_wheel(WheelSpec("two", "1.0", {"ns/x.py": "b = 2\n"}), folder)}
    members = {f"wheels/{w.name}": w for w in wheels.values()}
    cache = tmp_path / "cache"
    with pytest.raises(RunnerError, match=r"installs .*ns/x\.py too"):
        prepare(_workdir(tmp_path, list(wheels)), _manifest(wheels), cache, True,
                _opener(members))
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


def test_bytecode_for_another_python_is_not_installed(tmp_path: Path) -> None:
    wheel = write_wheel(WheelSpec("demo", "1.0", {"demo/__init__.py": ""}), tmp_path / "w")
    other = bytecode_member("cpython-27", wheel.name)  # never opened: the test would fail
    members = {f"wheels/{wheel.name}": wheel}
    env = prepare(_workdir(tmp_path, ["demo"]), _manifest({"demo": wheel}, {"demo": other}),
                  tmp_path / "cache", True, _opener(members))
    assert not list(env.prefix.rglob("*.pyc"))


@pytest.mark.parametrize(("wheels", "says"), [
    ({"name": "demo", "file": "wheels/demo.whl"}, "jobpack.json: 'sha256' must be a str"),
    ({"name": "demo", "file": "wheels/demo.whl", "sha256": "x", "bytecode": 3},
     "jobpack.json: 'bytecode' must be a str"),
    ({"name": "demo", "file": "wheels/elsewhere.whl", "sha256": "x"},
     "bundled file 'wheels/elsewhere.whl' is in no dependency layer"),
    ({"name": "demo", "file": "wheels/demo.whl", "sha256": "x", "bytecode": "bytecode/x.zip"},
     "bundled file 'bytecode/x.zip' is in no dependency layer"),
])
def test_a_malformed_wheels_record_is_one_line_not_a_traceback(
    tmp_path: Path, wheels: dict[str, Any], says: str,
) -> None:
    layer = {"sha256": "1" * 64, "size": 1,
             "files": [{"path": "wheels/demo.whl", "sha256": "x", "size": 1}]}
    manifest = {"schema": SCHEMA, "target": {"python": "3.11"}, "wheels": [wheels],
                "files": [], "layers": [layer]}
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest))
    with zipfile.ZipFile(tmp_path / "a.zip") as archive, \
            pytest.raises(RunnerError, match=re.escape(says)):
        read_spec(archive)


def test_the_environment_key_is_the_dependency_layers_never_the_jobs_files() -> None:
    """A code change reuses the environment; two jobs with the same layers share one."""
    spec = _manifest({"alpha": Path("alpha-1.0-py3-none-any.whl")})
    other_job = replace(spec, cmd="python other.py",
                        files=(FileRecord("src/other.py", "2" * 64, 10),))
    assert environment_key(other_job) == environment_key(spec)
    layer = replace(spec.layers[0], sha256="3" * 64)
    assert environment_key(replace(spec, layers=(layer,))) != environment_key(spec)
    pins = (PinRecord("alpha", "alpha==1.0"), PinRecord("extra", "extra==2.0"))
    assert environment_key(replace(spec, pins=pins)) != environment_key(spec)
