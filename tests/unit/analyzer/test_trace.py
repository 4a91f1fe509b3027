"""`jobpack trace`: runs the job with an import recorder and names what the manifest lacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

JOBPACK = [sys.executable, "-m", "jobpack"]


def trace(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JOBPACK, "trace", "--python", sys.executable, *args],
                          cwd=folder, capture_output=True, text=True, check=False)


def _output(result: subprocess.CompletedProcess[str], path: str) -> Path:
    """Where trace kept what the job wrote: a new folder it names, not the job's."""
    return Path(result.stderr.split("the job's outputs are in ")[1].split("\n")[0]) / path


def test_a_dynamic_import_of_an_installed_distribution_is_reported(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import importlib\nimport sys\nmodule = importlib.import_module(sys.argv[1])\n"
        "open('out.txt', 'w').write(module.__name__)\n")
    result = trace(tmp_path, "main.py", "--", "yaml")
    assert result.returncode == 1, result.stderr
    assert "missing distribution: pyyaml (imported as yaml" in result.stderr
    assert _output(result, "out.txt").read_text() == "yaml"  # it really ran, with its ARGS
    assert not (tmp_path / "out.txt").exists()  # in a copy of the job's folder


def test_a_job_whose_imports_are_all_in_the_manifest_passes(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("import yaml\n")
    (tmp_path / "main.py").write_text("import helper\nimport json\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 0, result.stderr
    assert "all are in the manifest" in result.stderr


def test_a_failing_job_keeps_its_own_exit_code_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import yaml, importlib\nimportlib.import_module('"
                                      "json')\nraise SystemExit(3)\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 3
    assert "exited with status 3" in result.stderr


def test_a_job_killed_by_a_signal_exits_as_a_shell_says(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import os, signal\nos.kill(os.getpid(), "
                                      "signal.SIGTERM)\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 128 + 15, result.stderr
    assert "exited with status -15" in result.stderr


def test_the_help_says_it_runs_user_code() -> None:
    result = subprocess.run([*JOBPACK, "trace", "--help"], capture_output=True, text=True,
                            check=True)
    assert "RUNS THE JOB" in result.stdout


BRANCHED_JOB = """\
import sys
import typer
if sys.argv[1:]:
    import yaml
print(typer.__name__)
"""


def _unneeded(stderr: str) -> list[str]:
    """The distributions trace says the run needed none of, by tier line."""
    return [line.strip() for line in stderr.splitlines()
            if line.startswith(("  required tier:", "  optional tier:"))]


def test_what_the_archive_brings_and_the_run_never_needed_is_named(tmp_path: Path) -> None:
    # typer imports neither rich nor pygments, markdown-it-py and mdurl when it starts, but
    # requires them: pip's closure of what ran holds them, so they are not named
    (tmp_path / "main.py").write_text(BRANCHED_JOB)
    result = trace(tmp_path, "main.py")
    assert result.returncode == 0, result.stderr
    assert "not needed by this run: 1 of the " in result.stderr
    assert _unneeded(result.stderr) == [f"required tier: pyyaml ({_megabytes('pyyaml')})"]
    assert "--exclude NAME" in result.stderr


def test_a_run_that_imports_every_pin_names_none_as_unneeded(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(BRANCHED_JOB)
    result = trace(tmp_path, "main.py", "--", "with-yaml")
    assert result.returncode == 0, result.stderr
    assert "not needed by this run" not in result.stderr
    assert _unneeded(result.stderr) == []


def test_a_failed_run_says_nothing_of_what_a_whole_run_would_not_need(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(BRANCHED_JOB + "raise SystemExit(3)\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 3, result.stderr
    assert "not needed by this run" not in result.stderr


def _megabytes(name: str) -> str:
    from importlib.metadata import distribution

    files = distribution(name).files or []
    return f"{sum(f.size or 0 for f in files) / 1e6:.1f} MB"


TRACED_JOB = """\
import argparse
import importlib

parser = argparse.ArgumentParser()
parser.add_argument("--module")
parser.add_argument("--out")
parser.add_argument("--suffix", default="")
options = parser.parse_args()
module = importlib.import_module(options.module)
with open(options.out, "w") as stream:
    stream.write(module.__name__ + options.suffix)
"""
TRACED_CONFIG = """\
cmd: python main.py --module ${MODULE} --out ${OUT}
args:
  MODULE: yaml
outputs:
  - result/out.txt: OUT
"""


def _config_job(folder: Path, head: str = "") -> Path:
    (folder / "main.py").write_text(head + TRACED_JOB)
    (folder / "config.yaml").write_text(TRACED_CONFIG)
    return folder / "result" / "out.txt"


def test_trace_with_a_config_runs_its_cmd_and_names_what_is_missing(tmp_path: Path) -> None:
    job, elsewhere = tmp_path / "job", tmp_path / "elsewhere"
    job.mkdir()
    elsewhere.mkdir()
    out = _config_job(job)
    result = trace(elsewhere, "--config", str(job / "config.yaml"), "--", "--suffix", "a b")
    assert result.returncode == 1, result.stderr
    assert "missing distribution: pyyaml (imported as yaml" in result.stderr
    # ${MODULE} came from args, ${OUT} is the output's path in a copy of the job folder
    # (its folder made, as the runner does), and the arguments after -- arrived as they
    # were given (one argument with a space)
    assert _output(result, "result/out.txt").read_text() == "yamla b"
    assert not out.exists() and not out.parent.exists()


def test_trace_with_a_config_passes_when_the_manifest_has_everything(tmp_path: Path) -> None:
    out = _config_job(tmp_path, head="import yaml  # noqa: F401\n")
    result = trace(tmp_path, "--config", "config.yaml")
    assert result.returncode == 0, result.stderr
    assert "all are in the manifest" in result.stderr
    assert _output(result, "result/out.txt").read_text() == "yaml"
    assert not out.exists()


def test_trace_with_a_config_names_an_unset_runtime_variable(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print(1)\n")
    (tmp_path / "config.yaml").write_text("cmd: python main.py ${DS_PROJECT_HOME}\n")
    env = {k: v for k, v in os.environ.items() if k != "DS_PROJECT_HOME"}
    result = subprocess.run([*JOBPACK, "trace", "--config", "config.yaml", "--python",
                             sys.executable], cwd=tmp_path, capture_output=True, text=True,
                            check=False, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: config.yaml")
    assert "DS_PROJECT_HOME" in result.stderr and "Traceback" not in result.stderr


def test_a_file_read_by_a_path_not_known_statically_is_reported(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "hidden.txt").write_text("x")
    (tmp_path / "params.yaml").write_text("a: 1\n")
    (tmp_path / "main.py").write_text(
        "import sys\nopen('params.yaml').read()\nopen(sys.argv[1]).read()\n"
        "open('made.txt', 'w').write('y')\nopen('made.txt').read()\n")
    result = trace(tmp_path, "main.py", "--", "data/hidden.txt")
    assert result.returncode == 1, result.stderr
    assert "missing file: data/hidden.txt (opened at main.py:3)" in result.stderr
    assert "params.yaml" not in result.stderr  # found statically: it ships
    assert "missing file: made.txt" not in result.stderr  # made before it was read


def test_every_python_of_a_cmd_is_recorded_and_a_stage_may_read_what_one_before_made(
        tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "make.py").write_text("open('made.txt', 'w').write('x')\n")
    (tmp_path / "pkg" / "use.py").write_text(
        "open('made.txt').read()\nopen(''.join(['hidden', '.txt'])).read()\n")
    (tmp_path / "hidden.txt").write_text("h")
    (tmp_path / "config.yaml").write_text(
        "cmd: python -m pkg.make && python -m pkg.use\n")
    result = trace(tmp_path, "--config", "config.yaml")
    assert result.returncode == 1, result.stderr
    assert "missing file: hidden.txt (opened at pkg/use.py:2)" in result.stderr
    assert "missing file: made.txt" not in result.stderr


def test_a_module_job_runs_and_its_imports_are_compared(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "run.py").write_text(
        "import importlib, sys\nimportlib.import_module(sys.argv[1])\nprint('RAN')\n")
    result = trace(tmp_path, "-m", "pkg.run", "--", "yaml")
    assert "Traceback" not in result.stderr, result.stderr
    assert "RAN" in result.stdout
    assert "missing distribution: pyyaml" in result.stderr
    assert result.returncode == 1


def test_a_module_with_an_invented_file_is_not_a_missing_local_file(tmp_path: Path) -> None:
    # what torch does for torch.ops: a module object whose __file__ is a bare "_ops.py"
    (tmp_path / "main.py").write_text(
        "import sys, types\nfake = types.ModuleType('fakeops')\nfake.__file__ = '_ops.py'\n"
        "sys.modules['fakeops'] = fake\nimport fakeops\n"
        "gone = types.ModuleType('gone')\ngone.__file__ = __file__ + '.nowhere.py'\n"
        "sys.modules['gone'] = gone\nimport gone\n")
    (tmp_path / "_ops.py").write_text("")  # even with a file of that name in the folder
    result = trace(tmp_path, "main.py")
    assert result.returncode == 0, result.stderr
    assert "missing local" not in result.stderr


def test_the_job_folder_is_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("original")
    (tmp_path / "main.py").write_text(
        "import os, sys\nopen('data.txt', 'w').write('clobbered')\n"
        "os.makedirs('out', exist_ok=True)\nopen('out/model.bin', 'w').write('m')\n"
        "open(sys.argv[1], 'w').write('result')\n")
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py ${OUT}\noutputs:\n  - result.txt: OUT\n")
    os.mkfifo(tmp_path / "pipe")  # a FIFO in the folder: the copy must not block on it
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = trace(tmp_path, "--config", "config.yaml")
    assert result.returncode == 0, result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "data.txt",
                                                           "main.py", "pipe"]
    assert _output(result, "result.txt").read_text() == "result"  # declared
    assert _output(result, "out/model.bin").read_text() == "m"  # written by the job
    assert _output(result, "data.txt").read_text() == "clobbered"


def test_what_the_job_wrote_outside_its_declared_outputs_is_named(tmp_path: Path) -> None:
    """One line per file written (opened for writing, or moved into place) that no
    `outputs:` entry holds; a temporary file removed again is none."""
    (tmp_path / "main.py").write_text(
        "import os, shutil, sys\n"
        "os.makedirs('models', exist_ok=True)\n"
        "open('models/m.pkl', 'wb').write(b'm')\n"
        "open('metrics.json', 'w').write('{}')\n"
        "open('tmp.txt', 'w').write('t')\nshutil.move('tmp.txt', 'moved.txt')\n"
        "open('gone.txt', 'w').write('g')\nos.remove('gone.txt')\n"
        "open(sys.argv[1], 'w').write('r')\n")
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py ${RESULT}\noutputs:\n  - models/\n  - result.txt: RESULT\n")
    result = trace(tmp_path, "--config", "config.yaml")
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "undeclared output" in line]
    assert [line.split()[2] for line in said] == ["metrics.json", "moved.txt"], said
    assert "4 written (2 undeclared)" in result.stderr  # models/m.pkl, result.txt: declared
