"""The interpreter probe's answer, cached while what it depends on is unchanged (#23: the
rebuild of the torch job ran the probe every time), on a real venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from jobpack import cache_prune
from jobpack.analyzer.pins.environment import inspect_python


def _venv(folder: Path) -> tuple[str, Path]:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    return str(python), Path(site.stdout.strip())


def test_a_second_inspection_reuses_the_answer_until_a_pth_file_changes_sys_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python, site = _venv(tmp_path / "env")
    cache = tmp_path / "cache"
    first = inspect_python(python, cache)
    real = subprocess.run
    probes: list[object] = []

    def counted(*args: object, **kwargs: object) -> object:
        probes.append(args)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("jobpack.analyzer.pins.environment.subprocess.run", counted)
    assert inspect_python(python, cache) == first and probes == []
    extra = tmp_path / "extra"
    extra.mkdir()
    (site / "extra.pth").write_text(f"{extra}\n")  # a new folder on sys.path
    again = inspect_python(python, cache)
    assert len(probes) == 1 and extra in again.path and extra not in first.path
    assert inspect_python(python, cache) == again and len(probes) == 1
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")  # a variable the answer depends on
    inspect_python(python, cache)
    assert len(probes) == 2
    assert inspect_python(python, None) == inspect_python(python, cache)  # no cache: probed
    assert len(probes) == 3


def test_an_interpreter_found_on_path_is_probed_every_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = Path(sys.executable).name
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    inspect_python(name, tmp_path)
    assert not (tmp_path / "probes").exists()


def test_a_reused_answer_is_marked_used_and_a_new_one_prunes_its_folder(
        tmp_path: Path) -> None:
    python, _ = _venv(tmp_path / "env")
    cache = tmp_path / "cache"
    inspect_python(python, cache)
    [answer] = (cache / "probes").glob("v*/*.json")
    assert (answer.parent / cache_prune.STAMP).exists()  # the folder is kept bounded
    os.utime(answer, (1, 1))
    inspect_python(python, cache)
    assert answer.stat().st_mtime > 1  # reused: recent again, so a prune keeps it
