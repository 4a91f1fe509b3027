"""The stdlib wheel installer, on wheels written by tests.support.wheels and by hand."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from jobpack.runner.install import Installer, Scheme, WheelError
from jobpack.wheelset import WheelSetError, check_wheel_set
from tests.support.wheels import WheelSpec, write_wheel


def _scheme(root: Path, python: str = sys.executable) -> Scheme:
    site = root / "site"
    return Scheme(site, site, root / "bin", root / "data", root / "include", python)


def _spec(**kwargs: object) -> WheelSpec:
    spec = WheelSpec("demo", "1.0", {"demo/__init__.py": "X = 1\n"})
    for key, value in kwargs.items():
        setattr(spec, key, value)
    return spec


def test_a_wheel_is_spread_over_its_scheme_with_scripts_record_and_installer(
    tmp_path: Path,
) -> None:
    data = "demo-1.0.data"
    spec = _spec(files={
        "demo/__init__.py": "def main():\n    print('demo main')\n    return 3\n",
        "demo-1.0.pth": "import sys\n",
        f"{data}/scripts/demo-tool": "#!python\nprint('tool ran')\n",
        f"{data}/data/share/demo/readme.txt": "hello\n",
        f"{data}/headers/demo.h": "int x;\n",
        f"{data}/platlib/demo_native.py": "",
    }, extra_dist_info={"entry_points.txt": "[console_scripts]\ndemo = demo:main\n"})
    scheme = _scheme(tmp_path)
    Installer(scheme).install(write_wheel(spec, tmp_path / "w"))
    site = tmp_path / "site"
    assert (site / "demo-1.0.pth").read_text() == "import sys\n"
    assert (site / "demo_native.py").exists()
    assert (tmp_path / "data" / "share" / "demo" / "readme.txt").read_text() == "hello\n"
    assert (tmp_path / "include" / "demo" / "demo.h").exists()
    tool = tmp_path / "bin" / "demo-tool"
    assert tool.read_text().startswith(f"#!{sys.executable}\n")
    assert subprocess.run([str(tool)], capture_output=True, text=True).stdout == "tool ran\n"
    launcher = subprocess.run([str(tmp_path / "bin" / "demo")], capture_output=True, text=True,
                              env={"PYTHONPATH": str(site)})
    assert (launcher.returncode, launcher.stdout) == (3, "demo main\n")
    assert (site / "demo-1.0.dist-info" / "INSTALLER").read_text() == "jobpack\n"
    rows = list(csv.reader((site / "demo-1.0.dist-info" / "RECORD").open()))
    paths = {row[0] for row in rows}
    assert {"demo/__init__.py", "../bin/demo", "../bin/demo-tool",
            "demo-1.0.dist-info/INSTALLER", "demo-1.0.dist-info/RECORD"} <= paths
    assert all(row[1].startswith("sha256=") for row in rows if row[0] != rows[-1][0])


def test_an_entry_point_named_out_of_the_scripts_folder_writes_nothing(
    tmp_path: Path,
) -> None:
    spec = _spec(extra_dist_info={"entry_points.txt": "[console_scripts]\n../../evil = demo:main\n"})
    wheel = write_wheel(spec, tmp_path / "w")
    with pytest.raises(WheelError, match=r"entry point script name '\.\./\.\./evil'"):
        Installer(_scheme(tmp_path / "env")).install(wheel)
    assert not (tmp_path / "evil").exists()
    assert not list(tmp_path.rglob("evil"))


def _zip(path: Path, members: dict[str, bytes], modes: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o644) << 16
            archive.writestr(info, data)
    return path


WHEEL = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"


def test_executable_bits_are_restored(tmp_path: Path) -> None:
    wheel = _zip(tmp_path / "x-1.0-py3-none-any.whl",
                 {"x/run.sh": b"#!/bin/sh\necho hi\n", "x-1.0.dist-info/WHEEL": WHEEL,
                  "x-1.0.dist-info/RECORD": b""}, {"x/run.sh": 0o755})
    Installer(_scheme(tmp_path)).install(wheel)
    assert (tmp_path / "site" / "x" / "run.sh").stat().st_mode & 0o111


@pytest.mark.parametrize(("member", "reason"), [
    ("/etc/evil", "absolute"), ("x/../../evil", "leaves its folder"),
    ("x-1.0.data/nowhere/evil", "unknown .data folder"),
])
def test_unsafe_paths_are_refused(tmp_path: Path, member: str, reason: str) -> None:
    wheel = _zip(tmp_path / "x-1.0-py3-none-any.whl",
                 {member: b"", "x-1.0.dist-info/WHEEL": WHEEL, "x-1.0.dist-info/RECORD": b""})
    with pytest.raises(WheelError, match=reason):
        Installer(_scheme(tmp_path / "env")).install(wheel)
    assert not (tmp_path / "evil").exists()


def test_the_installer_reads_a_wheel_as_the_build_checks_it(tmp_path: Path) -> None:
    """One reader of WHEEL and RECORD (jobpack.wheelset.WheelHead) on both sides: a
    RECORD that is not UTF-8 is one WheelError in the runner, in the build's words."""
    wheel = _zip(tmp_path / "x-1.0-py3-none-any.whl",
                 {"x.py": b"", "x-1.0.dist-info/WHEEL": WHEEL,
                  "x-1.0.dist-info/RECORD": b"x.py,sha256=\xff,0\n"})
    with pytest.raises(WheelSetError) as built:
        check_wheel_set([("x-1.0-py3-none-any.whl", str(wheel))])
    with pytest.raises(WheelError) as installed:
        Installer(_scheme(tmp_path / "env")).install(wheel)
    assert str(installed.value) == str(built.value)
    assert "RECORD is not UTF-8" in str(installed.value)


def test_a_wheel_of_an_unknown_major_version_is_refused(tmp_path: Path) -> None:
    wheel = _zip(tmp_path / "x-1.0-py3-none-any.whl",
                 {"x.py": b"", "x-1.0.dist-info/WHEEL": b"Wheel-Version: 2.0\n"})
    with pytest.raises(WheelError, match=r"Wheel-Version 2\.0 is not 1\.x"):
        Installer(_scheme(tmp_path)).install(wheel)


def test_two_wheels_writing_one_path_is_an_error_unless_the_bytes_agree(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "w"
    shared = {"ns/__init__.py": "__path__ = __import__('pkgutil').extend_path(__path__, "
                                "__name__)\n"}
    one = write_wheel(WheelSpec("one", "1.0", {**shared, "ns/one.py": ""}), folder)
    two = write_wheel(WheelSpec("two", "1.0", {**shared, "ns/two.py": ""}), folder)
    clash = write_wheel(WheelSpec("three", "1.0", {"ns/one.py": "other = 1\n"}), folder)
    installer = Installer(_scheme(tmp_path))
    installer.install(one)
    installer.install(two)  # the same namespace __init__.py: allowed
    with pytest.raises(WheelError, match=r"one-1.0-py3-none-any.whl installs .*ns/one.py"):
        installer.install(clash)


def _pyc(code_source: str, hashed_source: bytes) -> bytes:
    """A checked hash-based .pyc of `code_source` that claims to be of `hashed_source`."""
    import importlib.util
    import marshal

    code = compile(code_source, "demo/__init__.py", "exec")
    return (importlib.util.MAGIC_NUMBER + (3).to_bytes(4, "little")
            + importlib.util.source_hash(hashed_source) + marshal.dumps(code))


def test_bytecode_goes_beside_its_source_into_record_and_python_uses_it(
    tmp_path: Path,
) -> None:
    source = b"X = 'compiled on the VM'\n"
    wheel = write_wheel(_spec(files={"demo/__init__.py": source.decode()}), tmp_path / "w")
    tag = sys.implementation.cache_tag
    # the shipped code differs from the source, so the job shows which one Python ran
    pyc = _pyc("X = 'shipped'\n", source)
    bytecode = _zip(tmp_path / "bytecode.zip", {f"demo/__pycache__/__init__.{tag}.pyc": pyc})
    with bytecode.open("rb") as stream:
        Installer(_scheme(tmp_path)).install(wheel, bytecode=stream)
    site = tmp_path / "site"
    installed = site / "demo" / "__pycache__" / f"__init__.{tag}.pyc"
    assert installed.read_bytes() == pyc
    rows = {row[0]: row for row in csv.reader((site / "demo-1.0.dist-info" / "RECORD").open())}
    assert rows[f"demo/__pycache__/__init__.{tag}.pyc"][2] == str(len(pyc))
    ran = subprocess.run([sys.executable, "-c", "import demo; print(demo.X)"],
                         capture_output=True, text=True, env={"PYTHONPATH": str(site)})
    assert ran.stdout == "shipped\n"
    assert installed.read_bytes() == pyc  # used as it is, not rewritten


@pytest.mark.parametrize("member", ["demo/__init__.pyc", "demo/__pycache__/x.txt",
                                    "demo/__pycache__/../../../evil.pyc", "/abs/__pycache__/x.pyc"])
def test_bytecode_outside_a_pycache_folder_is_refused(tmp_path: Path, member: str) -> None:
    wheel = write_wheel(_spec(), tmp_path / "w")
    bytecode = _zip(tmp_path / "bytecode.zip", {member: b"x"})
    with bytecode.open("rb") as stream, pytest.raises(WheelError, match=r"demo-1\.0"):
        Installer(_scheme(tmp_path / "env")).install(wheel, bytecode=stream)
    assert not (tmp_path / "evil.pyc").exists()


def test_claims_made_in_another_process_are_merged_and_clash_here(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    one = write_wheel(WheelSpec("one", "1.0", {"ns/one.py": "a = 1\n"}), folder)
    clash = write_wheel(WheelSpec("three", "1.0", {"ns/one.py": "other = 1\n"}), folder)
    claims = Installer(_scheme(tmp_path / "a")).install(one)
    elsewhere = Installer(_scheme(tmp_path / "a")).install(clash)  # another process's view
    merged = Installer(_scheme(tmp_path / "a"))
    merged.merge(claims)
    with pytest.raises(WheelError, match=r"three-1.0-py3-none-any.whl: .*one-1.0.* installs"):
        merged.merge(elsewhere)
