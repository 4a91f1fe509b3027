"""The VM side, end to end: analyze -> build -> delete the tree -> run."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack.layout import EXIT_FAILURE
from jobpack.packager.api import runner_members
from jobpack.packager.wheels import WheelFetcher
from tests.conftest import FIXTURES, UserEnv
from tests.support.bytecode import shipped_bytecode_used_as_is
from tests.support.pythons import python_or_skip

pytestmark = pytest.mark.slow


def run_archive(archive: Path, *args: str, cwd: Path, cache: Path,
                python_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_CONFIG_FILE"] = os.devnull
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    return subprocess.run(
        [sys.executable, str(archive), "--env-cache", str(cache), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def hello_archive(tmp_path_factory: pytest.TempPathFactory, user_env: UserEnv) -> Path:
    job = tmp_path_factory.mktemp("job") / "hello"
    shutil.copytree(FIXTURES / "jobs" / "hello", job)
    analysis = jobpack.analyze(config=job / "config.yaml", python=str(user_env.python))
    fetcher = WheelFetcher(cache=tmp_path_factory.mktemp("wheels"),
                           find_links=(str(user_env.wheelhouse),), no_index=True)
    out = tmp_path_factory.mktemp("dist") / "hello.jobpack.zip"
    jobpack.build(analysis, out, wheels=fetcher)
    shutil.rmtree(job)  # the VM never sees the original tree
    return out


def test_a_job_with_real_dependencies_runs_from_its_archive_alone(
    hello_archive: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "envs"
    first = run_archive(hello_archive, "--offline", cwd=tmp_path, cache=cache)
    assert first.returncode == 0, first.stderr
    assert "done" in first.stdout
    [run] = (tmp_path / "jobpack-outputs").iterdir()
    assert (run / "out" / "result.txt").read_text() == "HELLO WORLD\n"
    assert f"outputs: {run}" in first.stderr  # the run's own folder is named at the end
    assert "installing 3 wheels" in first.stderr and "pip" not in first.stderr, first.stderr
    assert shipped_bytecode_used_as_is(hello_archive, cache) == 3  # greet, colorx, yamlish
    second = run_archive(hello_archive, "--offline", cwd=tmp_path, cache=cache)
    assert second.returncode == 0, second.stderr
    assert "reusing environment" in second.stderr
    assert "installing" not in second.stderr
    kept = run_archive(hello_archive, "--offline", "--keep", cwd=tmp_path, cache=cache)
    workdir = Path(kept.stderr.split("work folder kept: ", 1)[1].split()[0])
    assert not (workdir / "wheels").exists()  # a cached environment needs no wheels unpacked
    assert (workdir / "src" / "main.py").exists()
    shutil.rmtree(workdir)
    assert len(list((tmp_path / "jobpack-outputs").iterdir())) == 3  # never merged


def test_jobpack_run_is_the_same_as_running_the_archive(
    hello_archive: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    result = subprocess.run(
        [sys.executable, "-m", "jobpack", "run", str(hello_archive), "--offline",
         "--env-cache", str(tmp_path / "envs"), "--output-dir", str(tmp_path / "o")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [run] = (tmp_path / "o").iterdir()
    assert (run / "out" / "result.txt").read_text() == "HELLO WORLD\n"


def test_the_jobs_exit_code_is_returned_and_extra_args_are_passed(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "exit3.zip").path
    result = run_archive(archive, "--", "--ignored", cwd=tmp_path, cache=tmp_path / "envs")
    assert result.returncode == 3
    assert "exiting with 3" in result.stdout


def test_the_job_is_isolated_from_the_callers_python(tmp_path: Path) -> None:
    job = tmp_path / "iso"
    job.mkdir()
    (job / "main.py").write_text(
        "import os, sys\n"
        "print('PP', os.environ.get('PYTHONPATH'), os.environ.get('PYTHONNOUSERSITE'))\n"
        "print('MODE', os.environ.get('MODE'), 'TOKEN', os.environ.get('TOKEN'))\n"
        "print('CWD', os.getcwd())\n"
    )
    (job / "config.yaml").write_text(
        "cmd: python main.py\nenv:\n  vars:\n    - MODE: fast\n    - TOKEN\n")
    archive = jobpack.build(jobpack.analyze(config=job / "config.yaml"), tmp_path / "i.zip").path
    shutil.rmtree(job)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "TOKEN": "t0k"}
    result = subprocess.run([sys.executable, str(archive), "--env-cache", str(tmp_path / "e")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "PP None 1" in result.stdout
    assert "MODE fast TOKEN t0k" in result.stdout
    assert "/src" in result.stdout and str(job) not in result.stdout


def test_a_python_mismatch_is_an_error_unless_allowed(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3",
                               target_python="3.10")
    archive = jobpack.build(analysis, tmp_path / "m.zip").path
    refused = run_archive(archive, cwd=tmp_path, cache=tmp_path / "envs")
    assert refused.returncode == EXIT_FAILURE and "targets Python 3.10" in refused.stderr
    allowed = run_archive(archive, "--allow-python-mismatch", cwd=tmp_path,
                          cache=tmp_path / "envs")
    assert allowed.returncode == 3


# -- malicious archives ------------------------------------------------------------------
def _archive(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]],
             files: list[dict[str, object]] | None = None) -> Path:
    import hashlib

    runner = runner_members()
    listed = files if files is not None else [
        {"path": m.filename if isinstance(m, zipfile.ZipInfo) else m,
         "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for m, data in members
    ]
    listed = [*listed, *({"path": name, "sha256": hashlib.sha256(data).hexdigest(),
                          "size": len(data)} for name, data in runner.items())]
    manifest = {"schema": "jobpack/manifest/1", "target": {"python": "3.11"},
                "cmd": "python main.py", "files": listed}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("jobpack.json", json.dumps(manifest))
        for name, data in runner.items():
            archive.writestr(name, data)
        for member, data in members:
            archive.writestr(member, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _device(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFCHR | 0o666) << 16
    return info


def _bomb() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("src/bomb.bin")
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


Members = list[tuple[zipfile.ZipInfo | str, bytes]]
MALICIOUS: dict[str, tuple[Members, list[dict[str, object]] | None, str]] = {
    "absolute": ([("/tmp/jobpack-evil-abs", b"x")], None, "absolute path"),
    "dotdot": ([("src/../../jobpack-evil-dotdot", b"x")], None, "leaves the archive folder"),
    "symlink": ([(_symlink("src/link"), b"/etc/passwd")], None, "symlink"),
    "device": ([(_device("src/tty"), b"")], None, "device"),
    "unlisted": ([("src/main.py", b"x")], [], "not listed in the manifest"),
    "size": ([("src/main.py", b"xx")],
             [{"path": "src/main.py", "sha256": "0" * 64, "size": 1}], "size differs"),
    "digest": ([("src/main.py", b"x")],
               [{"path": "src/main.py", "sha256": "0" * 64, "size": 1}], "sha256 differs"),
    "bomb": ([(_bomb(), b"\0" * (8 << 20))], None, "compression ratio"),
    "missing": ([], [{"path": "src/main.py", "sha256": "0" * 64, "size": 1}],
                "listed in the manifest but missing"),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_archives_are_refused_writing_nothing_outside_the_workdir(
    case: str, tmp_path: Path
) -> None:
    members, files, reason = MALICIOUS[case]
    archive = _archive(tmp_path / f"{case}.zip", members, files)
    workdir = tmp_path / "work"
    before = set(Path("/tmp").iterdir())
    result = run_archive(archive, "--workdir", str(workdir), cwd=tmp_path,
                         cache=tmp_path / "envs")
    assert result.returncode == EXIT_FAILURE
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(p.name.startswith("jobpack-evil") for p in set(Path("/tmp").iterdir()) - before)
    assert not (tmp_path / "envs").exists()  # refused before any environment was built
    assert {p for p in tmp_path.rglob("*") if "work" not in p.parts} <= {
        tmp_path / f"{case}.zip"
    }


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    import hashlib
    import warnings

    listed = [{"path": "src/a.py", "sha256": hashlib.sha256(b"1").hexdigest(), "size": 1}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        path = _archive(tmp_path / "dup.zip", [("src/a.py", b"1"), ("src/a.py", b"2")], listed)
    result = run_archive(path, "--workdir", str(tmp_path / "w"), cwd=tmp_path,
                         cache=tmp_path / "envs")
    assert result.returncode == EXIT_FAILURE and "duplicate member name" in result.stderr


def test_sigterm_is_forwarded_to_the_job(tmp_path: Path) -> None:
    import signal

    job = tmp_path / "sig"
    job.mkdir()
    (job / "main.py").write_text(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n")
    archive = jobpack.build(jobpack.analyze(["main.py"], root=job), tmp_path / "s.zip").path
    process = subprocess.Popen([sys.executable, str(archive), "--env-cache", str(tmp_path / "e")],
                               cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 7


def test_where_venv_is_unusable_a_plain_site_folder_serves_with_its_pth_files(
    hello_archive: Path, tmp_path: Path
) -> None:
    # as on a Python without its venv module: this one shadows the standard library's
    missing = tmp_path / "no-venv"
    missing.mkdir()
    (missing / "venv.py").write_text("raise ImportError('no venv module here')\n")
    result = run_archive(hello_archive, "--offline", cwd=tmp_path, cache=tmp_path / "envs",
                         python_path=missing)
    assert result.returncode == 0, result.stderr
    [env] = [p for p in (tmp_path / "envs").iterdir() if p.is_dir()]
    assert (env / "site").is_dir() and not (env / "pyvenv.cfg").exists()
    [run] = (tmp_path / "jobpack-outputs").iterdir()
    assert (run / "out" / "result.txt").read_text() == "HELLO WORLD\n"


def test_folder_outputs_are_collected_whole(tmp_path: Path) -> None:
    job = tmp_path / "folders"
    (job / "in").mkdir(parents=True)
    (job / "in" / "a.txt").write_text("A")
    (job / "main.py").write_text(
        "import pathlib, sys\n"
        "src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "for f in src.iterdir():\n"
        "    (out / (f.name + '.copy')).write_text(f.read_text() * 2)\n")
    (job / "config.yaml").write_text(
        "cmd: python main.py ${IN} ${OUT}\ninputs:\n  - in/: IN\noutputs:\n  - results/: OUT\n")
    archive = jobpack.build(jobpack.analyze(config=job / "config.yaml"), tmp_path / "f.zip").path
    shutil.rmtree(job)
    result = run_archive(archive, "--output-dir", str(tmp_path / "got"), cwd=tmp_path,
                         cache=tmp_path / "envs")
    assert result.returncode == 0, result.stderr
    [run] = (tmp_path / "got").iterdir()
    assert (run / "results" / "a.txt.copy").read_text() == "AA"


def test_a_declared_output_folder_exists_when_the_job_starts(tmp_path: Path) -> None:
    job = tmp_path / "declared"
    job.mkdir()
    (job / "main.py").write_text(
        "import os, pickle\n"
        "print('EMPTY', os.listdir('models'))\n"
        "with open('models/model.pkl', 'wb') as f:\n"
        "    pickle.dump({'w': 1}, f, protocol=4)\n"
        "open('reports/deep/score.txt', 'w').write('0.9')\n")
    (job / "config.yaml").write_text(
        "cmd: python main.py\noutputs:\n  - models/\n  - reports/deep/score.txt\n")
    archive = jobpack.build(jobpack.analyze(config=job / "config.yaml"), tmp_path / "d.zip").path
    shutil.rmtree(job)
    result = run_archive(archive, "--output-dir", str(tmp_path / "got"), cwd=tmp_path,
                         cache=tmp_path / "envs")
    assert result.returncode == 0, result.stderr
    assert "EMPTY []" in result.stdout
    [run] = (tmp_path / "got").iterdir()
    assert (run / "models" / "model.pkl").is_file()
    assert (run / "reports" / "deep" / "score.txt").read_text() == "0.9"


def test_two_first_runs_at_once_both_succeed_and_build_the_environment_once(
    hello_archive: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    command = [sys.executable, str(hello_archive), "--offline", "--env-cache",
               str(tmp_path / "envs")]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert sum("installing 3 wheels" in err for _, err in results) == 1
    assert sum("reusing environment" in err for _, err in results) == 1
    assert [p.name for p in (tmp_path / "envs").iterdir() if p.is_dir()] != []
    assert not list((tmp_path / "envs").glob(".tmp-*"))
    assert len(list((tmp_path / "jobpack-outputs").iterdir())) == 2


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


def test_sigterm_during_the_install_leaves_no_temp_folder_and_no_pip(
    tmp_path: Path, user_env: UserEnv
) -> None:
    import signal
    import time

    job = tmp_path / "hello"
    shutil.copytree(FIXTURES / "jobs" / "hello", job)
    analysis = jobpack.analyze(config=job / "config.yaml", python=str(user_env.python))
    archive = jobpack.build(analysis, tmp_path / "nowheels.zip").path  # pip must install
    cache = tmp_path / "envs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(user_env.wheelhouse),
               PIP_CONFIG_FILE=os.devnull)
    process = subprocess.Popen([sys.executable, str(archive), "--env-cache", str(cache)],
                               cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "pip installing" in line:
            break
    time.sleep(0.5)  # pip (or ensurepip) is running now
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, "".join(seen) + rest
    assert "interrupted" in rest and "Traceback" not in rest
    assert [p.name for p in cache.iterdir() if p.is_dir()] == []
    assert _processes_mentioning(str(cache)) == []


def test_an_unusable_output_dir_is_refused_before_the_job_runs(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "exit3.zip").path
    (tmp_path / "results").write_text("mine\n")
    result = run_archive(archive, "--output-dir", str(tmp_path / "results"), cwd=tmp_path,
                         cache=tmp_path / "envs")
    assert result.returncode == EXIT_FAILURE
    assert "is not a folder" in result.stderr and "exiting" not in result.stdout
    assert (tmp_path / "results").read_text() == "mine\n"


def test_when_collecting_fails_the_work_folder_is_kept_and_named(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    # while it runs, the job takes the place where its outputs go with a file of its own
    taken = tmp_path / "jobpack-outputs"
    (job / "main.py").write_text(
        f"import shutil, sys\nshutil.rmtree({str(taken)!r}, ignore_errors=True)\n"
        f"open({str(taken)!r}, 'w').write('mine')\nopen(sys.argv[1], 'w').write('x')\n")
    (job / "config.yaml").write_text("cmd: python main.py ${OUT}\noutputs:\n  - out.txt: OUT\n")
    archive = jobpack.build(jobpack.analyze(config=job / "config.yaml"), tmp_path / "p.zip").path
    result = run_archive(archive, cwd=tmp_path, cache=tmp_path / "envs")
    assert result.returncode == EXIT_FAILURE, result.stderr
    assert "could not collect the outputs" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    kept = result.stderr.split("work folder kept: ", 1)[1].split()[0]
    assert (Path(kept) / "src" / "out.txt").read_text() == "x"
    shutil.rmtree(kept)
    assert (tmp_path / "jobpack-outputs").read_text() == "mine"


def test_prune_cache_removes_stale_environments_without_running_the_job(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "exit3.zip").path
    cache = tmp_path / "envs"
    assert run_archive(archive, cwd=tmp_path, cache=cache).returncode == 3
    [entry] = [p for p in cache.iterdir() if p.is_dir()]
    old = 1_000_000_000
    os.utime(entry / ".jobpack-used", (old, old))
    pruned = run_archive(archive, "--prune-cache", cwd=tmp_path, cache=cache)
    assert pruned.returncode == 0, pruned.stderr
    assert "exiting" not in pruned.stdout and not entry.exists()


def test_without_bundled_wheels_pip_installs_with_its_output_on_stderr(
    tmp_path: Path, user_env: UserEnv
) -> None:
    job = tmp_path / "hello"
    shutil.copytree(FIXTURES / "jobs" / "hello", job)
    analysis = jobpack.analyze(config=job / "config.yaml", python=str(user_env.python))
    archive = jobpack.build(analysis, tmp_path / "nowheels.zip").path
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(user_env.wheelhouse),
               PIP_CONFIG_FILE=os.devnull)
    result = subprocess.run([sys.executable, str(archive), "--env-cache", str(tmp_path / "e")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("done ") and len(result.stdout.splitlines()) == 1
    assert "pip installing 3 requirements" in result.stderr
    assert "Successfully installed" in result.stderr


def test_help_lists_the_users_options_and_job_arguments(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3")
    archive = jobpack.build(analysis, tmp_path / "exit3.zip").path
    direct = subprocess.run([sys.executable, str(archive), "--help"], capture_output=True,
                            text=True, timeout=60)
    via_cli = subprocess.run([sys.executable, "-m", "jobpack", "run", "--help"],
                             capture_output=True, text=True, timeout=60)
    for result in (direct, via_cli):
        assert result.returncode == 0, result.stderr
        assert "-- ARGS" in result.stdout and "--env-cache-max" in result.stdout
        assert "--output-dir" in result.stdout and "stdlib" not in result.stdout
    assert direct.stdout.startswith("usage: python3 exit3.zip [options] [-- ARGS]")


def test_the_runner_works_and_refuses_on_python_38(tmp_path: Path) -> None:
    python_38 = python_or_skip("3.8")
    analysis = jobpack.analyze(["main.py"], root=FIXTURES / "jobs" / "exit3", target_python="3.8")
    archive = jobpack.build(analysis, tmp_path / "exit3.zip").path
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run([str(python_38), str(archive), "--env-cache", str(tmp_path / "e"),
                          "--", "x; touch PWNED"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 3, ran.stderr
    assert "exiting with 3" in ran.stdout and not (tmp_path / "PWNED").exists()
    members, files, reason = MALICIOUS["dotdot"]
    evil = _archive(tmp_path / "evil.zip", members, files)
    refused = subprocess.run([str(python_38), str(evil), "--allow-python-mismatch", "--workdir",
                              str(tmp_path / "w")],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == EXIT_FAILURE and reason in refused.stderr
    assert "Traceback" not in refused.stderr
