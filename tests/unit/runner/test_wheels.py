"""Bundled wheels installed on several workers, a big wheel's files split between them
(`jobpack.runner.wheels`, `jobpack.runner.members`): the same tree as one process writes,
and every conflict still found, whichever workers wrote the paths."""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

import pytest

from jobpack.layout import WheelRecord
from jobpack.runner.errors import RunnerError
from jobpack.runner.install import Installer, Scheme
from jobpack.runner.layers import Slice
from jobpack.runner.members import FILE_COST, deal
from jobpack.runner.wheels import PIECE_BYTES, install_wheels, pieces
from tests.support.downloads import target_wheels
from tests.support.members import Members
from tests.support.wheels import WheelSpec, write_wheel


def _scheme(root: Path) -> Scheme:
    site = root / "site"
    return Scheme(site, site, root / "bin", root / "data", root / "include", sys.executable)


def _tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under `root`: its mode and its bytes' digest."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = (
                path.stat().st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def _install_split(wheels: list[Path], root: Path, workers: int = 2) -> None:
    """Every wheel sized as if it were most of a big job's bytes, so each one is split."""
    records = [WheelRecord(w.name, f"wheels/{w.name}", "0" * 64) for w in wheels]
    sizes = {r.file: 8 * PIECE_BYTES for r in records}
    assert {p.parts for p in pieces(records, sizes, workers)} == {workers}
    install_wheels(records, _scheme(root), Members({r.file: w for r, w in
                                                    zip(records, wheels, strict=True)}).open,
                   sizes, workers)


@pytest.mark.slow  # the wheels are downloaded once per machine (the functional test's too)
def test_a_real_wheel_split_across_workers_gives_the_same_tree_byte_for_byte(
        tmp_path: Path) -> None:
    # setuptools (pure Python, so installable here): about 350 deflated files, a .pth among them
    wheel = next(target_wheels("runner-real", ["numpy", "pandas", "tqdm", "protobuf",
                                               "googleapis-common-protos", "setuptools"],
                               "3.12").glob("setuptools-*.whl"))
    Installer(_scheme(tmp_path / "one")).install(wheel)
    _install_split([wheel], tmp_path / "split")
    one = _tree(tmp_path / "one")
    assert len(one) > 300
    assert _tree(tmp_path / "split") == one


def test_split_wheels_give_the_tree_one_process_writes_scripts_and_record_included(
        tmp_path: Path) -> None:
    spec = WheelSpec("demo", "1.0", {f"demo/m{i}.py": f"X = {i}\n" * (i + 1)
                                     for i in range(40)},
                     extra_dist_info={"entry_points.txt": "[console_scripts]\ndemo = demo:main\n"})
    spec.files["demo-1.0.data/scripts/tool"] = "#!python\nprint('tool')\n"
    wheel = write_wheel(spec, tmp_path / "w")
    Installer(_scheme(tmp_path / "one")).install(wheel)
    _install_split([wheel], tmp_path / "split", workers=3)
    assert _tree(tmp_path / "split") == _tree(tmp_path / "one")


@pytest.mark.parametrize("workers", [1, 3])
def test_each_wheel_is_read_through_zipfile_once_for_the_check_and_every_part(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    # torch's central directory (12,248 members) took 0.2 s of CPU a parse, once for the
    # check and once more per part: the parts now take the listing the check read
    spec = WheelSpec("demo", "1.0", {f"demo/m{i}.py": f"X = {i}\n" for i in range(40)},
                     extra_dist_info={"entry_points.txt": "[console_scripts]\ndemo = demo:main\n"})
    spec.files["demo-1.0.data/scripts/tool"] = "#!python\nprint('tool')\n"
    wheel = write_wheel(spec, tmp_path / "w")
    Installer(_scheme(tmp_path / "one")).install(wheel)

    def parsed_again(self: object) -> None:
        raise AssertionError("the wheel's central directory was read again")

    monkeypatch.setattr("jobpack.runner.install._WheelInstall.archive", parsed_again)
    record = WheelRecord(wheel.name, f"wheels/{wheel.name}", "0" * 64)
    sizes = {record.file: 8 * PIECE_BYTES}  # split in `workers` parts
    size = wheel.stat().st_size  # read in place, as from a layer
    install_wheels([record], _scheme(tmp_path / "split"),
                   lambda _: Slice(str(wheel), 0, size), sizes, workers)  # type: ignore[arg-type,return-value]
    assert _tree(tmp_path / "split") == _tree(tmp_path / "one")


def test_a_path_two_wheels_write_is_refused_when_workers_installed_each_part(
        tmp_path: Path) -> None:
    one = write_wheel(WheelSpec("one", "1.0", {"ns/one.py": "a = 1\n", "one/x.py": ""}),
                      tmp_path / "w")
    clash = write_wheel(WheelSpec("three", "1.0", {"ns/one.py": "other = 1\n"}),
                        tmp_path / "w")
    with pytest.raises(RunnerError, match=r"one-1.0.* installs .*ns/one.py too"):
        _install_split([one, clash], tmp_path / "env")


def test_two_members_of_one_split_wheel_writing_one_path_is_refused(tmp_path: Path) -> None:
    text = "".join(f"{i:x}" for i in range(60_000))  # two members of about the same work
    wheel = write_wheel(WheelSpec("demo", "1.0", {
        "demo/x.py": text, "demo-1.0.data/purelib/demo/x.py": text + "#"}), tmp_path / "w")
    with pytest.raises(RunnerError, match=r"demo-1.0.*two of its members write .*demo/x.py"):
        _install_split([wheel], tmp_path / "env")


def test_members_of_one_name_share_a_part_and_each_part_keeps_the_wheel_order(
        tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        for name in ["a", "b", "c", "a", "d", "b"]:
            archive.writestr(name, name * 100)
    infos = zipfile.ZipFile(path).infolist()
    dealt = deal(infos, 3)
    assert sorted(i.header_offset for part in dealt for i in part) == \
        [i.header_offset for i in infos]
    for part in dealt:
        assert [i.header_offset for i in part] == sorted(i.header_offset for i in part)
        names = {i.filename for i in part}
        assert all(sum(1 for i in other if i.filename in names) == 0
                   for other in dealt if other is not part)
    assert max(len(p) for p in dealt) <= 2 and FILE_COST > 0


def _deflated_wheel(folder: Path, data: bytes) -> Path:
    spec = WheelSpec("big", "1.0", {"big/__init__.py": ""})
    wheel = write_wheel(spec, folder)
    with zipfile.ZipFile(wheel, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big/blob.bin", data)
    return wheel


def test_a_big_deflated_member_is_inflated_in_steps_and_recorded(tmp_path: Path) -> None:
    data = os.urandom(1 << 19) * 6  # 3 MiB, over the 1 MiB step, deflated
    Installer(_scheme(tmp_path / "env")).install(_deflated_wheel(tmp_path / "w", data))
    assert (tmp_path / "env" / "site" / "big" / "blob.bin").read_bytes() == data
    record = (tmp_path / "env" / "site" / "big-1.0.dist-info" / "RECORD").read_text()
    assert "big/blob.bin,sha256=" in record and f",{len(data)}\n" in record


@pytest.mark.parametrize("size", [1000, 3 << 20])
def test_a_member_whose_bytes_differ_from_its_crc_is_refused(tmp_path: Path, size: int
                                                            ) -> None:
    wheel = write_wheel(WheelSpec("demo", "1.0", {"demo/x.py": "x" * size}), tmp_path / "w")
    raw = bytearray(wheel.read_bytes())
    at = raw.index(b"x" * 100)
    raw[at] = ord("y")  # stored: the member's own bytes, changed
    wheel.write_bytes(bytes(raw))
    with pytest.raises(RunnerError, match=r"'demo/x.py' is damaged: .*CRC"):
        Installer(_scheme(tmp_path / "env")).install(wheel)


def test_a_local_header_naming_another_file_is_refused(tmp_path: Path) -> None:
    wheel = write_wheel(WheelSpec("demo", "1.0", {"demo/x.py": "x = 1\n"}), tmp_path / "w")
    raw = wheel.read_bytes()
    at = raw.index(b"demo/x.py")  # the first is the local header's copy of the name
    wheel.write_bytes(raw[:at] + b"demo/y.py" + raw[at + 9:])
    with pytest.raises(RunnerError, match=r"'demo/x.py' is damaged: its local header"):
        Installer(_scheme(tmp_path / "env")).install(wheel)
    assert not (tmp_path / "env" / "site" / "demo" / "y.py").exists()
