"""The `jobpack` command: a thin typer layer over the library.

Errors become one line on stderr and a non-zero exit code here, and only here;
`--debug` re-raises them with their traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from jobpack.errors import JobpackError

if TYPE_CHECKING:
    from rich.console import Console

    from jobpack.analyzer.api import Analysis

app = typer.Typer(
    name="jobpack",
    help="Ship a Python job to a Linux x86_64 VM as one byte-reproducible archive.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}

Entries = Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045 - typer needs Optional
    help="Entry points: script paths, or '-m pkg.mod'.", show_default=False)]
ConfigOption = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--config", "-c", help="A DataSphere-style job config.yaml.", dir_okay=False)]
PythonOption = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--python", help="Interpreter whose environment is analysed (default: $VIRTUAL_ENV, "
    "else the one running jobpack).")]
CacheDirOption = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--cache-dir", help="Cache of per-file import facts (default: $JOBPACK_CACHE_DIR, "
    "else the user cache folder).")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Parse every file afresh.")]
TargetOption = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--target-python", help="Python X.Y the job runs on (default: the config's or the "
    "analysed interpreter's).")]


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    _state["debug"] = debug


def _analyze(entries: list[str] | None, config: Path | None, python: str | None,
             target: str | None, cache_dir: Path | None = None, no_cache: bool = False
             ) -> Analysis:
    from jobpack.analyzer.api import analyze

    return analyze(entries or [], config=config, python=python, target_python=target,
                   cache_dir=cache_dir, no_cache=no_cache)


@app.command("analyze")
def analyze_command(
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    requirements: Annotated[bool, typer.Option(
        "--requirements", help="Print a pip requirements file.")] = False,
) -> None:
    """Find what a job needs, without running it, and print the manifest."""
    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache)
    manifest = analysis.manifest
    if as_json:
        sys.stdout.write(manifest.to_json())
    elif requirements:
        sys.stdout.write(manifest.requirements_txt())
    else:
        from jobpack.report import print_manifest

        print_manifest(manifest, _stdout())
    if as_json or requirements:
        _print_diagnostics_to_stderr(analysis)
    if manifest.has_errors:
        raise typer.Exit(1)


def _print_diagnostics_to_stderr(analysis: Analysis) -> None:
    for diagnostic in analysis.manifest.diagnostics:
        if diagnostic.level != "info":
            typer.echo(diagnostic.render(), err=True)


@app.command("why")
def why_command(
    name: Annotated[str, typer.Argument(help="A distribution, import name or local module.")],
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Show the chains of imports from an entry point to NAME."""
    from jobpack.analyzer.api import why

    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache)
    from jobpack.report import print_explanation

    print_explanation(why(analysis, name), analysis.graph, _stdout())


def main() -> None:
    """Console-script entry point: run the app, turn `JobpackError`s into one line."""
    from jobpack.analyzer.entries import module_arguments

    try:
        app(args=module_arguments(sys.argv[1:]))
    except JobpackError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


@app.command("build")
def build_command(
    entries: Entries = None,
    config: ConfigOption = None,
    python: PythonOption = None,
    target_python: TargetOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    output: Annotated[Optional[str], typer.Option(  # noqa: UP045 - str keeps a trailing /
        "--output", "-o", help="Archive path, or a folder for NAME.jobpack.zip.")] = None,
    wheels: Annotated[bool, typer.Option(
        "--wheels", help="Bundle the target's wheels so the VM installs offline.")] = False,
    allow_sdist: Annotated[bool, typer.Option(
        "--allow-sdist", help="With --wheels: let pip build what has no wheel on the VM.")
    ] = False,
    find_links: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--find-links", help="With --wheels: also look for wheels here.")] = None,
    no_index: Annotated[bool, typer.Option(
        "--no-index", help="With --wheels: only use --find-links, never an index.")] = False,
    wheel_cache: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--wheel-cache", help="Where downloaded wheels are kept between builds.")] = None,
) -> None:
    """Write a byte-reproducible archive of the job."""
    from jobpack.packager.api import archive_name, build
    from jobpack.packager.output import output_path
    from jobpack.packager.wheels import WheelFetcher
    from jobpack.paths import cache_dir as default_cache_dir

    analysis = _analyze(entries, config, python, target_python, cache_dir, no_cache)
    name = archive_name(analysis.manifest, analysis.root, config)
    target = output_path(output, name)
    fetcher = None
    console = _stdout()
    if wheels:
        fetcher = WheelFetcher(cache=wheel_cache or default_cache_dir() / "wheels",
                               allow_sdist=allow_sdist, find_links=tuple(find_links or ()),
                               no_index=no_index,
                               on_progress=lambda n: console.print(f"fetching wheel: {n}"))
    _print_diagnostics_to_stderr(analysis)
    result = build(analysis, target, wheels=fetcher)
    for diagnostic in result.diagnostics:
        typer.echo(diagnostic.render(), err=True)
    if fetcher is not None and fetcher.skipped:
        typer.echo(f"warning: no wheel bundled for {', '.join(fetcher.skipped)}; "
                   "pip builds them on the VM", err=True)
    console.print(f"{result.path}  {result.size} bytes  sha256:{result.sha256}")


@app.command("inspect")
def inspect_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Show an archive's manifest and members."""
    from jobpack.report import print_archive

    print_archive(archive, _stdout())


@app.command("verify")
def verify_command(
    archive: Annotated[Path, typer.Argument(help="A .jobpack.zip archive.")],
) -> None:
    """Recompute every digest; name any member that differs, is missing or unexpected."""
    from jobpack.runner.runner import verify

    problems = verify(archive)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{archive}: OK")


@app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run_command(ctx: typer.Context) -> None:
    """Run an archive as the VM would: verify, unpack, build the venv, run cmd.

    Same options as `python3 ARCHIVE`: [--workdir DIR] [--keep] [--env-cache DIR]
    [--offline] [--output-dir DIR] [--allow-python-mismatch] [-- ARGS].
    """
    from jobpack.runner.runner import main as run_main

    raise typer.Exit(run_main(list(ctx.args)))
