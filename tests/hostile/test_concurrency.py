"""Several jobpack processes at once on the same files: builds to one archive path,
analyses sharing one facts cache, runs sharing one environment cache while another prunes.
Each must succeed (or refuse in one line), and whatever they share must stay whole."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.hostile.harness import JOBPACK, snapshot

TIMEOUT = 180


def _start(words: list[str], cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    full.update(env or {})
    return subprocess.Popen(words, cwd=cwd, env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        assert "Traceback" not in out + err, out + err
        results.append((process.returncode, out + err))
    return results


def _job(folder: Path) -> Path:
    job = folder / "job"
    (job / "pkg").mkdir(parents=True)
    (job / "main.py").write_text("".join(f"import pkg.m{i}\n" for i in range(60)))
    (job / "pkg" / "__init__.py").write_text("")
    for i in range(60):
        (job / "pkg" / f"m{i}.py").write_text(f"import json, os\nVALUE = {i}\n")
    return job


def test_four_builds_to_one_archive_path_leave_one_whole_archive(tmp_path: Path) -> None:
    job = _job(tmp_path)
    before = snapshot(job)
    out = tmp_path / "out" / "a.zip"
    results = _finish([_start([JOBPACK, "build", "main.py", "-o", str(out)], job)
                       for _ in range(4)])
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert "src/pkg/m59.py" in archive.namelist()
    assert sorted(p.name for p in out.parent.iterdir()) == ["a.zip"]  # no .part left
    assert snapshot(job) == before


def test_four_analyses_sharing_a_cold_facts_cache_agree(tmp_path: Path) -> None:
    job = _job(tmp_path)
    cache = tmp_path / "facts"
    words = [JOBPACK, "analyze", "main.py", "--format", "json", "--cache-dir", str(cache)]
    results = _finish([_start(words, job) for _ in range(4)])
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    manifests = {output[output.index("{"):] for _, output in results}
    assert len(manifests) == 1
    assert not [p for p in cache.rglob("*") if p.name.endswith(".part")]
    warm = subprocess.run(words, cwd=job, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)
    assert warm.stdout == results[0][1][results[0][1].index("{"):]


def test_runs_and_prunes_at_once_never_break_a_running_job(
    runner_archive: Path, tmp_path: Path,
) -> None:
    cache = tmp_path / "envs"
    run = [sys.executable, str(runner_archive), "--offline", "--env-cache", str(cache)]
    prune = [*run, "--prune-cache", "--env-cache-max", "0"]
    processes = [_start(run, tmp_path), _start(prune, tmp_path), _start(run, tmp_path),
                 _start(prune, tmp_path), _start(run, tmp_path)]
    results = _finish(processes)
    for index in (0, 2, 4):
        code, output = results[index]
        assert code == 0 and "JOB OK 6" in output, output
    for index in (1, 3):
        assert results[index][0] == 0, results[index][1]
