"""Source-only pins: found from the indexes' listings, refused when their sdist compiles."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from jobpack.manifest import Requirement
from jobpack.packager.index import Sources, pip_configuration, without_target_wheel
from jobpack.packager.sdist import SourceVerdict, compiled_member
from jobpack.packager.wheels import _refusal
from jobpack.target import Target

TAGS = Target.parse("3.11").wheel_tags()


def pin(name: str, version: str) -> Requirement:
    return Requirement(name=name, version=version, direct=True)


def _index(root: Path, files: dict[str, list[str]]) -> str:
    """A PEP 503 index on disk, as pip reads a file:// index."""
    for project, names in files.items():
        page = root / project
        page.mkdir(parents=True)
        links = "".join(f'<a href="../../files/{n}#sha256=00">{n}</a>\n' for n in names)
        (page / "index.html").write_text(f"<html><body>{links}</body></html>")
    return root.as_uri()


def test_pins_without_a_target_wheel_are_found_from_the_listings(tmp_path: Path) -> None:
    index = _index(tmp_path / "simple", {
        "pyperclip": ["pyperclip-1.9.0.tar.gz", "pyperclip-1.10.0-py3-none-any.whl"],
        "numpy": ["numpy-2.1.0.tar.gz",
                  "numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"],
        "crcmod": ["crcmod-1.7.tar.gz", "crcmod-1.7.win32-py2.7.msi"],
        "macos-only": ["macos_only-1.0-cp311-cp311-macosx_11_0_arm64.whl"],
    })
    links = tmp_path / "links"
    links.mkdir()
    (links / "local_tool-0.1-py3-none-any.whl").write_bytes(b"")
    sources = Sources((index,), (str(links),))
    pins = [pin("pyperclip", "1.9.0"), pin("numpy", "2.1.0"), pin("crcmod", "1.7"),
            pin("macos-only", "1.0"), pin("local-tool", "0.1")]
    found = without_target_wheel(pins, sources, TAGS)
    assert [p.name for p in found] == ["pyperclip", "crcmod", "macos-only"]


def test_an_index_that_cannot_be_read_counts_as_having_the_wheel(tmp_path: Path) -> None:
    sources = Sources(("http://127.0.0.1:9/simple",))  # the discard port: refused
    assert without_target_wheel([pin("pyperclip", "1.9.0")], sources, TAGS) == []


def test_pips_own_configuration_is_read(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nextra-index-url = https://a.example/simple\n"
                    "  https://b.example/simple\n[install]\nfind-links = /wheels\n")
    found = pip_configuration({"PIP_CONFIG_FILE": str(conf),
                               "PIP_INDEX_URL": "https://mirror.example/simple"})
    assert found == {"extra-index-url": ["https://a.example/simple", "https://b.example/simple"],
                     "find-links": ["/wheels"], "index-url": ["https://mirror.example/simple"]}


def _sdist(path: Path, names: list[str]) -> Path:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            for name in names:
                archive.writestr(name, "")
        return path
    with tarfile.open(path, "w:gz") as archive:
        for name in names:
            archive.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    return path


@pytest.mark.parametrize(("names", "expected"), [
    (["p-1/setup.py", "p-1/p/__init__.py", "p-1/PKG-INFO"], None),
    (["p-1/setup.py", "p-1/python2/src/_ext.c"], "python2/src/_ext.c"),
    (["p-1/pyproject.toml", "p-1/src/lib.rs", "p-1/Cargo.toml"], "src/lib.rs"),
    (["p-1/CMakeLists.txt", "p-1/p/__init__.py"], "CMakeLists.txt"),
    (["p-1/p/_speed.pyx"], "p/_speed.pyx"),
])
@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_an_sdist_that_compiles_code_is_told_from_its_file_list(
        tmp_path: Path, names: list[str], expected: str | None, suffix: str) -> None:
    assert compiled_member(_sdist(tmp_path / f"p-1{suffix}", names)) == expected


def test_the_refusal_is_one_line_naming_each_pin_and_the_ways_out() -> None:
    line = _refusal([SourceVerdict(pin("crcmod", "1.7"), problem="its sdist compiles code "
                                   "(python2/src/_crcfunext.c)")], Target.parse("3.11"))
    assert "\n" not in line
    assert line.startswith("crcmod==1.7 has no wheel for cp311 manylinux x86_64 and its "
                           "sdist compiles code (python2/src/_crcfunext.c): ")
    assert "--exclude crcmod" in line and "--allow-sdist" in line
