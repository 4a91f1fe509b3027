"""What the commands share besides the options (`jobpack.cli.options`): a few option
types, reading the process environment (here and nowhere else in jobpack), running the
analysis with progress, and exit rules."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from jobpack.analyzer.api import Analysis
    from jobpack.cli.options import JobOptions
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


# -- destinations: run an archive on a Ray cluster -------------------------------------
RayOption = Annotated[str, typer.Option(
    "--ray", help="The Ray cluster's dashboard address, e.g. http://HOST:8265.",
    show_default=False)]


JobIdArgument = Annotated[str, typer.Argument(help="The job's submission id.")]


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def analyze_job(job: JobOptions, *, read_pep723: bool = True, quiet: bool = False,
                explain: bool = False) -> Analysis:
    """Analyse the job `job` names, with progress on stderr unless `quiet` (`explain`:
    see `analyze`)."""
    from jobpack.analyzer.api import analyze
    from jobpack.report import progress_reporter

    with progress_reporter(console(stderr=True), quiet) as on_progress:
        return analyze(job.entries, config=job.config, python=interpreter_from_env(job.python),
                       target_python=job.target_python, cache_dir=cache_folder(job.cache_dir),
                       no_cache=job.no_cache, read_pep723=read_pep723, on_progress=on_progress,
                       workers=parse_workers(), cwd=Path.cwd(), exclude=job.exclude,
                       on_demand=job.on_demand, ignore=job.ignore, provided=job.provided,
                       provided_python=job.provided_python,
                       exclude_files=job.exclude_files, explain=explain)


# The process environment is read here, and only here; the library is told.
def interpreter_from_env(python: str | None) -> str | None:
    """`--python`, else `$VIRTUAL_ENV`'s interpreter, else None (jobpack's own)."""
    virtual_env = os.environ.get("VIRTUAL_ENV")
    if python or not virtual_env:
        return python
    from jobpack.analyzer.pins.environment import venv_python

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
