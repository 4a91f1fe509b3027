"""The optional tier on real wheels (issue #20): a job whose optional dependency (PyYAML,
a compiled extension) is imported only in a branch. Its archive runs with no network
(`unshare -n`) on a bare Python: the optional wheel is installed only when the job first
imports `yaml`, once, with one stderr line, also when six processes (spawned workers, as
DataLoader's, and separate interpreters, as torchrun's ranks) import it at the same
moment; a `find_spec`/`importlib.metadata` probe counts as an import; an index-only
optional distribution on an offline VM fails the import alone (the job's `except
ImportError` fallback runs). `--optional` index/drop/bundle decide what ships."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import parse_wheel_filename

from jobpack.layout import zip_start
from jobpack.manifest import LocalFile, Manifest, Requirement, SourceMap
from jobpack.packager.api import build
from jobpack.packager.tiers import OptionalPolicy
from jobpack.packager.wheels import WheelFetcher
from jobpack.runner.verify import read_spec
from jobpack.target import Target
from tests.support.bytecode import layer_names
from tests.support.downloads import target_wheels
from tests.support.pythons import python_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs unshare -n as root to cut the network")]

VERSIONS = ("3.8", "3.11")
JOB = '''\
import multiprocessing, subprocess, sys
import six


def dump():
    import yaml
    return yaml.safe_dump({"answer": 42}).strip()


BARRIER = None


def start(barrier):
    global BARRIER
    BARRIER = barrier


def work(_):
    BARRIER.wait()  # every worker imports at the same moment
    import yaml
    return yaml.__version__


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "plain":
        print("PLAIN", six.PY3)
    elif mode == "yaml":
        print("YAML", dump())
    elif mode == "fallback":
        try:
            import yaml
            print("HAVE", yaml.__version__)
        except ImportError:
            print("FALLBACK")
    elif mode == "probe":
        import importlib.metadata, importlib.util
        print("SPEC", importlib.util.find_spec("yaml") is not None)
        print("VERSION", importlib.metadata.version("PyYAML"))
    elif mode == "parallel":
        ranks = [subprocess.Popen([sys.executable, "-c", "import yaml; print('RANK', yaml.__version__)"])
                 for _ in range(2)]
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(4)
        with context.Pool(4, initializer=start, initargs=(barrier,)) as pool:
            print("WORKERS", sorted(set(pool.map(work, range(4)))))
        print("RANKS", [rank.wait() for rank in ranks])
'''


def _python(version: str) -> Path:
    """The VM's bare python3 for 3.11 (Debian's, as the conformance suite uses), pyenv's
    for the oldest Python the runner supports."""
    bare = Path("/usr/bin/python3")
    if version == "3.11" and bare.exists():
        return bare
    return python_or_skip(version)


def _archive(version: str, folder: Path, optional: OptionalPolicy | None = None,
             bundle_required: bool = True) -> Path:
    wheels = target_wheels("optional-tier", ["pyyaml==6.0.2", "six==1.17.0"], version)
    pins = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, parsed, _, _ = parse_wheel_filename(wheel.name)
        optional_yaml = name == "pyyaml"
        pins.append(Requirement(
            name=str(name), version=str(parsed), direct=not optional_yaml,
            tier="optional" if optional_yaml else "required",
            top_level=("_yaml", "yaml") if optional_yaml else ("six",)))
    job = folder / "job"
    job.mkdir(parents=True)
    (job / "main.py").write_text(JOB)
    data = JOB.encode()
    manifest = Manifest(target=Target.parse(version), entry_points=("main.py",),
                        cmd="python main.py", requirements=tuple(pins),
                        local_files=(LocalFile("main.py", hashlib.sha256(data).hexdigest(),
                                               len(data)),))
    fetcher = WheelFetcher(cache=wheels, find_links=(str(wheels),), no_index=True)
    return build(manifest, SourceMap.beside(manifest, job), folder / "job.jobpack.zip",
                 wheels=fetcher if bundle_required else None, optional=optional,
                 optional_wheels=fetcher).path


def _run(python: Path, archive: Path, home: Path, mode: str, *, offline: bool = True,
         options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PIP_CONFIG_FILE": os.devnull}
    command = [str(python), str(archive), "--env-cache", str(home / "envs"), *options,
               "--", mode]
    if offline:
        command = ["unshare", "-n", *command]
    return subprocess.run(command, cwd=home, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _installed_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "optional distribution" in line]


def _manifest(archive: Path) -> Any:
    with zipfile.ZipFile(archive) as opened:
        return json.loads(opened.read("jobpack.json"))


@pytest.mark.parametrize("version", VERSIONS)
def test_an_optional_wheel_is_installed_offline_on_first_import_only(
        version: str, tmp_path: Path) -> None:
    python = _python(version)
    archive = _archive(version, tmp_path)
    manifest = _manifest(archive)
    assert [w["name"] for w in manifest["wheels"]] == ["six"]
    [record] = manifest["optional"]
    assert record["top_level"] == ["_yaml", "yaml"] and record["wheel"].startswith("wheels/")
    assert record["wheel"] in layer_names(archive)  # in a dependency layer, beside six's

    plain = _run(python, archive, tmp_path, "plain")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "PLAIN True\n" and not _installed_lines(plain.stderr)
    [env] = [p for p in (tmp_path / "envs").iterdir() if p.is_dir()]
    assert not (env / "jobpack-optional").exists()  # nothing optional installed up front

    first = _run(python, archive, tmp_path, "yaml")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "YAML answer: 42\n"
    assert _installed_lines(first.stderr) == [
        "jobpack: installed the optional distribution pyyaml 6.0.2 from its bundled wheel "
        "(the job imported yaml)"]
    again = _run(python, archive, tmp_path, "yaml")
    assert again.stdout == "YAML answer: 42\n" and not _installed_lines(again.stderr)


@pytest.mark.parametrize("version", VERSIONS)
def test_processes_importing_at_once_install_it_once(version: str, tmp_path: Path) -> None:
    python = _python(version)
    archive = _archive(version, tmp_path)
    ran = _run(python, archive, tmp_path, "parallel")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert "WORKERS ['6.0.2']" in lines and "RANKS [0, 0]" in lines
    assert lines.count("RANK 6.0.2") == 2
    assert len(_installed_lines(ran.stderr)) == 1, ran.stderr


def test_a_find_spec_or_metadata_probe_installs_it(tmp_path: Path) -> None:
    archive = _archive("3.11", tmp_path)
    ran = _run(_python("3.11"), archive, tmp_path, "probe")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "SPEC True\nVERSION 6.0.2\n"
    assert len(_installed_lines(ran.stderr)) == 1


def test_left_to_the_index_offline_only_that_import_fails(tmp_path: Path) -> None:
    archive = _archive("3.11", tmp_path, optional="index")
    manifest = _manifest(archive)
    [record] = manifest["optional"]
    assert record["wheel"] is None and record["line"] == "pyyaml==6.0.2"
    assert not any(f["path"].startswith("wheels/PyYAML")
                   for f in manifest["files"])
    assert not [n for n in layer_names(archive) if n.startswith("wheels/PyYAML")]
    ran = _run(_python("3.11"), archive, tmp_path, "fallback")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "FALLBACK\n"
    [line] = [x for x in ran.stderr.splitlines() if "pyyaml" in x]
    assert line.startswith("jobpack: error: pip could not install the optional "
                           "distribution pyyaml")


def test_left_to_the_index_online_it_comes_from_the_index(tmp_path: Path) -> None:
    archive = _archive("3.11", tmp_path, optional="index")
    ran = _run(python_or_skip("3.11"), archive, tmp_path, "yaml", offline=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "YAML answer: 42\n"
    assert _installed_lines(ran.stderr) == [
        "jobpack: installed the optional distribution pyyaml 6.0.2 from the index "
        "(the job imported yaml)"]


def test_dropped_it_is_not_in_the_archive(tmp_path: Path) -> None:
    archive = _archive("3.11", tmp_path, optional="drop")
    manifest = _manifest(archive)
    assert "optional" not in manifest
    assert [r["name"] for r in manifest["requirements"]] == ["six"]
    ran = _run(_python("3.11"), archive, tmp_path, "fallback")
    assert ran.stdout == "FALLBACK\n" and "pyyaml" not in ran.stderr


def test_bundled_regardless_of_wheels(tmp_path: Path) -> None:
    archive = _archive("3.11", tmp_path, optional="bundle", bundle_required=False)
    manifest = _manifest(archive)
    assert manifest["wheels"] == []
    [record] = manifest["optional"]
    assert record["wheel"].startswith("wheels/PyYAML-6.0.2-")
    assert record["wheel"] in layer_names(archive)


def test_layers_sent_apart_serve_the_optional_install_too(tmp_path: Path) -> None:
    """As on Ray: the archive's zip alone, its dependency layers in a folder given with
    --layers. The import hook's install finds the optional wheel's layer there too."""
    archive = _archive("3.11", tmp_path)
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    data = archive.read_bytes()
    start = zip_start(archive)
    layers = tmp_path / "layers"
    layers.mkdir()
    offset = 0
    for layer in spec.layers:
        (layers / layer.file_name).write_bytes(data[offset:offset + layer.size])
        offset += layer.size
    assert offset == start and spec.layers
    alone = tmp_path / "alone" / "job.jobpack.zip"
    alone.parent.mkdir()
    alone.write_bytes(data[start:])
    ran = _run(_python("3.11"), alone, tmp_path, "yaml", options=("--layers", str(layers)))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "YAML answer: 42\n"
    assert len(_installed_lines(ran.stderr)) == 1
