"""What the commands share: option types, reading the process environment (here and
nowhere else in jobpack), running the analysis with progress, and exit rules."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from jobpack.analyzer.api import Analysis
    from jobpack.manifest import Diagnostic


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


# -- destinations: run an archive on a Ray cluster -------------------------------------
RayOption = Annotated[str, typer.Option(
    "--ray", help="The Ray cluster's dashboard address, e.g. http://HOST:8265.",
    show_default=False)]


JobIdArgument = Annotated[str, typer.Argument(help="The job's submission id.")]


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def analyze_job(entries: list[str] | None, config: Path | None, python: str | None,
             target: str | None, cache_dir: Path | None = None, no_cache: bool = False,
             read_pep723: bool = True, quiet: bool = False,
             exclude: list[str] | None = None) -> Analysis:
    from jobpack.analyzer.api import analyze
    from jobpack.report import progress_reporter

    with progress_reporter(console(stderr=True), quiet) as on_progress:
        return analyze(entries or [], config=config, python=interpreter_from_env(python),
                       target_python=target, cache_dir=cache_folder(cache_dir),
                       no_cache=no_cache, read_pep723=read_pep723, on_progress=on_progress,
                       workers=parse_workers(), cwd=Path.cwd(), exclude=exclude or ())


# The process environment is read here, and only here; the library is told.
def interpreter_from_env(python: str | None) -> str | None:
    """`--python`, else `$VIRTUAL_ENV`'s interpreter, else None (jobpack's own)."""
    virtual_env = os.environ.get("VIRTUAL_ENV")
    if python or not virtual_env:
        return python
    from jobpack.analyzer.environment import venv_python

    return venv_python(virtual_env)


def cache_folder(given: Path | None) -> Path:
    from jobpack.paths import cache_dir

    return given or cache_dir(os.environ.get("JOBPACK_CACHE_DIR"))


def parse_workers() -> int | None:
    """`$JOBPACK_WORKERS` (1 parses sequentially), else None: every core."""
    raw = os.environ.get("JOBPACK_WORKERS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def source_date_epoch() -> int | None:
    from jobpack.packager.archive import parse_epoch

    return parse_epoch(os.environ.get("SOURCE_DATE_EPOCH"))


def print_diagnostics_to_stderr(analysis: Analysis) -> None:
    from jobpack.report import print_diagnostics_grouped

    print_diagnostics_grouped(analysis.manifest.diagnostics, console(stderr=True),
                              infos=False)


def exit_for(diagnostics: tuple[Diagnostic, ...], strict: bool) -> None:
    failing = {"error", "warning"} if strict else {"error"}
    if any(d.level in failing for d in diagnostics):
        raise typer.Exit(1)


def full_version(analysis: Analysis) -> str | None:
    """X.Y.Z of the analysed interpreter, for pip's Requires-Python checks on the target."""
    environment = analysis.environment
    return None if environment is None else ".".join(map(str, environment.version))
