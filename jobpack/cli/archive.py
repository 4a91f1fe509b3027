"""Commands about the archive: `build`, `inspect`, `verify`, `unpack`, `run`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jobpack.cli.app import app
from jobpack.cli.common import (
    analyze_job,
    cache_folder,
    console,
    exit_for,
    source_date_epoch,
)
from jobpack.cli.options import DEFAULT_OUTPUT, JobOptions, OutputOptions, shared_options
from jobpack.errors import BuildError
from jobpack.packager.tiers import OPTIONAL_POLICIES, OptionalPolicy


@app.command("build")
@shared_options()
def build_command(
    job: JobOptions,
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
    no_bytecode: Annotated[bool, typer.Option(
        "--no-bytecode", help="With --wheels: do not ship the compiled library modules the "
        "job imports at start-up (a smaller archive, a slower first run).",
        show_default=False)] = False,
    optional: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--optional", help="The optional tier (installed on the job's first import of "
        "it): bundle its wheels, leave it to the index, or drop it (default: bundled "
        "with --wheels, else the index).", metavar="bundle|index|drop")] = None,
    shown: OutputOptions = DEFAULT_OUTPUT,
) -> None:
    """Write a byte-reproducible archive of the job."""
    from jobpack import report
    from jobpack.library import build
    from jobpack.packager.api import archive_name
    from jobpack.packager.output import output_path
    from jobpack.packager.wheels import WheelFetcher

    policy = _optional_policy(optional)
    analysis = analyze_job(job, quiet=shown.quiet)
    err = console(stderr=True)
    if not shown.quiet:
        err.print(report.first_line(analysis))
    report.print_diagnostics_grouped(analysis.manifest.diagnostics, err,
                                     verbose=shown.verbose, infos=False)
    exit_for(analysis.manifest.diagnostics, shown.strict)
    target = output_path(output, archive_name(analysis.manifest, analysis.root, job.config))
    fetcher = None
    with report.progress_reporter(err, shown.quiet, every=1) as progress:
        if wheels or optional == "bundle":
            fetcher = WheelFetcher(
                cache=wheel_cache or cache_folder(None) / "wheels", allow_sdist=allow_sdist,
                find_links=tuple(find_links or ()), no_index=no_index,
                on_progress=report.counting(progress, "fetching wheels",
                                            len(analysis.manifest.installed)))
        result = build(analysis, target, wheels=fetcher if wheels else None,
                       optional=policy, optional_wheels=fetcher,
                       bytecode=not no_bytecode,
                       bytecode_cache=None if job.no_cache
                       else cache_folder(job.cache_dir) / "bytecode",
                       layer_cache=None if job.no_cache
                       else cache_folder(job.cache_dir) / "layers",
                       source_date_epoch=source_date_epoch(), ignore=job.ignore)
    report.print_diagnostics_grouped(result.diagnostics, err, verbose=shown.verbose,
                                     infos=False)
    if fetcher is not None and fetcher.built and not shown.quiet:
        typer.echo(f"built from source (pure Python, kept in the wheel cache): "
                   f"{', '.join(fetcher.built)}", err=True)
    if fetcher is not None and fetcher.skipped:
        typer.echo(f"warning: no wheel bundled for {', '.join(fetcher.skipped)}; "
                   "pip builds them on the VM", err=True)
    console().print(f"{result.path}  {result.size} bytes  sha256:{result.sha256}")
    if not shown.quiet:
        err.print(report.build_summary(analysis, result))
    exit_for(result.diagnostics, shown.strict)


def _optional_policy(given: str | None) -> OptionalPolicy | None:
    for policy in OPTIONAL_POLICIES:
        if given == policy:
            return policy
    if given is not None:
        raise BuildError(f"--optional {given!r}: expected one of {', '.join(OPTIONAL_POLICIES)}")
    return None


@app.command("inspect")
def inspect_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Show an archive's manifest and members."""
    from jobpack.destinations.local import read_archive
    from jobpack.report import print_archive

    print_archive(read_archive(archive), console())


@app.command("verify")
def verify_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Recompute every digest; name any member that differs, is missing or unexpected."""
    from jobpack.destinations.local import verify_archive

    problems = verify_archive(archive)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{archive}: OK")


@app.command("unpack")
def unpack_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
    folder: Annotated[Path, typer.Argument(help="An empty or absent folder.")],
    layers: Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs Optional
        "--layers", metavar="DIRS",
        help="Folders (':'-separated) of dependency layers the archive does not carry.")]
        = None,
) -> None:
    """Lay the whole archive out in FOLDER, the wheels of its dependency layers included
    (FOLDER/pylock.toml then installs offline); every digest is checked."""
    from jobpack.destinations.local import unpack_archive

    unpack_archive(archive, folder, layers)  # the runner says what it wrote, on stderr


@app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                      "help_option_names": []},  # --help is the runner's: its real options
)
def run_command(ctx: typer.Context) -> None:
    """Run an archive as the VM would (same as python3 ARCHIVE); see jobpack run --help.

    The job's own arguments go after `--`.
    """
    from jobpack.destinations.local import LocalDestination
    from jobpack.layout import EXIT_USAGE

    args = list(ctx.args)
    code = LocalDestination().run_command_line(args)
    if code == EXIT_USAGE and "--" not in args:
        typer.echo("hint: the job's own arguments go after '--': "
                   "jobpack run ARCHIVE -- ARGS", err=True)
    raise typer.Exit(code)
