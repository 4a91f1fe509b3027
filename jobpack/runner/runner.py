"""jobpack runner: verify a job archive, unpack it safely, build its venv, run its cmd.

Standard library only: this file travels inside every archive as `__main__.py`, so
`python3 job.jobpack.zip [options] [-- ARGS]` runs the job where only Python 3 exists.
`jobpack run` calls the same `main`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST = "jobpack.json"
SCHEMA = "jobpack/manifest/1"
MAX_MANIFEST = 64 * 1024 * 1024
MAX_TOTAL = 64 * 1024 * 1024 * 1024  # unpacked bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
_CHUNK = 1 << 20
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SHELL_SYNTAX = re.compile(r"[;&|<>()`$*?~\n]|^\s*[A-Za-z_][A-Za-z0-9_]*=")


class RunnerError(Exception):
    """A refusal or failure the runner reports as one line."""


class UnsafeMember(RunnerError):
    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"refusing archive member {name!r}: {why}")
        self.name = name


# -- verification ----------------------------------------------------------------------
def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise RunnerError(f"not a jobpack archive: no {MANIFEST}") from None
    if info.file_size > MAX_MANIFEST:
        raise UnsafeMember(MANIFEST, "manifest is too large")
    with archive.open(info) as handle:
        raw = handle.read(MAX_MANIFEST + 1)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise RunnerError(f"{MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise RunnerError(f"{MANIFEST}: unsupported schema (this runner reads {SCHEMA})")
    if not isinstance(manifest.get("files"), list):
        raise RunnerError(f"{MANIFEST}: no list of files")
    return manifest


def check_name(name: str) -> None:
    """Refuse names that could write outside the folder they are unpacked into."""
    if not name or "\x00" in name or "\\" in name:
        raise UnsafeMember(name, "invalid characters in the name")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeMember(name, "absolute path")
    parts = PurePosixPath(name).parts
    if any(part in {"..", "."} for part in parts) or name.endswith("/") or "//" in name:
        raise UnsafeMember(name, "path leaves the archive folder or is not a plain file")


def check_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Check every zip header against the manifest before a byte is written."""
    expected: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise RunnerError(f"{MANIFEST}: malformed files entry {entry!r}")
        check_name(entry["path"])
        expected[entry["path"]] = entry
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        check_name(name)
        if name in seen:
            raise UnsafeMember(name, "duplicate member name")
        seen.add(name)
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool set no type
        if (kind and kind != stat.S_IFREG) or info.external_attr & 0x10:  # 0x10: DOS folder
            why = "symlink" if kind == stat.S_IFLNK else "device, folder or other special file"
            raise UnsafeMember(name, why)
        if name == MANIFEST:
            continue
        entry = expected.get(name)
        if entry is None:
            raise UnsafeMember(name, "not listed in the manifest")
        if info.file_size != entry.get("size"):
            raise UnsafeMember(name, "size differs from the manifest")
        if info.file_size > _CHUNK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeMember(name, "compression ratio too high (zip bomb?)")
        total += info.file_size
        if total > MAX_TOTAL:
            raise UnsafeMember(name, "archive unpacks to more than the size limit")
    missing = sorted(set(expected) - seen)
    if missing:
        raise RunnerError(f"archive member {missing[0]!r} is listed in the manifest but missing")
    return expected


def verify(path: str | Path) -> list[str]:
    """Every problem with an archive (digests included), without unpacking it."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = read_manifest(archive)
            expected: dict[str, dict[str, Any]] = {
                str(e.get("path")): e for e in manifest["files"] if isinstance(e, dict)
            }
            names = [i.filename for i in archive.infolist()]
            for name in sorted(set(names) - set(expected) - {MANIFEST}):
                problems.append(f"{name}: unexpected member, not in the manifest")
            for name in sorted(set(expected) - set(names)):
                problems.append(f"{name}: missing from the archive")
            for name in sorted(set(expected) & set(names)):
                try:
                    check_name(name)
                    digest, size = _digest(archive, name, expected[name].get("size", -1))
                except UnsafeMember as exc:
                    problems.append(f"{name}: {exc}")
                    continue
                if size != expected[name].get("size") or digest != expected[name].get("sha256"):
                    problems.append(f"{name}: content differs from the manifest")
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"{path}: not a readable zip archive: {exc}")
    except RunnerError as exc:
        problems.append(str(exc))
    return problems


def _digest(archive: zipfile.ZipFile, name: str, limit: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > max(limit, 0):
                raise UnsafeMember(name, "more data than the manifest says")
            digest.update(chunk)
    return digest.hexdigest(), size


def unpack(path: Path, into: Path) -> dict[str, Any]:
    """Verify and unpack the archive into the empty folder `into`; return the manifest."""
    with zipfile.ZipFile(path) as archive:
        manifest = read_manifest(archive)
        expected = check_members(archive, manifest)
        for name, entry in sorted(expected.items()):
            target = into.joinpath(*PurePosixPath(name).parts)
            if not target.resolve().is_relative_to(into.resolve()):
                raise UnsafeMember(name, "path leaves the work folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            with archive.open(name) as source, target.open("xb") as sink:
                while chunk := source.read(_CHUNK):
                    size += len(chunk)
                    if size > entry["size"]:
                        raise UnsafeMember(name, "more data than the manifest says")
                    digest.update(chunk)
                    sink.write(chunk)
            if digest.hexdigest() != entry.get("sha256"):
                raise UnsafeMember(name, "sha256 differs from the manifest")
            mode = (archive.getinfo(name).external_attr >> 16) & 0o777
            target.chmod(0o755 if mode & 0o111 else 0o644)
    return manifest


# -- environment -----------------------------------------------------------------------
def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobpack" / "envs"


def environment_key(workdir: Path, manifest: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    digest.update(sys.executable.encode())
    for name in ("requirements.txt", "constraints.txt"):
        file = workdir / name
        digest.update(file.read_bytes() if file.exists() else b"")
    for wheel in sorted(manifest.get("wheels", []), key=lambda w: str(w.get("file"))):
        digest.update(str(wheel.get("sha256")).encode())
    return digest.hexdigest()[:24]


def prepare_environment(
    workdir: Path, manifest: dict[str, Any], cache: Path, offline: bool
) -> Path:
    """A venv with the job's requirements, reused when the same requirements ran before."""
    if manifest.get("python", {}).get("mode") == "plain":
        return Path(sys.prefix)
    requirements = workdir / "requirements.txt"
    needs_install = any(
        line.strip() and not line.startswith(("-", "#"))
        for line in requirements.read_text(encoding="utf-8").splitlines()
    )
    env = cache / environment_key(workdir, manifest)
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / (env.name + ".lock")):
        if (env / ".jobpack-complete").exists():
            _say(f"reusing environment {env}")
            return env
        if env.exists():
            shutil.rmtree(env)
        _create_venv(env, with_pip=needs_install)
        if needs_install:
            _install(env, workdir, manifest, offline)
        (env / ".jobpack-complete").write_text("ok\n")
    return env


@contextlib.contextmanager
def _locked(lock: Path):  # type: ignore[no-untyped-def]
    import fcntl

    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _create_venv(env: Path, with_pip: bool) -> None:
    _say(f"creating environment {env}")
    try:
        venv.EnvBuilder(with_pip=with_pip, clear=True).create(env)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(env, ignore_errors=True)
        raise RunnerError(
            f"cannot create a virtual environment ({exc}); on Debian/Ubuntu install "
            f"python3-venv (apt-get install python{sys.version_info[0]}.{sys.version_info[1]}-venv)"
        ) from None
    if with_pip and not (_python(env)).exists():
        raise RunnerError("the venv has no python; install python3-venv")


def _python(env: Path) -> Path:
    return env / "bin" / "python"


def _install(env: Path, workdir: Path, manifest: dict[str, Any], offline: bool) -> None:
    command = [str(_python(env)), "-m", "pip", "install", "--disable-pip-version-check",
               "--no-input", "-r", str(workdir / "requirements.txt")]
    if manifest.get("pip", {}).get("no_deps"):
        command.append("--no-deps")
    wheels = workdir / "wheels"
    bundled = {str(w.get("name")) for w in manifest.get("wheels", [])}
    needed = {r.get("name") for r in manifest.get("requirements", [])}
    if wheels.is_dir():
        command += ["--find-links", str(wheels)]
        if needed <= bundled or offline:
            command.append("--no-index")
    elif offline and needed:
        raise RunnerError("--offline: the archive carries no wheels; build it with --wheels")
    _say("installing requirements")
    result = subprocess.run(command, cwd=workdir, check=False)
    if result.returncode != 0:
        shutil.rmtree(env, ignore_errors=True)
        raise RunnerError(f"pip install failed with exit code {result.returncode}")


# -- running ---------------------------------------------------------------------------
def job_environment(env: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """The caller's environment minus what would leak the caller's Python into the job."""
    result = {k: v for k, v in os.environ.items()
              if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
                           "VIRTUAL_ENV", "PYTHONSAFEPATH"}}
    result["PYTHONNOUSERSITE"] = "1"
    if manifest.get("python", {}).get("mode") != "plain":
        result["VIRTUAL_ENV"] = str(env)
        result["PATH"] = str(env / "bin") + os.pathsep + result.get("PATH", os.defpath)
    for name, value in sorted(manifest.get("env", {}).get("vars", {}).items()):
        if value is not None:
            result[name] = str(value)
    return result


def build_command(manifest: dict[str, Any], src: Path, extra: list[str]) -> str:
    paths = {item["var"]: src / item["path"]
             for item in manifest.get("inputs", []) + manifest.get("outputs", [])
             if item.get("var")}
    cmd = manifest.get("cmd") or ""
    if not cmd:
        raise RunnerError("the manifest has no cmd to run")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in paths:
            raise RunnerError(f"cmd uses ${{{name}}}, which no input or output defines")
        return shlex.quote(str(paths[name]))

    command = _VARIABLE.sub(substitute, cmd)
    return " ".join([command, *(shlex.quote(a) for a in extra)])


def command_argv(command: str, env: dict[str, str]) -> list[str]:
    """A simple command runs directly (so signals reach the job, not a shell that dies of
    them first); one with shell syntax (`&&`, pipes, redirections) runs under /bin/sh."""
    if not _SHELL_SYNTAX.search(command):
        try:
            argv = shlex.split(command)
        except ValueError:
            argv = []
        program = shutil.which(argv[0], path=env.get("PATH")) if argv else None
        if program is not None:
            return [program, *argv[1:]]
    return ["/bin/sh", "-c", command]


def run_command(command: str, cwd: Path, env: dict[str, str]) -> int:
    """Run `command`, forwarding SIGINT/SIGTERM to its process group; return its exit code."""
    process = subprocess.Popen(command_argv(command, env), cwd=cwd, env=env,
                               start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def collect_outputs(manifest: dict[str, Any], src: Path, into: Path) -> list[str]:
    collected = []
    for item in manifest.get("outputs", []):
        source = src / item["path"]
        if not source.exists():
            _say(f"output {item['path']} was not produced")
            continue
        target = into / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        collected.append(str(target))
    return collected


def check_python(manifest: dict[str, Any], allow_mismatch: bool) -> None:
    wanted = str(manifest.get("target", {}).get("python", ""))
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if wanted and wanted != running:
        message = f"the job targets Python {wanted} but this is Python {running}"
        if not allow_mismatch:
            raise RunnerError(message + " (use --allow-python-mismatch to run anyway)")
        _say("warning: " + message)


def _say(message: str) -> None:
    print(f"jobpack: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    extra: list[str] = []
    if "--" in argv:
        index = argv.index("--")
        argv, extra = argv[:index], argv[index + 1 :]
    parser = argparse.ArgumentParser(prog="jobpack run", description=__doc__)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--workdir", type=Path, help="unpack here (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--env-cache", type=Path, help="where environments are cached")
    parser.add_argument("--offline", action="store_true", help="never use the network")
    parser.add_argument("--output-dir", type=Path, default=Path("jobpack-outputs"),
                        help="where declared outputs are collected (default: ./jobpack-outputs)")
    parser.add_argument("--allow-python-mismatch", action="store_true")
    args = parser.parse_args(argv)
    args.extra = extra
    return args


def run(args: argparse.Namespace) -> int:
    archive = args.archive.resolve()
    if args.workdir is not None:
        workdir = args.workdir.resolve()
        if workdir.exists() and any(workdir.iterdir()):
            raise RunnerError(f"--workdir {workdir} is not empty")
        workdir.mkdir(parents=True, exist_ok=True)
        remove = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="jobpack-run-"))
        remove = not args.keep
    try:
        manifest = unpack(archive, workdir)
        check_python(manifest, args.allow_python_mismatch)
        env = prepare_environment(workdir, manifest, args.env_cache or cache_root(), args.offline)
        src = workdir / "src"
        src.mkdir(exist_ok=True)
        for item in manifest.get("outputs", []):
            (src / item["path"]).parent.mkdir(parents=True, exist_ok=True)
        command = build_command(manifest, src, args.extra)
        _say(f"running: {command}")
        code = run_command(command, src, job_environment(env, manifest))
        outputs = collect_outputs(manifest, src, args.output_dir.resolve())
        for path in outputs:
            _say(f"output: {path}")
        _say(f"job exited with code {code}")
        return code
    finally:
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.workdir is None:
            _say(f"work folder kept: {workdir}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (zipfile.BadZipFile, OSError) as exc:
        print(f"error: {args.archive}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Run as `python3 job.jobpack.zip ...`: sys.argv[0] is the archive itself.
    if sys.argv and zipfile.is_zipfile(sys.argv[0]):
        sys.exit(main([sys.argv[0], *sys.argv[1:]]))
    sys.exit(main())
