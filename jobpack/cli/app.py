"""The typer app, its root options, and `main`: the one place where errors become
messages and exit codes (`--debug` re-raises them with their traceback)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from jobpack.errors import JobpackError
from jobpack.layout import EXIT_FAILURE

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


def main() -> None:
    """Console-script entry point: run the app, turn `JobpackError`s into one line."""
    from jobpack.analyzer.entries import module_arguments

    settings = Settings()
    for stream in (sys.stdout, sys.stderr):  # a file name of any bytes prints, escaped
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        app(args=module_arguments(sys.argv[1:]), obj=settings)
    except JobpackError as exc:
        if settings.debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a full disk, a folder that vanished: one line, not a traceback
        if settings.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)
