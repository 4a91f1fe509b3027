"""The hostile inputs of issue #10, one row each."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.hostile.harness import (
    DIR,
    FIFO,
    NONZERO,
    SOCKET,
    Case,
    Check,
    FileSpec,
    link,
)

MAIN = "import sys\nprint('args', sys.argv[1:])\n"


def job(config: str | None = None, extra: dict[str, FileSpec] | None = None,
        **more: FileSpec) -> dict[str, FileSpec]:
    """A job folder: main.py, the config when given, and the other files named."""
    files: dict[str, FileSpec] = {"main.py": MAIN}
    if config is not None:
        files["config.yaml"] = config
    files.update(extra or {})
    files.update(more)
    return files


def members(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        return opened.namelist()


def manifest(archive: Path) -> dict[str, object]:
    with zipfile.ZipFile(archive) as opened:
        data = json.loads(opened.read("jobpack.json"))
    assert isinstance(data, dict)
    return data


def target_is(out: Path, python: str) -> None:
    assert manifest(out / "a.zip")["target"] == {"python": python, "platform": "linux_x86_64"}


def runtime_vars_are(out: Path, names: list[str]) -> None:
    assert manifest(out / "a.zip")["runtime_vars"] == names


def lacks(*names: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        listed = members(out / "a.zip")
        for name in names:
            assert name not in listed, listed
    return check


def has(*names: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        listed = members(out / "a.zip")
        for name in names:
            assert name in listed, listed
    return check


def same_archives(job_dir: Path, out: Path) -> None:
    assert (out / "a.zip").read_bytes() == (out / "b.zip").read_bytes()


def no_file(name: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        assert not (out / name).exists()
    return check


def no_part_files(job_dir: Path, out: Path) -> None:
    leftovers = [p for folder in (job_dir, out) for p in folder.rglob("*.part")]
    assert leftovers == []


BUILD = ("jobpack", "build", "--config", "config.yaml", "-o", "{out}/a.zip")
ANALYZE = ("jobpack", "analyze", "--config", "config.yaml", "--json")
PY = "cmd: python main.py\n"
MANUAL = PY + "env:\n  python:\n    type: manual\n"
PKG: dict[str, FileSpec] = {"pkg/__init__.py": "from .a import x\n", "pkg/a.py": "x = 1\nfrom . import sub\n",
       "pkg/sub/__init__.py": "from ..a import x\n", "pkg/train.py": "from . import a\n"}
BOMB = "cmd: python main.py\n" + "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]) + "\n"
FAKE_PY = "#!/bin/sh\n"
REQS = MANUAL + "    requirements-file: requirements.txt\n"

CONFIG_CASES = [
    # 3.10, not 3.1 (YAML's float); on a 3.10 interpreter the target is its 3.10.x
    Case("version-3.10-unquoted", job(MANUAL + "    version: 3.10\n"), ANALYZE,
         fragments=('"python": "3.10',)),
    Case("version-3.12-unquoted-builds", job(MANUAL + "    version: 3.12\n"), BUILD,
         check=lambda j, o: target_is(o, "3.12")),
    Case("args-number-kept-as-text", job(PY.replace("main.py", "main.py --lr ${LR}")
                                         + "args:\n  LR: 1.50\n"), ANALYZE,
         fragments=("--lr 1.50",)),
    Case("output-with-empty-variable", job(PY + "outputs:\n  - model.nemo:\n"), ANALYZE,
         fragments=('"path": "model.nemo"',)),
    Case("service-and-dataset-variables", job(
        "cmd: ./run.sh ${DS_PROJECT_HOME}/texts ${CIFAR_10}\ninputs:\n  - run.sh\n"
        "datasets:\n  - bt10gb7dn2sr3c6fab1c: CIFAR_10\n", extra={"run.sh": "#!/bin/sh\necho $@\n"}),
        ("jobpack", "analyze", "--config", "config.yaml"),
        fragments=("runtime-variable", "DS_PROJECT_HOME")),
    Case("service-variable-builds", job("cmd: python main.py ${DS_PROJECT_HOME}/texts\n"),
         BUILD, check=lambda j, o: runtime_vars_are(o, ["DS_PROJECT_HOME"])),
    Case("variable-without-braces-warns", job(PY.replace("main.py", "main.py $LR")
                                              + "args:\n  LR: '0.1'\n"),
         ("jobpack", "analyze", "--config", "config.yaml"),
         fragments=("variable-typo", "did you mean ${LR}?")),
    Case("undefined-variable", job("cmd: python main.py ${NOPE}\n"), ANALYZE, NONZERO,
         ("${NOPE} is used but never defined", "config.yaml:1")),
    Case("version-3.7-refused", job(MANUAL + "    version: 3.7\n"), ANALYZE, NONZERO,
         ("env.python.version", "not supported")),
    Case("version-3.1-hint", job(MANUAL + "    version: '3.1'\n"), ANALYZE, NONZERO,
         ("did you mean 3.10?",)),
    Case("no-deps-typo", job(PY + "env:\n  python:\n    pip:\n      no-deps: ture\n"),
         ANALYZE, NONZERO, ("no-deps: must be true or false",)),
    Case("args-value-mapping", job(PY + "args:\n  X:\n    a: b\n"), ANALYZE, NONZERO,
         ("args.X", "must be a string")),
    Case("yaml-alias-bomb", job(BOMB), ANALYZE, NONZERO, ("too many values",)),
    Case("yaml-recursive-alias", job("cmd: python main.py\nargs: &a\n  X: *a\n"), ANALYZE,
         NONZERO, ("too many values",)),
    Case("config-too-big", job(PY + "#" + "x" * (1024 * 1024 + 10) + "\n"), ANALYZE,
         NONZERO, ("larger than",)),
    Case("config-is-fifo", job(None, extra={"config.yaml": FIFO}), ANALYZE, NONZERO,
         ("not a regular file",)),
    Case("config-bad-yaml", job("cmd: [python\n"), ANALYZE, NONZERO, ("invalid YAML",)),
    Case("config-empty", job(""), ANALYZE, NONZERO, ("config is empty",)),
    Case("config-is-a-list", job("- cmd\n"), ANALYZE, NONZERO, ("must be a mapping",)),
    Case("config-key-typo", job(PY + "inptus: []\n"), ANALYZE, NONZERO,
         ("did you mean 'inputs'",)),
    Case("config-not-utf8", job(None, extra={"config.yaml": b"cmd: python main.py \xff\xfe\n"}),
         ANALYZE, NONZERO, ("cannot read config",)),
    Case("config-input-leaves-folder", job(PY + "inputs:\n  - ../../etc/passwd\n"), ANALYZE,
         NONZERO, ("leaves the job folder",), absent=("root:x",)),
]

ENTRY_CASES = [
    Case("m-option-analyze", job(None, PKG), ("jobpack", "analyze", "-m", "pkg.train"),
         fragments=("pkg.train",)),
    Case("m-joined-json", job(None, PKG), ("jobpack", "analyze", "--json", "-mpkg.train"),
         fragments=('"-m pkg.train"',)),
    Case("m-build", job(None, PKG), ("jobpack", "build", "-m", "pkg.train", "-o", "{out}/a.zip"),
         check=has("src/pkg/train.py", "src/pkg/a.py")),
    Case("m-why", job(None, extra={**PKG, "pkg/a.py": "import yaml\n"}),
         ("jobpack", "why", "yaml", "-m", "pkg.train"), fragments=("pkg/a.py",)),
    Case("m-missing-module", job(None, PKG), ("jobpack", "analyze", "-m", "nope"), NONZERO,
         ("no module 'nope'",)),
    Case("m-with-local-paths-no-bogus-member", job(
        "cmd: python -m pkg.train\nenv:\n  python:\n    type: manual\n    local-paths:\n"
        "      - pkg/\n", PKG), BUILD, check=lacks("src/-m pkg.train"),
        absent=("relative-import-in-script",)),
    Case("init-relative-imports-no-false-warning", job(
        MANUAL + "    local-paths:\n      - pkg/\n", PKG), ("jobpack", "analyze", "--config",
        "config.yaml"), absent=("relative-import-in-script",)),
    Case("root-is-the-script-folder", job(None, extra={"sub/main.py": MAIN}),
         ("jobpack", "analyze", "sub/main.py", "--json"), fragments=('"main.py"',),
         absent=('"sub/main.py"',)),
    Case("archive-bytes-independent-of-cwd", job(),
         ("jobpack", "build", "{jobrel}/main.py", "-o", "{out}/b.zip"), cwd="/",
         setup=(("jobpack", "build", "main.py", "-o", "{out}/a.zip"),), check=same_archives),
    Case("entry-symlink-loop", job(None, extra={"loop.py": link("loop.py")}),
         ("jobpack", "analyze", "loop.py"), NONZERO, ("loop.py", "loops")),
    Case("entry-is-a-folder", job(None, extra={"dir.py": DIR}), ("jobpack", "analyze", "dir.py"),
         NONZERO, ("not a regular file",)),
    Case("entry-is-a-fifo", job(None, extra={"pipe.py": FIFO}), ("jobpack", "analyze", "pipe.py"),
         NONZERO, ("not a regular file",)),
    Case("entry-missing", job(), ("jobpack", "analyze", "gone.py"), NONZERO,
         ("gone.py", "does not exist")),
    Case("entry-dev-zero", job(), ("jobpack", "analyze", "/dev/zero"), NONZERO,
         ("not a regular file",)),
]

REQ_CASES = [
    Case("req-url-wheel", job(REQS, extra={"requirements.txt":
         "foo @ https://example.org/foo-1.0-py3-none-any.whl\n"}), ANALYZE,
         fragments=("https://example.org/foo-1.0-py3-none-any.whl",)),
    Case("req-name-at-git", job(REQS, extra={"requirements.txt":
         "pkg @ git+https://example.org/a/pkg.git@v1\n"}), ANALYZE,
         fragments=("git+https://example.org/a/pkg.git@v1",)),
    Case("req-git-egg", job(REQS, extra={"requirements.txt":
         "git+https://example.org/a/b.git#egg=bpkg\n"}),
         ("jobpack", "analyze", "--config", "config.yaml", "--requirements"),
         fragments=("bpkg @ git+https://example.org/a/b.git",)),
    Case("req-recursive", job(REQS, extra={"requirements.txt": "-r b.txt\n", "b.txt":
         "-r requirements.txt\n"}), ANALYZE, NONZERO,
         ("include each other: requirements.txt -> b.txt -> requirements.txt",)),
    Case("req-includes-itself", job(REQS, extra={"requirements.txt": "-r requirements.txt\n"}),
         ANALYZE, NONZERO, ("include each other",)),
    Case("req-etc-passwd", job(REQS, extra={"requirements.txt": "-r /etc/passwd\n"}), ANALYZE,
         NONZERO, ("outside the job folder",), absent=("root:", "invalid requirement")),
    Case("req-constraint-outside", job(REQS, extra={"requirements.txt": "-c /etc/passwd\n"}),
         ANALYZE, NONZERO, ("outside the job folder",), absent=("root:",)),
    Case("req-parent-folder", job(REQS, extra={"requirements.txt": "-r ../../x.txt\n"}), ANALYZE,
         NONZERO, ("outside the job folder",)),
    Case("req-editable-local", job(REQS, extra={"requirements.txt": "-e ./lib\n", "lib/x": ""}),
         ANALYZE, NONZERO, ("local folder or file",)),
    Case("req-file-url", job(REQS, extra={"requirements.txt": "x @ file:///tmp/x.whl\n"}),
         ANALYZE, NONZERO, ("local folder or file",)),
    Case("req-include-missing", job(REQS, extra={"requirements.txt": "-r gone.txt\n"}), ANALYZE,
         NONZERO, ("gone.txt",)),
    Case("req-include-fifo", job(REQS, extra={"requirements.txt": "-r pipe.txt\n",
         "pipe.txt": FIFO}), ANALYZE, NONZERO, ("not a regular file",)),
    Case("req-file-outside-in-config", job(MANUAL + "    requirements-file: /etc/passwd\n"),
         ANALYZE, NONZERO, ("leaves the job folder",), absent=("root:",)),
    Case("req-invalid-line", job(REQS, extra={"requirements.txt": "this is not ( valid\n"}),
         ANALYZE, NONZERO, ("invalid requirement line",)),
]

ZIP = b"PK\x05\x06" + b"\0" * 18  # an empty zip archive
OUTPUT_CASES = [
    Case("o-is-the-script", job(), ("jobpack", "build", "main.py", "-o", "main.py"), NONZERO,
         ("main.py", "must end with .zip")),
    Case("o-is-the-config", job(PY), ("jobpack", "build", "--config", "config.yaml", "-o",
         "config.yaml"), NONZERO, ("must end with .zip",)),
    Case("o-is-an-input-zip", job(PY + "inputs:\n  - data.zip\n", extra={"data.zip": ZIP}),
         ("jobpack", "build", "--config", "config.yaml", "-o", "data.zip"), NONZERO,
         ("job's own files",)),
    Case("o-inside-an-input-folder", job(PY + "inputs:\n  - data/\n", extra={"data/x.txt": "1"}),
         ("jobpack", "build", "--config", "config.yaml", "-o", "data/new.zip"), NONZERO,
         ("job's own files",)),
    Case("o-dev-null", job(), ("jobpack", "build", "main.py", "-o", "/dev/null"), NONZERO,
         ("/dev/null",)),
    Case("o-proc-file", job(), ("jobpack", "build", "main.py", "-o", "/proc/self/x.zip"),
         NONZERO, ("system folder",)),
    Case("o-proc-folder", job(), ("jobpack", "build", "main.py", "-o", "/proc/nope/"),
         NONZERO, ("system folder",)),
    Case("o-text-file-named-zip", job(None, extra={"notes.zip": "my notes\n"}),
         ("jobpack", "build", "main.py", "-o", "notes.zip"), NONZERO, ("not a zip archive",)),
    Case("o-fifo-named-zip", job(None, extra={"x.zip": FIFO}),
         ("jobpack", "build", "main.py", "-o", "x.zip"), NONZERO, ("not a regular file",)),
    Case("o-under-a-file", job(), ("jobpack", "build", "main.py", "-o", "main.py/x.zip"),
         NONZERO, ("is not a folder",)),
    Case("o-dangling-link", job(None, extra={"l.zip": link("gone/x.zip")}),
         ("jobpack", "build", "main.py", "-o", "l.zip"), NONZERO, ("dangling",)),
    Case("o-link-to-the-script", job(None, extra={"l.zip": link("main.py")}),
         ("jobpack", "build", "main.py", "-o", "l.zip"), NONZERO, ("job's own files",)),
    Case("o-new-folder", job(), ("jobpack", "build", "main.py", "-o", "{out}/new/"),
         fragments=("main.jobpack.zip",), check=no_part_files),
    Case("o-replaces-an-old-archive", job(), ("jobpack", "build", "main.py", "-o",
         "{out}/a.zip"), setup=(("jobpack", "build", "main.py", "-o", "{out}/a.zip"),),
         check=has("src/main.py")),
]

FILE_CASES = [
    Case("input-folder-fifo", job(PY + "inputs:\n  - data/\n", extra={"data/a.txt": "a",
         "data/pipe": FIFO}), BUILD, fragments=("left-out", "data/pipe (named pipe"),
         check=lacks("src/data/pipe")),
    Case("input-folder-dev-zero-link", job(PY + "inputs:\n  - data/\n", extra={
         "data/zero": link("/dev/zero")}), BUILD, fragments=("data/zero", "outside the job"),
         check=lacks("src/data/zero")),
    Case("input-folder-socket", job(PY + "inputs:\n  - data/\n", extra={"data/sock": SOCKET}),
         BUILD, fragments=("data/sock (socket",), check=lacks("src/data/sock")),
    Case("input-folder-passwd-link", job(PY + "inputs:\n  - data/\n", extra={
         "data/pw": link("/etc/passwd")}), BUILD, fragments=("data/pw", "/etc/passwd"),
         check=lacks("src/data/pw")),
    Case("input-folder-link-to-outside-folder", job(PY + "inputs:\n  - data/\n", extra={
         "data/etc": link("/etc")}), BUILD, fragments=("data/etc",),
         check=lacks("src/data/etc/passwd")),
    Case("input-folder-inner-link-ships", job(PY + "inputs:\n  - data/\n", extra={
         "data/a.txt": "a", "data/b.txt": link("a.txt")}), BUILD,
         check=has("src/data/a.txt", "src/data/b.txt")),
    Case("input-folder-dangling-link", job(PY + "inputs:\n  - data/\n", extra={
         "data/a.txt": "a", "data/gone": link("nowhere")}), BUILD,
         fragments=("data/gone (dangling",)),
    Case("input-is-a-fifo", job(PY + "inputs:\n  - pipe\n", pipe=FIFO), BUILD,
         fragments=("pipe (named pipe",), check=lacks("src/pipe")),
    Case("imported-module-is-a-fifo", job(None, {"main.py": "import helper\n",
         "helper.py": FIFO}), ("jobpack", "analyze", "main.py"), NONZERO,
         ("helper.py", "not a regular file")),
    Case("imported-module-links-to-dev-zero", job(None, {"main.py": "import helper\n",
         "helper.py": link("/dev/zero")}), ("jobpack", "analyze", "main.py"), NONZERO,
         ("helper.py", "not a regular file")),
    Case("input-links-to-dev-zero", job(PY + "inputs:\n  - zero\n", zero=link("/dev/zero")),
         BUILD, NONZERO, ("inputs[0]", "leaves the job folder")),
    Case("requirements-file-is-a-fifo", job(REQS, {"requirements.txt": FIFO}), ANALYZE,
         NONZERO, ("not a regular file",)),
    Case("local-paths-fifo", job(MANUAL + "    local-paths:\n      - lib/\n", extra={
         "lib/m.py": "x = 1\n", "lib/pipe": FIFO}), BUILD, fragments=("lib/pipe",),
         check=lacks("src/lib/pipe")),
    Case("local-paths-link-outside", job(MANUAL + "    local-paths:\n      - lib/\n", extra={
         "lib/m.py": "x = 1\n", "lib/pw": link("/etc/passwd")}), BUILD,
         fragments=("lib/pw", "outside the job folder"), check=lacks("src/lib/pw")),
    Case("local-paths-link-to-dev-zero", job(MANUAL + "    local-paths:\n      - lib/\n", extra={
         "lib/m.py": "x = 1\n", "lib/z": link("/dev/zero")}), BUILD, fragments=("lib/z",),
         check=lacks("src/lib/z")),
]

TARGET_CASES = [
    Case("target-3.6", job(), ("jobpack", "analyze", "main.py", "--target-python", "3.6"),
         NONZERO, ("3.6 is not supported",)),
    Case("target-3.7-build", job(), ("jobpack", "build", "main.py", "--target-python", "3.7",
         "-o", "{out}/a.zip"), NONZERO, ("3.7 is not supported",), check=no_file("a.zip")),
    Case("target-3.8-builds", job(), ("jobpack", "build", "main.py", "--target-python", "3.8",
         "-o", "{out}/a.zip")),
    Case("target-banana", job(), ("jobpack", "analyze", "main.py", "--target-python",
         "banana"), NONZERO, ("invalid target Python version",)),
]

PARTIAL = "#!/bin/sh\necho '{\"version\": [3, 11'\n"
GARBAGE = "#!/bin/sh\necho '[1, 2]'\n"
FAILING = "#!/bin/sh\necho broken >&2\nexit 3\n"
ENV_CASES = [
    Case("virtual-env-missing", job(), ("jobpack", "analyze", "main.py"), NONZERO,
         ("VIRTUAL_ENV=/nonexistent/venv does not exist",),
         env={"VIRTUAL_ENV": "/nonexistent/venv"}),
    Case("virtual-env-without-python", job(None, extra={"venv/pyvenv.cfg": "home = /x\n"}),
         ("jobpack", "analyze", "main.py"), NONZERO, ("has no working bin/python",),
         env={"VIRTUAL_ENV": "{job}/venv"}),
    Case("virtual-env-broken-link", job(None, extra={"venv/pyvenv.cfg": "home = /x\n",
         "venv/bin/python": link("/nonexistent/python3")}), ("jobpack", "analyze", "main.py"),
         NONZERO, ("VIRTUAL_ENV",), env={"VIRTUAL_ENV": "{job}/venv"}),
    Case("python-partial-json", job(None, extra={"fake.sh": PARTIAL}),
         ("jobpack", "analyze", "main.py", "--python", "./fake.sh"), NONZERO, ("not a usable Python 3",)),
    Case("python-garbage-json", job(None, extra={"fake.sh": GARBAGE}),
         ("jobpack", "analyze", "main.py", "--python", "./fake.sh"), NONZERO, ("not a usable Python 3",)),
    Case("python-failing", job(None, extra={"fake.sh": FAILING}),
         ("jobpack", "analyze", "main.py", "--python", "./fake.sh"), NONZERO, ("broken",)),
    Case("python-missing", job(), ("jobpack", "analyze", "main.py", "--python",
         "/nonexistent/python"), NONZERO, ("cannot run",)),
    Case("python-is-a-folder", job(None, d=DIR), ("jobpack", "analyze", "main.py",
         "--python", "./d"), NONZERO, ("cannot run",)),
]

RUN = ("python3", "{out}/a.zip", "--env-cache", "{envs}", "--output-dir", "{out}/res")
BUILT = (BUILD,)


def two_result_folders(job_dir: Path, out: Path) -> None:
    runs = [p for p in (out / "res").iterdir() if p.is_dir()]
    assert len(runs) == 2, runs


RUNNER_CASES = [
    Case("run-args-value-is-one-argument", job(
        PY.replace("main.py", "main.py ${X}") + "args:\n  X: 'x; touch {out}/PWNED'\n"),
        RUN, setup=BUILT, fragments=("x; touch",), check=no_file("PWNED")),
    Case("run-args-command-substitution", job(
        PY.replace("main.py", "main.py ${X}") + "args:\n  X: '$(touch {out}/PWNED)'\n"),
        RUN, setup=BUILT, fragments=("$(touch",), check=no_file("PWNED")),
    Case("run-ds-project-home-filled", job("cmd: python main.py ${DS_PROJECT_HOME}/texts\n"),
         RUN, setup=BUILT, env={"DS_PROJECT_HOME": "/mnt/project"},
         fragments=("/mnt/project/texts",)),
    Case("run-ds-project-home-unset", job("cmd: python main.py ${DS_PROJECT_HOME}/texts\n"),
         RUN, NONZERO, ("DS_PROJECT_HOME",), setup=BUILT, absent=("args [",)),
    Case("run-dataset-variable-filled", job(
        "cmd: python main.py ${CIFAR}\ndatasets:\n  - someid: CIFAR\n"), RUN, setup=BUILT,
        env={"CIFAR": "/data/cifar"}, fragments=("/data/cifar",)),
    Case("run-output-dir-is-a-file", job(PY), ("python3", "{out}/a.zip", "--env-cache",
         "{envs}", "--output-dir", "{job}/main.py"), NONZERO, ("main.py",), setup=BUILT,
         absent=("args [",)),
    Case("run-each-run-its-own-folder", job(PY + "outputs:\n  - out.txt\n",
         extra={"main.py": "open('out.txt', 'w').write('x')\n"}), RUN,
         setup=(BUILD, RUN), check=two_result_folders),
    Case("run-on-python-3.8", job(PY), ("{py38}", "{out}/a.zip", "--env-cache", "{envs}",
         "--output-dir", "{out}/res"), setup=(("jobpack", "build", "--config", "config.yaml",
         "--target-python", "3.8", "-o", "{out}/a.zip"),), fragments=("args []",)),
]

ALL = (CONFIG_CASES + ENTRY_CASES + REQ_CASES + OUTPUT_CASES + FILE_CASES + TARGET_CASES
       + ENV_CASES + RUNNER_CASES)
