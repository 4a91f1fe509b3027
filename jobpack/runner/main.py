"""The runner's command line: `python3 job.zip [options] [-- job arguments]`, and
`jobpack run ARCHIVE ...`, which calls the same `main`.

One orchestrator over the steps, each in its own module: verify (before a byte is
written) -> unpack -> environment (cached) -> run -> outputs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from jobpack.layout import EXIT_FAILURE, RunSpec, same_python

from . import outputs
from .cache import DEFAULT_MAX, cache_root, parse_size, prune
from .environment import prepared
from .errors import Interrupted, RunnerError
from .lay_out import lay_out
from .layers import Layers, search_folders
from .notebook import notebook_argv
from .optional import install_requested, job_spec, layer_folders
from .progress import say
from .run import command_argv, job_environment, run_job, variables
from .unpack import unpack
from .verify import read_spec
from .workdirs import WorkFolder, sweep

DESCRIPTION = """\
Run the job packed in this archive: check every file against the archive's manifest,
unpack it into a fresh work folder, set up its Python environment (from the bundled
wheels, without pip or network, when the archive has them; cached for later runs), run
its command, and collect its declared outputs into a new folder of their own."""

EPILOG = """\
job arguments:
  -- ARGS              everything after -- is appended to the job's command

environment:
  DS_PROJECT_HOME, dataset variables
                       values for ${NAME}s the job's command uses at run time
  JOBPACK_ENV_CACHE    the environment cache folder (like --env-cache)
  JOBPACK_ENV_CACHE_MAX
                       its size cap (like --env-cache-max)
  JOBPACK_LAYERS       folders of dependency layers sent apart (like --layers)"""


def parse_args(argv: list[str], archive: str | None) -> argparse.Namespace:
    extra: list[str] = []
    if "--" in argv:
        index = argv.index("--")
        argv, extra = argv[:index], argv[index + 1 :]
    prog = f"python3 {Path(archive).name}" if archive else "jobpack run"
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, epilog=EPILOG,
        usage=f"{prog}{'' if archive else ' ARCHIVE'} [options] [-- ARGS]",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    if archive is None:
        parser.add_argument("archive", help="the .jobpack.zip archive to run")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help="collect outputs into a new folder under DIR "
                             "(default: ./jobpack-outputs)")
    parser.add_argument("--offline", action="store_true",
                        help="never use the network (every requirement must be bundled)")
    parser.add_argument("--env-cache", type=Path, metavar="DIR",
                        help="where environments are cached (default: ~/.cache/jobpack/envs)")
    parser.add_argument("--env-cache-max", metavar="SIZE",
                        help=f"prune cached environments beyond SIZE, least recently used "
                             f"first (default: {DEFAULT_MAX}); unused for 30 days: always")
    parser.add_argument("--prune-cache", action="store_true",
                        help="prune the environment cache, then exit without running")
    parser.add_argument("--workdir", type=Path, metavar="DIR",
                        help="unpack into DIR, which must be empty (kept afterwards)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary work folder and print its path")
    parser.add_argument("--layers", metavar="DIRS",
                        help="folders (':'-separated) holding dependency layers the archive "
                             "does not carry (jobpack-layer-SHA256.zip); its own folder is "
                             "searched last")
    parser.add_argument("--unpack", type=Path, metavar="DIR",
                        help="lay the whole archive out in DIR (empty or absent), its "
                             "dependency layers' wheels included (so DIR/pylock.toml "
                             "installs offline), then exit without running")
    parser.add_argument("--allow-python-mismatch", action="store_true",
                        help="run even when this Python is not the version the job targets")
    # the job's import hook asks for an optional distribution (optional.py); not for users
    parser.add_argument("--install-optional", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--optional-spec", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--imported", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.archive = Path(archive if archive is not None else args.archive)
    args.extra = extra
    return args


def check_python(spec: RunSpec, allow_mismatch: bool) -> None:
    wanted = spec.python
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if wanted and not same_python(wanted, sys.version_info[:2]):
        message = f"the job targets Python {wanted} but this is Python {running}"
        if not allow_mismatch:
            raise RunnerError(message + " (use --allow-python-mismatch to run anyway)")
        say("warning: " + message)


def _cache_cap(args: argparse.Namespace) -> int:
    return parse_size(args.env_cache_max or os.environ.get("JOBPACK_ENV_CACHE_MAX")
                      or DEFAULT_MAX)


def _workdir(args: argparse.Namespace) -> tuple[Path, WorkFolder | None]:
    """The work folder, and the temporary one to remove at the end (None: --workdir)."""
    if args.workdir is None:
        temporary = WorkFolder()
        return temporary.path, temporary
    workdir = Path(args.workdir).absolute()
    if workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
        raise RunnerError(f"--workdir {workdir} is not an empty folder")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, None


def _sweep() -> None:
    """Remove the work folders killed runs left (`workdirs.py`), saying so."""
    removed = sweep()
    if removed:
        say(f"removed {len(removed)} work folder(s) that killed runs left in "
            f"{removed[0].parent}")


def run(args: argparse.Namespace) -> int:
    """Check, unpack, prepare, run, collect; return the job's exit code."""
    archive = Path(args.archive).absolute()
    cache = cache_root(args.env_cache)
    prune(cache, _cache_cap(args))
    _sweep()
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    check_python(spec, args.allow_python_mismatch)
    output_root = None
    if spec.outputs or args.output_dir is not None:
        output_root = outputs.check_output_root(args.output_dir or outputs.DEFAULT)
    workdir, temporary = _workdir(args)
    remove = temporary is not None and not args.keep
    try:
        src = workdir / "src"
        value = variables(spec, src, os.environ)
        command_argv(spec, value, [], None)  # every ${NAME} is set, before any work
        unpack(archive, workdir, spec)
        folders = search_folders(archive, args.layers)
        joined = workdir / "layers"  # layers sent in parts are joined here, when needed
        with prepared(workdir, spec, cache, args.offline,
                      Layers(archive, spec, folders, joined)) as env:
            src.mkdir(exist_ok=True)
            outputs.prepare(spec, src)
            job_env = job_environment(env, spec, os.environ, src)
            job_env.update(job_spec(spec, workdir, archive, env, args.offline,
                                    [joined, *folders]))
            argv = notebook_argv(command_argv(spec, value, args.extra, job_env.get("PATH")),
                                 workdir)
            say("running: " + " ".join(argv))
            code = run_job(argv, src, job_env)
            say(f"job exited with code {code}")
        if output_root is not None and not _collect(spec, src, output_root, workdir):
            remove = False
            return code or EXIT_FAILURE
        return code
    finally:
        if temporary is not None:
            if remove:
                temporary.remove()
            else:
                temporary.keep()  # before the lock goes: no later run may remove it
                temporary.release()
                say(f"work folder kept: {workdir}")


def _install_optional(args: argparse.Namespace) -> None:
    """What the job's import hook asks for: one optional distribution, installed into
    the environment its spec names (and what it requires of the optional tier), its
    bundled wheel read in place from the dependency layer holding it."""
    archive = Path(args.archive).absolute()
    if args.optional_spec is None:
        raise RunnerError("--install-optional needs --optional-spec")
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    given = args.layers if args.layers is not None else layer_folders(args.optional_spec)
    folders = search_folders(archive, given)
    scratch = WorkFolder("jobpack-layers-")
    try:
        install_requested(list(spec.optional), args.install_optional, args.optional_spec,
                          Layers(archive, spec, folders, scratch.path).open, args.imported)
    finally:
        scratch.remove()


def _collect(spec: RunSpec, src: Path, root: Path, workdir: Path) -> bool:
    try:
        folder, missing, left_out = outputs.collect(spec, src, root)
    except OSError as exc:
        say(f"error: could not collect the outputs into {root}: {exc}; the job's files "
            f"are kept in {src}")
        return False
    for path in missing:
        say(f"output {path} was not produced")
    for path in left_out:
        say(f"output {path} left out: not a regular file (a FIFO, socket or device)")
    say(f"outputs: {folder}")
    return True


def interrupt_in(pid: int) -> Callable[[int, object], None]:
    """SIGTERM's handler for the runner's process `pid`: `Interrupted` is raised there, so
    what is half built is removed. A worker forked from it inherits the handler until it
    sets its own; stopped by the runner in that moment (another worker's full disk), it
    raised there too, and printed a traceback: now it just ends, as by default."""
    def interrupt(signum: int, _frame: object) -> None:
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Interrupted(signum)

    return interrupt


def main(argv: list[str] | None = None, archive: str | None = None) -> int:
    """`python3 job.zip` passes `archive` (sys.argv[0]); `jobpack run` passes it in argv."""
    args = parse_args(sys.argv[1:] if argv is None else argv, archive)
    previous = signal.signal(signal.SIGTERM, interrupt_in(os.getpid()))
    try:
        if args.install_optional:
            _install_optional(args)
            return 0
        if args.unpack is not None:
            lay_out(Path(args.archive).absolute(), args.unpack,
                    search_folders(Path(args.archive).absolute(), args.layers))
            return 0
        if args.prune_cache:
            removed = prune(cache_root(args.env_cache), _cache_cap(args))
            say(f"pruned {len(removed)} environments")
            return 0
        return run(args)
    except KeyboardInterrupt:
        say("error: interrupted; nothing half-built was kept")
        return Interrupted(signal.SIGINT).exit_code
    except RunnerError as exc:
        say(f"error: {exc}")
        return exc.exit_code
    except zipfile.BadZipFile as exc:
        say(f"error: {args.archive}: not a jobpack archive ({exc})")
        return EXIT_FAILURE
    except OSError as exc:
        say(f"error: {exc}")
        return EXIT_FAILURE
    finally:
        signal.signal(signal.SIGTERM, previous)
