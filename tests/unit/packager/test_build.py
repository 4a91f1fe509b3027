"""The archive: byte reproducibility, what never ships, bundled wheels, verification."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack.errors import BuildError, MissingWheelsError
from jobpack.packager.archive import Member
from jobpack.packager.limits import check_readable
from jobpack.packager.wheels import WheelFetcher
from jobpack.report import build_summary
from jobpack.runner.verify import verify
from tests.conftest import FIXTURES, UserEnv
from tests.support.bytecode import layer_names

JOBPACK = [sys.executable, "-m", "jobpack"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_with(source: Path, target: Path, mtime: int, umask: int) -> None:
    old = os.umask(umask)
    try:
        shutil.copytree(source, target, copy_function=shutil.copy)
    finally:
        os.umask(old)
    for path in [target, *target.rglob("*")]:
        os.utime(path, (mtime, mtime))


def test_same_inputs_give_the_same_bytes_whatever_the_machine_state(tmp_path: Path) -> None:
    digests = []
    for index, (tz, umask, mtime) in enumerate(
        [("UTC", 0o022, 1_000_000_000), ("Asia/Tokyo", 0o077, 1_700_000_000)]
    ):
        job = tmp_path / f"copy{index}" / ("deep/" * index) / "example"
        _copy_with(FIXTURES / "example", job, mtime, umask)
        out = tmp_path / f"out{index}.zip"
        env = {**os.environ, "TZ": tz, "LC_ALL": "C" if index else "C.UTF-8"}
        env.pop("SOURCE_DATE_EPOCH", None)
        subprocess.run(
            ["sh", "-c", f'umask {umask:03o} && cd "$1" && shift && exec "$@"', "sh",
             str(tmp_path), *JOBPACK, "build", "--config", str(job / "config.yaml"),
             "-o", str(out)],
            check=True, env=env, capture_output=True,
        )
        digests.append(sha256(out))
    assert digests[0] == digests[1]


def test_members_are_sorted_with_fixed_times_and_modes(tmp_path: Path) -> None:
    job = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", job)
    (job / "main.py").chmod(0o755)
    analysis = jobpack.analyze(config=job / "config.yaml")
    result = jobpack.build(analysis, tmp_path / "a.zip")
    with zipfile.ZipFile(result.path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: i.external_attr >> 16 for i in infos}
        assert modes["src/main.py"] == 0o100755
        assert modes["src/lib/stats.py"] == 0o100644
        assert all(not i.extra and i.compress_type == zipfile.ZIP_STORED for i in infos)
        manifest = json.loads(archive.read("jobpack.json"))
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(names) - {"jobpack.json"}
    assert {"__main__.py", "requirements.txt", "src/data.csv"} <= listed


def test_source_date_epoch_sets_the_timestamps(tmp_path: Path) -> None:
    analysis = jobpack.analyze(config=FIXTURES / "example" / "config.yaml")
    result = jobpack.build(analysis, tmp_path / "a.zip", source_date_epoch=1700000000)
    with zipfile.ZipFile(result.path) as archive:
        assert archive.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_the_command_line_reads_source_date_epoch(tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    subprocess.run([*JOBPACK, "build", "--config", str(FIXTURES / "example" / "config.yaml"),
                    "-o", str(out)], check=True, env=env, capture_output=True)
    with zipfile.ZipFile(out) as archive:
        assert archive.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)
    env["SOURCE_DATE_EPOCH"] = "yesterday"
    bad = subprocess.run([*JOBPACK, "build", "--config",
                          str(FIXTURES / "example" / "config.yaml"), "-o", str(out)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "SOURCE_DATE_EPOCH" in bad.stderr and "Traceback" not in bad.stderr


def test_secrets_vcs_caches_and_venvs_never_ship(tmp_path: Path) -> None:
    job = tmp_path / "secrets"
    shutil.copytree(FIXTURES / "jobs" / "secrets", job)
    (job / "data" / ".git").mkdir()
    (job / "data" / ".git" / "config").write_text("[core]\n")
    (job / "data" / "__pycache__").mkdir()
    (job / "data" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (job / "data" / "venv").mkdir()
    (job / "data" / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    analysis = jobpack.analyze(config=job / "config.yaml")
    result = jobpack.build(analysis, tmp_path / "s.zip")
    with zipfile.ZipFile(result.path) as archive:
        data = {n for n in archive.namelist() if n.startswith("src/data/")}
    assert data == {"src/data/table.csv", "src/data/sub/keep.txt"}
    [warning] = [d for d in result.diagnostics if d.code == "left-out"]
    for name in (".env", "id_rsa", "server.pem", ".netrc", ".git", "__pycache__", "venv"):
        assert f"data/{name}" in warning.message


def test_wheels_are_bundled_for_the_target_from_a_local_folder(
    tmp_path: Path, user_env: UserEnv
) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                               python=str(user_env.python))
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    result = jobpack.build(analysis, tmp_path / "w.zip", wheels=fetcher)
    with zipfile.ZipFile(result.path) as archive:
        manifest = json.loads(archive.read("jobpack.json"))
        assert not [n for n in archive.namelist() if n.startswith("wheels/")]
    wheels = [n for n in layer_names(result.path) if n.startswith("wheels/")]
    assert wheels == [
        "wheels/colorx-1.0.3-py3-none-any.whl", "wheels/greet-1.2-py3-none-any.whl", "wheels/py_yamlish-6.0.1-py3-none-any.whl",
    ]
    digests = {w["file"]: w["sha256"] for w in manifest["wheels"]}
    assert digests["wheels/greet-1.2-py3-none-any.whl"] == sha256(
        user_env.wheelhouse / "greet-1.2-py3-none-any.whl")
    # main.py imports greet and yamlish (py-yamlish), greet imports colorx: their modules
    # ship compiled
    tag = sys.implementation.cache_tag
    bytecode = {w["name"]: w.get("bytecode") for w in manifest["wheels"]}
    assert bytecode == {
        "colorx": f"bytecode/{tag}/colorx-1.0.3-py3-none-any.whl.zip",
        "greet": f"bytecode/{tag}/greet-1.2-py3-none-any.whl.zip",
        "py-yamlish": f"bytecode/{tag}/py_yamlish-6.0.1-py3-none-any.whl.zip"}
    # The second build finds every wheel in the cache: no folder to download from needed.
    cached = WheelFetcher(cache=tmp_path / "cache", no_index=True)
    again = jobpack.build(analysis, tmp_path / "w2.zip", wheels=cached)
    assert again.sha256 == result.sha256
    assert result.bytecode_files == 3 and result.bytecode_size > 0
    assert "the bytecode of 3 library modules the job imports" in build_summary(analysis, result)
    plain = jobpack.build(analysis, tmp_path / "w3.zip", wheels=cached, bytecode=False)
    assert not [n for n in layer_names(plain.path) if n.startswith("bytecode/")]
    assert plain.bytecode_files == 0 and "bytecode" not in build_summary(analysis, plain)


def test_distributions_without_a_target_wheel_are_reported_together(
    tmp_path: Path, user_env: UserEnv
) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "deps",
                               python=str(user_env.python))
    empty = tmp_path / "empty"
    empty.mkdir()
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(empty),), no_index=True)
    with pytest.raises(MissingWheelsError) as caught:
        jobpack.build(analysis, tmp_path / "x.zip", wheels=fetcher)
    message = str(caught.value)
    for name in ("greet==1.2", "vcsdist", "colorx==1.0.3", "--allow-sdist"):
        assert name in message
    assert not (tmp_path / "x.zip").exists()


def test_a_local_build_names_the_index_that_serves_it_not_allow_sdist(
    tmp_path: Path, user_env: UserEnv
) -> None:
    from dataclasses import replace

    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                               python=str(user_env.python))
    torch = jobpack.Requirement(name="torch", version="2.3.0+cu121", direct=True)
    local = replace(analysis, manifest=replace(
        analysis.manifest, requirements=(*analysis.manifest.requirements, torch)))
    fetcher = WheelFetcher(cache=tmp_path / "cache", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    with pytest.raises(MissingWheelsError) as caught:
        jobpack.build(local, tmp_path / "x.zip", wheels=fetcher)
    message = str(caught.value)
    assert "torch==2.3.0+cu121: a local build PyPI does not serve" in message
    assert "https://download.pytorch.org/whl/cu121" in message
    assert "--provided" in message and "--allow-sdist" not in message


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                data = change.pop(info.filename)
                if data is not None:
                    new.writestr(info, data)
            else:
                new.writestr(info, old.read(info))
        for name, data in change.items():
            assert data is not None
            new.writestr(name, data)


def test_verify_names_changed_added_and_removed_members(tmp_path: Path) -> None:
    analysis = jobpack.analyze(config=FIXTURES / "example" / "config.yaml")
    built = jobpack.build(analysis, tmp_path / "ok.zip").path
    assert verify(built) == []
    original = zipfile.ZipFile(built).read("src/lib/stats.py")
    changed = original.replace(b"csv", b"CSV", 1)
    cases: dict[str, tuple[dict[str, bytes | None], str]] = {
        "changed.zip": ({"src/lib/stats.py": changed}, "src/lib/stats.py: content differs"),
        "added.zip": ({"src/evil.py": b"x"}, "src/evil.py: unexpected member"),
        "removed.zip": ({"src/main.py": None}, "src/main.py: missing"),
    }
    for name, (change, expected) in cases.items():
        _rewrite(built, tmp_path / name, dict(change))
        problems = verify(tmp_path / name)
        assert any(expected in p for p in problems), problems
        cli = subprocess.run([*JOBPACK, "verify", str(tmp_path / name)], capture_output=True,
                             text=True)
        assert cli.returncode == 1 and expected in cli.stderr


def test_big_members_are_named_in_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    import jobpack.packager.api as packager

    monkeypatch.setattr(packager, "BIG_FILE", 10)
    analysis = jobpack.analyze(config=FIXTURES / "example" / "config.yaml")
    result = jobpack.build(analysis, tmp_path / "big.zip")
    big = {d.path for d in result.diagnostics if d.code == "big-file"}
    assert {"src/main.py", "src/lib/stats.py", "src/data.csv"} <= big


def test_no_bytecode_is_compiled_when_the_analysed_python_is_not_the_target(
    user_env: UserEnv,
) -> None:
    from jobpack.library import bytecode_compiler

    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = "3.12" if here != "3.12" else "3.11"
    same = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                           python=str(user_env.python))
    elsewhere = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "hello",
                                python=str(user_env.python), target_python=other)
    compiler = bytecode_compiler(same)
    assert compiler is not None and {"greet", "colorx", "yamlish"} <= compiler.modules
    assert bytecode_compiler(elsewhere) is None


def test_a_file_edited_after_the_analysis_is_one_error_and_no_archive(tmp_path: Path) -> None:
    """The packager copies the job's files against the manifest's digests: an edit between
    analyze and build cannot put a second digest of main.py into the archive."""
    job = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", job)
    analysis = jobpack.analyze(config=job / "config.yaml", no_cache=True)
    stats = job / "lib" / "stats.py"
    stats.write_text(stats.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(BuildError, match="changed since it was analysed") as caught:
        jobpack.build(analysis, tmp_path / "a.zip")
    assert caught.value.path == str(stats)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example"]  # no archive, no .part


def test_a_code_change_reuses_the_cached_layers_and_gives_a_clean_builds_bytes(
    tmp_path: Path, user_env: UserEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = tmp_path / "hello"
    shutil.copytree(FIXTURES / "jobs" / "hello", job)
    fetcher = WheelFetcher(cache=tmp_path / "wheels", find_links=(str(user_env.wheelhouse),),
                           no_index=True)
    cache = tmp_path / "cache"

    def build(out: Path, kept: Path | None) -> jobpack.BuildResult:
        analysis = jobpack.analyze(["main.py"], root=job, python=str(user_env.python))
        return jobpack.build(analysis, out, wheels=fetcher, layer_cache=kept)

    first = build(tmp_path / "a.zip", cache)
    assert len(first.layers) == 1 and not first.reused_layers
    layer = first.layers[0]
    [kept] = cache.glob("key-*.zip")
    assert kept.stat().st_size == layer.size
    with (job / "main.py").open("a") as source:
        source.write("print('one more line')\n")

    def unexpected(*_: object) -> None:
        raise AssertionError("the same wheels were checked again")

    monkeypatch.setattr("jobpack.packager.api.check_wheel_set", unexpected)
    again = build(tmp_path / "a.zip", cache)  # over the previous archive: its tail only
    assert again.reused_layers and again.layers == first.layers
    monkeypatch.undo()
    clean = build(tmp_path / "clean.zip", None)
    assert not clean.reused_layers
    assert (tmp_path / "a.zip").read_bytes() == clean.path.read_bytes()
    assert again.sha256 == clean.sha256 != first.sha256
    data = clean.path.read_bytes()  # the printed digest is its zip's, after the layer
    assert again.sha256 == hashlib.sha256(data[layer.size:]).hexdigest()
    assert verify(again.path) == []


def test_a_zip_the_targets_zipimport_cannot_read_is_refused_before_writing() -> None:
    big = [Member("src/data.bin", "0" * 64, 3 << 30), Member("src/main.py", "1" * 64, 10)]
    with pytest.raises(BuildError, match=r"Python 3\.12's zipimport .* src/data\.bin"):
        check_readable("3.12", big)
    check_readable("3.13", big)  # reads ZIP64
    many = [Member(f"src/{n}.py", "0" * 64, 1) for n in range(70000)]
    with pytest.raises(BuildError, match="70000 members"):
        check_readable("3.8", many)
