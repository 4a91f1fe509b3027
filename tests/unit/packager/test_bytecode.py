"""Bytecode compiled at build time from a wheel's own sources, by a target interpreter."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import marshal
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jobpack.errors import BuildError
from jobpack.packager.bytecode import BytecodeCompiler
from jobpack.target import Target
from tests.support.pythons import python_or_skip
from tests.support.wheels import WheelSpec, write_wheel

TAG = sys.implementation.cache_tag
HERE = Target.of(tuple(sys.version_info[:3]))
# Enough source that marshal meets shared strings and frozen sets (its non-determinism).
BODY = "".join(f"def f{i}(x):\n    return x in {{'a{i}', 'b', 'c'}} and 'shared'\n"
               for i in range(200))


def _wheel(folder: Path) -> Path:
    return write_wheel(WheelSpec("demo", "1.0", {
        "demo/__init__.py": "from demo import core\n",
        "demo/core.py": BODY,
        "demo/lazy.py": "X = 1\n",
        "demo/broken.py": "def (:\n",
        "demo/data/notes.txt": "not code\n",
        "demo-1.0.data/purelib/extra.py": "Y = 2\n",
    }), folder)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_only_the_startup_modules_are_compiled_as_checked_pycs(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w")
    compiler = BytecodeCompiler(sys.executable, frozenset({"demo", "demo.core", "demo.broken",
                                                           "extra"}))
    (compiled,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    assert compiled.wheel == wheel.name
    assert compiled.member == f"bytecode/{TAG}/{wheel.name}.zip"
    members = _members(compiled.data)
    # lazy is not a start-up module; broken does not compile; .data is not the wheel root
    assert sorted(members) == [f"demo/__pycache__/__init__.{TAG}.pyc",
                               f"demo/__pycache__/core.{TAG}.pyc"]
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("demo/core.py")
    pyc = members[f"demo/__pycache__/core.{TAG}.pyc"]
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 3  # hash-based, checked on import
    assert pyc[8:16] == importlib.util.source_hash(source)
    code = marshal.loads(pyc[16:])
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the wheel's code, as compiled
    assert namespace["f7"]("a7") == "shared"


def test_the_same_wheel_compiles_to_the_same_bytes_however_the_work_is_split(
    tmp_path: Path,
) -> None:
    wheel = _wheel(tmp_path / "w")
    modules = frozenset({"demo", "demo.core"})
    wheels = {wheel: _digest(wheel)}
    runs = [BytecodeCompiler(sys.executable, modules, workers=n).compile(wheels, HERE)
            for n in (1, 2, 1)]
    assert runs[0][0].data == runs[1][0].data == runs[2][0].data


def test_a_wheel_without_startup_modules_gets_no_bytecode(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w")
    compiler = BytecodeCompiler(sys.executable, frozenset({"other"}))
    assert compiler.compile({wheel: _digest(wheel)}, HERE) == []


def test_an_interpreter_that_is_not_the_target_python_is_a_build_error(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w")
    compiler = BytecodeCompiler(sys.executable, frozenset({"demo"}))
    with pytest.raises(BuildError, match=rf"is Python {HERE.python}, not the target's 3\.99"):
        compiler.compile({wheel: _digest(wheel)}, Target(3, 99))


def test_an_interpreter_that_cannot_run_is_a_build_error(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w")
    missing = str(tmp_path / "no-python")
    with pytest.raises(BuildError, match=r"cannot run .*no-python to compile bytecode"):
        BytecodeCompiler(missing, frozenset({"demo"})).compile({wheel: _digest(wheel)}, HERE)


def test_a_cache_serves_later_builds_and_is_keyed_by_the_modules(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w")
    cache = tmp_path / "cache"
    compiler = BytecodeCompiler(sys.executable, frozenset({"demo", "demo.core"}), cache=cache)
    (first,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    (entry,) = cache.glob(f"*.{TAG}.zip")
    assert entry.read_bytes() == first.data
    marked = _stored({f"demo/__pycache__/core.{TAG}.pyc": b"from the cache"})
    entry.write_bytes(marked)
    (again,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    assert (again.data, again.files, again.member) == (marked, 1, first.member)
    other = BytecodeCompiler(sys.executable, frozenset({"demo"}), cache=cache)
    (fewer,) = other.compile({wheel: _digest(wheel)}, HERE)
    assert fewer.files == 1 and fewer.data != marked  # other modules: compiled afresh
    entry.write_bytes(b"not a zip")
    (repaired,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    assert repaired.data == first.data and entry.read_bytes() == first.data


def _stored(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _digest(wheel: Path) -> str:
    return hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_a_rebuild_opens_no_wheel_to_list_its_sources(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _wheel(tmp_path / "w")
    cache = tmp_path / "cache"
    compiler = BytecodeCompiler(sys.executable, frozenset({"demo", "demo.core"}), cache=cache)
    (first,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    (listing,) = cache.glob("*.py-members")

    def not_opened(*args: object, **kwargs: object) -> None:
        raise AssertionError("the wheel's zip directory was read again")

    with monkeypatch.context() as patched:
        patched.setattr("jobpack.packager.bytecode.zipfile.ZipFile.namelist", not_opened)
        assert compiler.sources_in(wheel, _digest(wheel)) == ["demo/__init__.py",
                                                              "demo/core.py"]
    listing.write_bytes(b"\xff\xfe torn")  # unreadable: listed again and rewritten
    (again,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    assert again == first
    assert "demo/core.py" in listing.read_text(encoding="utf-8").splitlines()


def test_a_rebuild_finds_cached_bytecode_by_its_index_without_reading_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the torch job's rebuild read 18 MB of cached bytecode and hashed it, only to find
    # the dependency layers it names already cached
    wheel = _wheel(tmp_path / "w")
    cache = tmp_path / "cache"
    compiler = BytecodeCompiler(sys.executable, frozenset({"demo", "demo.core"}), cache=cache)
    (first,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    (entry,) = cache.glob(f"*.{TAG}.zip")
    real = Path.read_bytes

    def guarded(self: Path) -> bytes:
        if self == entry:
            raise AssertionError("the cached bytecode zip was read")
        return real(self)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", guarded)
        (again,) = compiler.compile({wheel: _digest(wheel)}, HERE)
        member = again.as_member()
    assert again == first and member.source == entry and member.data is None
    assert (member.sha256, member.size) == (hashlib.sha256(entry.read_bytes()).hexdigest(),
                                            entry.stat().st_size)
    (index,) = cache.glob("*.json")
    index.unlink()  # an entry an older jobpack wrote: read once, then indexed
    (older,) = compiler.compile({wheel: _digest(wheel)}, HERE)
    assert older == first and index.is_file()


@pytest.mark.parametrize("version", ["3.8", "3.9", "3.10"])
def test_a_target_before_3_11_compiles_the_same_bytes_every_time(tmp_path: Path,
                                                                  version: str) -> None:
    """Before 3.11, marshal writes a frozen set (`x in {'a', 'b'}`) in its elements' hash
    order: the compiling process needs a fixed hash seed. It had none (`-I` ignores
    PYTHONHASHSEED), and every build for such a target differed."""
    python = python_or_skip(version)
    wheel = _wheel(tmp_path / "w")
    modules = frozenset({"demo", "demo.core"})
    runs = [BytecodeCompiler(str(python), modules, workers=n).compile(
        {wheel: _digest(wheel)}, Target.parse(version)) for n in (1, 2, 1)]
    assert runs[0][0].files == 2
    assert runs[0][0].data == runs[1][0].data == runs[2][0].data


def test_a_relative_interpreter_path_compiles(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiler runs in a folder of its own: an interpreter named relative to the
    user's folder (`--python .venv/bin/python`) is still found."""
    wheel = _wheel(tmp_path / "w")
    monkeypatch.chdir(Path(sys.executable).parent)
    [compiled] = BytecodeCompiler(f".{os.sep}{Path(sys.executable).name}",
                                  frozenset({"demo"})).compile({wheel: _digest(wheel)}, HERE)
    assert compiled.files == 1
