"""The `jobpack` command: a thin typer layer over the library.

Errors become one line on stderr and a non-zero exit code here, and only here (`main`);
`--debug` re-raises them with their traceback.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from typer.core import TyperCommand

from jobpack.errors import JobpackError

if TYPE_CHECKING:
    from rich.console import Console

    from jobpack.analyzer.api import Analysis
    from jobpack.destinations import JobStatus
    from jobpack.destinations.ray import RayCluster
    from jobpack.manifest import Diagnostic

app = typer.Typer(
    name="jobpack",
    help="Ship a Python job to a Linux x86_64 VM as one byte-reproducible archive.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags without a misleading <bool> metavar
)


@dataclass
class Settings:
    """The root options, carried to every command as typer's context object."""

    debug: bool = False


class Format(str, Enum):
    table = "table"
    json = "json"
    requirements = "requirements"
    pep723 = "pep723"
    pylock = "pylock"


class GraphFormat(str, Enum):
    html = "html"
    dot = "dot"
    mermaid = "mermaid"


Entries = Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045 - typer needs Optional
    help="Entry points: script paths, or '-m pkg.mod'.", show_default=False,
    metavar="ENTRY")]
ConfigOption = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--config", "-c", help="A DataSphere-style job config.yaml.", dir_okay=False,
    metavar="FILE")]
PythonOption = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--python", help="Interpreter whose environment is analysed (default: $VIRTUAL_ENV, "
    "else the one running jobpack).", metavar="PATH")]
CacheDirOption = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--cache-dir", help="Cache of per-file import facts (default: $JOBPACK_CACHE_DIR, "
    "else the user cache folder).", metavar="DIR")]
NoCacheOption = Annotated[bool, typer.Option(
    "--no-cache", help="Parse every file afresh.", show_default=False)]
TargetOption = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--target-python", help="Python X.Y the job runs on (default: the config's or the "
    "analysed interpreter's).", metavar="X.Y")]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="Warnings fail the command too (exit 1), for CI.", show_default=False)]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only warnings, errors and the result.", show_default=False)]
VerboseOption = Annotated[bool, typer.Option(
    "--verbose", "-v", help="List every diagnostic instead of grouping repeats.",
    show_default=False)]
ExcludeOption = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--exclude", help="Do not ship this distribution, nor what only it brings in "
    "(repeatable).", metavar="NAME")]


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"jobpack {version('jobpack')}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks.", show_default=False)] = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print jobpack's version and exit.", callback=_version,
        is_eager=True, show_default=False)] = False,
) -> None:
    ctx.ensure_object(Settings).debug = debug


def _analyze(entries: list[str] | None, config: Path | None, python: str | None,
             target: str | None, cache_dir: Path | None = None, no_cache: bool = False,
             read_pep723: bool = True, quiet: bool = False,
             exclude: list[str] | None = None) -> Analysis:
    from jobpack.analyzer.api import analyze
    from jobpack.report import progress_reporter

    with progress_reporter(_console(stderr=True), quiet) as on_progress:
        return analyze(entries or [], config=config, python=_python(python),
                       target_python=target, cache_dir=_cache_dir(cache_dir),
                       no_cache=no_cache, read_pep723=read_pep723, on_progress=on_progress,
                       workers=_workers(), cwd=Path.cwd(), exclude=exclude or ())


# The process environment is read here, and only here; the library is told.
def _python(python: str | None) -> str | None:
    """`--python`, else `$VIRTUAL_ENV`'s interpreter, else None (jobpack's own)."""
    virtual_env = os.environ.get("VIRTUAL_ENV")
    if python or not virtual_env:
        return python
    from jobpack.analyzer.environment import venv_python

    return venv_python(virtual_env)


def _cache_dir(given: Path | None) -> Path:
    from jobpack.paths import cache_dir

    return given or cache_dir(os.environ.get("JOBPACK_CACHE_DIR"))


def _workers() -> int | None:
    """`$JOBPACK_WORKERS` (1 parses sequentially), else None: every core."""
    raw = os.environ.get("JOBPACK_WORKERS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def _source_date_epoch() -> int | None:
    from jobpack.packager.archive import parse_epoch

    return parse_epoch(os.environ.get("SOURCE_DATE_EPOCH"))


@app.command("analyze")
def analyze_command(
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    output_format: Annotated[Format, typer.Option(
        "--format", "-f", help="What to print: a report, the manifest (json), a pip "
        "requirements file, a PEP 723 block, or a PEP 751 pylock.toml.",
        metavar="[table|json|requirements|pep723|pylock]")] = Format.table,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Same as --format json.", show_default=False)] = False,
    requirements: Annotated[bool, typer.Option(
        "--requirements", help="Same as --format requirements.", show_default=False)] = False,
    write_pep723: Annotated[bool, typer.Option(
        "--write-pep723", help="Insert or update the PEP 723 block in the entry script.",
        show_default=False)] = False,
    strict: StrictOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    exclude: ExcludeOption = None,
) -> None:
    """Find what a job needs, without running it, and print the manifest."""
    from jobpack import report

    chosen = Format.json if as_json else Format.requirements if requirements else output_format
    fresh = write_pep723 or chosen is Format.pep723  # infer anew, keep what a block declared
    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache,
                        read_pep723=not fresh, quiet=quiet, exclude=exclude)
    if write_pep723:
        report.write_pep723(analysis, _console(stderr=True))
    if chosen is Format.table:
        report.print_analysis(analysis, _console(), quiet=quiet, verbose=verbose)
    else:
        sys.stdout.write(report.render_format(analysis, chosen.value))
        report.print_diagnostics_grouped(analysis.manifest.diagnostics, _console(stderr=True),
                                         verbose=verbose, infos=False)
    _exit_for(analysis.manifest.diagnostics, strict)


def _print_diagnostics_to_stderr(analysis: Analysis) -> None:
    from jobpack.report import print_diagnostics_grouped

    print_diagnostics_grouped(analysis.manifest.diagnostics, _console(stderr=True),
                              infos=False)


def _exit_for(diagnostics: tuple[Diagnostic, ...], strict: bool) -> None:
    failing = {"error", "warning"} if strict else {"error"}
    if any(d.level in failing for d in diagnostics):
        raise typer.Exit(1)


@app.command("why")
def why_command(
    name: Annotated[str, typer.Argument(help="A distribution, import name or local module.")],
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    exclude: ExcludeOption = None,
) -> None:
    """Show the chains of imports from an entry point to NAME."""
    from jobpack.analyzer.api import why
    from jobpack.report import print_explanation

    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache,
                        exclude=exclude)
    print_explanation(why(analysis, name), analysis, _console())


@app.command("graph")
def graph_command(
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    output: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--output", "-o", help="Write here (default: graph.html, or stdout for dot and "
        "mermaid).", metavar="FILE")] = None,
    graph_format: Annotated[GraphFormat, typer.Option(
        "--format", "-f", help="A self-contained HTML page, or Graphviz dot, or Mermaid.",
        metavar="[html|dot|mermaid]")
    ] = GraphFormat.html,
    exclude: ExcludeOption = None,
) -> None:
    """Draw the job: local modules, distributions and the imports between them."""
    from jobpack.graph_html import render_graph

    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache,
                        exclude=exclude)
    text = render_graph(analysis, graph_format.value)
    if output is None and graph_format is not GraphFormat.html:
        sys.stdout.write(text)
        return
    target = output or Path("graph.html")
    target.write_text(text, encoding="utf-8")
    typer.echo(str(target))


def main() -> None:
    """Console-script entry point: run the app, turn `JobpackError`s into one line."""
    from jobpack.analyzer.entries import module_arguments

    settings = Settings()
    try:
        app(args=module_arguments(sys.argv[1:]), obj=settings)
    except JobpackError as exc:
        if settings.debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


@app.command("trace")
def trace_command(
    entry: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help="The script to run (with --config: the first of ARGS).", show_default=False,
        metavar="[ENTRY]")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045
        help="Arguments for the job, after --.", show_default=False)] = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    exclude: ExcludeOption = None,
) -> None:
    """RUNS THE JOB (your code) once locally with an import recorder, and lists every
    module imported at run time that the static manifest lacks (exit 1 if any; exit 2 if
    only the job failed). analyze and build never run your code; trace does."""
    from jobpack.analyzer import trace as tracing

    rest = [entry, *(args or [])] if entry is not None else list(args or [])
    if config is not None:
        analysis = _analyze(None, config, python, target_python, cache_dir, exclude=exclude)
        command = [analysis.manifest.cmd or "", *rest]
        cwd, shell = analysis.root, True
    else:
        if not rest:
            raise typer.BadParameter("name the script to run, or use --config")
        analysis = _analyze([rest[0]], None, python, target_python, cache_dir,
                            exclude=exclude)
        command, cwd, shell = [str(Path(rest[0]).resolve()), *rest[1:]], Path.cwd(), False
    result = tracing.trace(analysis, command, python=tracing.analysed_python(analysis),
                           cwd=cwd, shell=shell)
    for line in tracing.render(result, analysis.root):
        typer.echo(line, err=True)
    if result.missing:
        raise typer.Exit(1)
    if result.returncode != 0:
        raise typer.Exit(2)


@app.command("build")
def build_command(
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    output: Annotated[Optional[str], typer.Option(  # noqa: UP045 - str keeps a trailing /
        "--output", "-o", help="Archive path, or a folder for NAME.jobpack.zip.",
        metavar="PATH")] = None,
    wheels: Annotated[bool, typer.Option(
        "--wheels", help="Bundle the target's wheels so the VM installs offline.",
        show_default=False)] = False,
    allow_sdist: Annotated[bool, typer.Option(
        "--allow-sdist", help="With --wheels: let pip build what has no wheel on the VM.",
        show_default=False)] = False,
    find_links: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--find-links", help="With --wheels: also look for wheels here.", metavar="URL")] = None,
    no_index: Annotated[bool, typer.Option(
        "--no-index", help="With --wheels: only use --find-links, never an index.",
        show_default=False)] = False,
    wheel_cache: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--wheel-cache", help="Where downloaded wheels are kept between builds.",
        metavar="DIR")] = None,
    strict: StrictOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    exclude: ExcludeOption = None,
) -> None:
    """Write a byte-reproducible archive of the job."""
    from jobpack import report
    from jobpack.packager.api import archive_name, build
    from jobpack.packager.output import output_path
    from jobpack.packager.wheels import WheelFetcher

    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache,
                        quiet=quiet, exclude=exclude)
    err = _console(stderr=True)
    if not quiet:
        err.print(report.first_line(analysis))
    report.print_diagnostics_grouped(analysis.manifest.diagnostics, err, verbose=verbose,
                                     infos=False)
    _exit_for(analysis.manifest.diagnostics, strict)
    name = archive_name(analysis.manifest, analysis.root, config)
    target = output_path(output, name)
    fetcher = None
    with report.progress_reporter(err, quiet, every=1) as progress:
        if wheels:
            fetcher = WheelFetcher(
                cache=wheel_cache or _cache_dir(None) / "wheels", allow_sdist=allow_sdist,
                python_version=_full_version(analysis),
                find_links=tuple(find_links or ()), no_index=no_index,
                on_progress=report.counting(progress, "fetching wheels",
                                            len(analysis.manifest.requirements)))
        result = build(analysis.manifest, analysis.source_map, target, wheels=fetcher,
                       epoch=_source_date_epoch())
    report.print_diagnostics_grouped(result.diagnostics, err, verbose=verbose, infos=False)
    if fetcher is not None and fetcher.skipped:
        typer.echo(f"warning: no wheel bundled for {', '.join(fetcher.skipped)}; "
                   "pip builds them on the VM", err=True)
    _console().print(f"{result.path}  {result.size} bytes  sha256:{result.sha256}")
    if not quiet:
        err.print(report.build_summary(analysis, result))
    _exit_for(result.diagnostics, strict)


@app.command("inspect")
def inspect_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Show an archive's manifest and members."""
    from jobpack.report import print_archive

    print_archive(archive, _console())


@app.command("verify")
def verify_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Recompute every digest; name any member that differs, is missing or unexpected."""
    from jobpack.runner.verify import verify

    problems = verify(archive)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{archive}: OK")


@app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                      "help_option_names": []},  # --help is the runner's: its real options
)
def run_command(ctx: typer.Context) -> None:
    """Run an archive as the VM would (same as python3 ARCHIVE); see jobpack run --help.

    The job's own arguments go after `--`.
    """
    from jobpack.runner.main import main as run_main

    args = list(ctx.args)
    try:
        code = run_main(args)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else 2
        if code == 2 and "--" not in args:
            typer.echo("hint: the job's own arguments go after '--': "
                       "jobpack run ARCHIVE -- ARGS", err=True)
    raise typer.Exit(code)


# -- destinations: run an archive on a Ray cluster -------------------------------------
RayOption = Annotated[str, typer.Option(
    "--ray", help="The Ray cluster's dashboard address, e.g. http://HOST:8265.",
    show_default=False)]
JobIdArgument = Annotated[str, typer.Argument(help="The job's submission id.")]


class _JobArgsCommand(TyperCommand):
    """Keeps what follows `--` for the job, even when no ARCHIVE precedes it."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if "--" in args:
            index = args.index("--")
            args, ctx.meta["job_args"] = args[:index], args[index + 1:]
        return super().parse_args(ctx, args)


@app.command("submit", cls=_JobArgsCommand)
def submit_command(
    ctx: typer.Context,
    ray: RayOption,
    archive: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help="A .jobpack.zip archive (or build one with --config).", show_default=False)
    ] = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    name: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--name", help="A name for the job, shown by Ray.")] = None,
    num_cpus: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--num-cpus", help="CPUs reserved for the job.")] = None,
    num_gpus: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--num-gpus", help="GPUs reserved for the job.")] = None,
    memory: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--memory", help="Memory reserved for the job, e.g. 4G.")] = None,
    env: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--env", help="KEY=VALUE set in the job's environment (repeatable).")] = None,
    no_wait: Annotated[bool, typer.Option(
        "--no-wait", help="Print the submission id and return.")] = False,
    outputs_to: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--outputs-to", help="Where the job's declared outputs go, as the cluster sees it "
        "(shared storage).")] = None,
) -> None:
    """Run an archive on a Ray cluster; stream its logs; exit with its status.

    Job arguments follow `--`. Ctrl-C asks whether to stop the job or detach.
    """
    import tempfile

    from jobpack.destinations import JobRequest, parse_env, parse_size
    from jobpack.destinations.ray import RayCluster

    try:
        job = JobRequest(args=tuple(ctx.meta.get("job_args", ())), name=name,
                         num_cpus=num_cpus, num_gpus=num_gpus,
                         memory=parse_size(memory) if memory is not None else None,
                         env=parse_env(env or []), outputs_to=outputs_to)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if (archive is None) == (config is None):
        raise typer.BadParameter("give either ARCHIVE or --config")
    cluster = RayCluster(ray)
    with tempfile.TemporaryDirectory(prefix="jobpack-submit-") as folder:
        if archive is None:
            archive = _build_for_submit(config, python, target_python, Path(folder))
        submission = cluster.submit(archive, job)
    typer.echo(f"{'uploaded' if submission.uploaded else 'cluster already has'} "
               f"{submission.package}", err=True)
    if no_wait:
        typer.echo(submission.job_id)
        return
    typer.echo(f"submitted {submission.job_id}", err=True)
    raise typer.Exit(_follow_job(cluster, submission.job_id))


def _build_for_submit(config: Path | None, python: str | None, target: str | None,
                      folder: Path) -> Path:
    from jobpack.packager.api import archive_name, build

    analysis = _analyze(None, config, python, target)
    _print_diagnostics_to_stderr(analysis)
    result = build(analysis.manifest, analysis.source_map,
                   folder / archive_name(analysis.manifest, analysis.root, config),
                   epoch=_source_date_epoch())
    typer.echo(f"built {result.path.name}  sha256:{result.sha256}", err=True)
    return result.path


def _follow_job(cluster: RayCluster, job_id: str) -> int:
    """Stream the job's logs until it ends; its exit code, or 130 when detached."""
    def on_state(status: JobStatus) -> None:
        if not status.finished:
            typer.echo(_status_line(status), err=True)

    try:
        for chunk in cluster.follow(job_id, on_state):
            sys.stdout.write(chunk)
            sys.stdout.flush()
    except KeyboardInterrupt:
        if not _stop_wanted():
            typer.echo(f"detached; {job_id} keeps running (jobpack logs {job_id} --ray "
                       f"{cluster.address} --follow)", err=True)
            return 130
        cluster.stop(job_id)
        typer.echo(f"stopping {job_id}", err=True)
        return _follow_job(cluster, job_id)
    status = cluster.status(job_id)
    if not status.finished or status.process_exit_code():
        typer.echo(_status_line(status), err=True)
    return int(status.process_exit_code())


def _stop_wanted() -> bool:
    if not sys.stdin.isatty():
        return False
    answer = typer.prompt("\nstop the job on the cluster, or detach and leave it running? "
                          "[stop/detach]", default="detach", show_default=False)
    return str(answer).strip().lower() in {"s", "stop"}


def _status_line(status: JobStatus) -> str:
    line = f"{status.job_id} {status.state}"
    if status.exit_code is not None:
        line += f" (exit code {status.exit_code})"
    # Ray appends the log's tail to a failure's message; the logs were shown already.
    message = status.message.strip().split(", last available logs")[0].splitlines()
    return f"{line}: {message[0]}" if message else line


@app.command("status")
def status_command(job_id: JobIdArgument, ray: RayOption) -> None:
    """Show a submitted job's state: PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED."""
    from jobpack.destinations.ray import RayCluster

    typer.echo(_status_line(RayCluster(ray).status(job_id)))


@app.command("logs")
def logs_command(
    job_id: JobIdArgument,
    ray: RayOption,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Keep printing until the job ends.")] = False,
) -> None:
    """Print a submitted job's logs."""
    from jobpack.destinations.ray import RayCluster

    cluster = RayCluster(ray)
    for chunk in cluster.follow(job_id) if follow else [cluster.logs(job_id)]:
        sys.stdout.write(chunk)
        sys.stdout.flush()


@app.command("stop")
def stop_command(job_id: JobIdArgument, ray: RayOption) -> None:
    """Ask a submitted job to stop."""
    from jobpack.destinations.ray import RayCluster

    stopped = RayCluster(ray).stop(job_id)
    typer.echo(f"{job_id}: {'stop requested' if stopped else 'had already finished'}")


def _full_version(analysis: Analysis) -> str | None:
    """X.Y.Z of the analysed interpreter, for pip's Requires-Python checks on the target."""
    environment = analysis.environment
    return None if environment is None else ".".join(map(str, environment.version))
