"""The archive layout is defined once and both sides read what the other wrote."""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack import layout
from jobpack.layout import FileRecord, SizeExceeded, WheelRecord, hash_stream
from jobpack.packager.api import runner_members
from jobpack.runner.verify import read_spec
from tests.conftest import FIXTURES


def test_records_round_trip_and_refuse_wrong_types() -> None:
    record = FileRecord("src/a.py", "0" * 64, 3)
    assert FileRecord.from_dict(record.to_dict()) == record
    wheel = WheelRecord("attrs", "wheels/attrs-23.1.0-py3-none-any.whl", "1" * 64)
    assert WheelRecord.from_dict(wheel.to_dict()) == wheel
    assert wheel.filename == "attrs-23.1.0-py3-none-any.whl"
    with pytest.raises(ValueError, match="size"):
        FileRecord.from_dict({"path": "a", "sha256": "0", "size": True})
    with pytest.raises(ValueError, match="object"):
        WheelRecord.from_dict(["attrs"])


def test_hash_stream_copies_while_hashing_and_stops_at_the_limit() -> None:
    sink = io.BytesIO()
    digest, size = hash_stream(io.BytesIO(b"abc"), sink)
    assert (digest[:8], size, sink.getvalue()) == ("ba7816bf", 3, b"abc")
    with pytest.raises(SizeExceeded):
        hash_stream(io.BytesIO(b"abcd"), limit=3)


def test_the_variable_pattern_is_the_config_readers() -> None:
    from jobpack import config

    assert vars(config)["VARIABLE"] is layout.VARIABLE
    assert layout.VARIABLE.findall("a ${X} ${_y1} $Z ${1bad}") == ["X", "_y1"]


def test_a_built_archive_is_read_back_with_the_shared_records(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "a.zip").path
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
        names = set(opened.namelist())
    records = {record.path for record in spec.files}
    assert records == names - {layout.MANIFEST_NAME}
    assert set(runner_members()) <= names
    assert f"{layout.RUNNER_PREFIX}layout/__init__.py" in names
    assert any(name.startswith(layout.SOURCE_PREFIX) for name in records)


def test_the_run_spec_reads_what_the_manifest_and_packager_wrote(tmp_path: Path) -> None:
    analysis = jobpack.analyze(config=FIXTURES / "example" / "config.yaml")
    archive = jobpack.build(analysis, tmp_path / "a.zip").path
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    manifest = analysis.manifest
    assert (spec.python, spec.cmd, spec.plain) == (manifest.target.full_version, manifest.cmd,
                                                   False)
    assert [(d.path, d.var) for d in spec.inputs] == [(d.path, d.var) for d in manifest.inputs]
    assert [(d.path, d.var) for d in spec.outputs] == [(d.path, d.var)
                                                      for d in manifest.outputs]
    assert spec.runtime_vars == manifest.runtime_vars
    assert [p.line for p in spec.pins] == [r.pip_line() for r in manifest.requirements]


def _spelled_keys(source: str) -> list[str]:
    """The manifest keys a module subscripts, .get()s or writes as a dict literal's key."""
    keys = {"files", "wheels", "layers", "install", "target", "inputs", "outputs", "cmd",
            "runtime_vars", "env", "pip", "python", "schema", "requirements", "args",
            "optional", "sys_path", "top_level", "requires", "distributions", "root"}
    found = []
    for node in ast.walk(ast.parse(source)):
        spelled: list[object] = []
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            spelled = [node.slice.value]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant):
            spelled = [node.args[0].value]
        elif isinstance(node, ast.Dict):
            spelled = [k.value for k in node.keys if isinstance(k, ast.Constant)]
        found += [str(key) for key in spelled if key in keys]
    return found


def test_no_manifest_key_is_spelled_outside_the_manifest_and_the_layout() -> None:
    """Keys of jobpack.json (and of the optional spec the runner writes for its import
    hook) are spelled in manifest.py and jobpack/layout/ alone: the runner, its import
    hook, the packager's writer, the destinations, the reports, the CLI, the library, the
    formats and `jobpack trace` read and write typed records. (config.py, notebook.py and
    the pip and PyPI readers spell keys of other formats that share these names.)"""
    package = Path(jobpack.__file__).parent
    modules = [*sorted((package / "runner").glob("*.py")), package / "packager" / "api.py",
               *sorted((package / "destinations").glob("*.py")),
               *sorted((package / "cli").glob("*.py")), *sorted((package / "formats").glob("*.py")),
               package / "report.py", package / "library.py", package / "graph_html.py",
               package / "analyzer" / "trace.py"]
    found = [f"{m.name}: {key}" for m in modules for key in _spelled_keys(m.read_text())]
    assert found == []


def test_the_key_finder_sees_each_way_of_spelling_a_key() -> None:
    source = 'a["files"]; b.get("wheels"); c = {"install": 1}; d["size"]; e.get("x")'
    assert _spelled_keys(source) == ["files", "wheels", "install"]


def test_the_runner_travels_with_every_module_of_jobpack_it_imports() -> None:
    """What the runner and the layout package import of jobpack (absolute or relative,
    at any depth) is among the members the packager gives the runner: an archive whose
    runner misses a module fails only on the VM."""
    members = runner_members()
    shipped = {name[len(layout.RUNNER_PREFIX):]: data for name, data in members.items()
               if name.startswith(layout.RUNNER_PREFIX)}
    missing = []
    for name, source in sorted(shipped.items()):
        here = ["jobpack", *name.split("/")[:-1]]
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = here[:len(here) - node.level + 1] if node.level else []
            dotted = [*base, *(node.module or "").split(".")] if node.module else base
            if dotted[0] != "jobpack":
                continue
            targets = [dotted] if node.module else [[*dotted, a.name] for a in node.names]
            for target in targets:
                rel = "/".join(target[1:])
                if f"{rel}.py" not in shipped and f"{rel}/__init__.py" not in shipped:
                    missing.append(f"{name}: {'.'.join(target)}")
    assert missing == []
