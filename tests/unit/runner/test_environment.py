"""Building an environment from bundled wheels: on several processes, with their bytecode."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from jobpack.layout import bytecode_member
from jobpack.runner.environment import PARALLEL_BYTES, Environment, prepared
from jobpack.runner.errors import RunnerError
from tests.support.wheels import WheelSpec, write_wheel


def prepare(workdir: Path, manifest: dict[str, Any], cache: Path, offline: bool,
            opener: Any) -> Environment:
    """The environment, its shared lock released at once (nothing prunes here)."""
    with prepared(workdir, manifest, cache, offline, opener) as env:
        return env


def _manifest(wheels: dict[str, Path], bytecode: dict[str, str] | None = None
              ) -> dict[str, Any]:
    """A manifest whose wheels look big enough to be installed on several processes."""
    records = []
    for name, wheel in wheels.items():
        record = {"name": name, "file": f"wheels/{wheel.name}", "sha256": name * 8}
        if bytecode and name in bytecode:
            record["bytecode"] = bytecode[name]
        records.append(record)
    files = [{"path": r["file"], "sha256": r["sha256"], "size": PARALLEL_BYTES} for r in records]
    files += [{"path": r["bytecode"], "sha256": "0" * 64, "size": 1} for r in records
              if "bytecode" in r]
    return {"python": {"mode": "auto"}, "wheels": records, "files": files}


def _opener(members: dict[str, Path]) -> Any:
    def open_member(name: str) -> IO[bytes]:
        return members[name].open("rb")
    return open_member


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
    ({"name": "demo", "file": "wheels/demo.whl"}, "malformed wheels entry: 'sha256'"),
    ({"name": "demo", "file": "wheels/demo.whl", "sha256": "x", "bytecode": 3},
     "malformed wheels entry: 'bytecode'"),
    ({"name": "demo", "file": "wheels/elsewhere.whl", "sha256": "x"},
     "bundled file 'wheels/elsewhere.whl' is not among the files"),
    ({"name": "demo", "file": "wheels/demo.whl", "sha256": "x", "bytecode": "bytecode/x.zip"},
     "bundled file 'bytecode/x.zip' is not among the files"),
])
def test_a_malformed_wheels_record_is_one_line_not_a_traceback(
    tmp_path: Path, wheels: dict[str, Any], says: str,
) -> None:
    manifest = {"python": {"mode": "auto"}, "wheels": [wheels],
                "files": [{"path": "wheels/demo.whl", "sha256": "x", "size": 1}]}
    with pytest.raises(RunnerError, match=re.escape(says)):
        prepare(_workdir(tmp_path, ["demo"]), manifest, tmp_path / "cache", True,
                _opener({}))
