"""Commands that look at a job: `analyze`, `why`, `graph`, and `trace` (the one that runs it)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from jobpack.cli.app import app
from jobpack.cli.common import Format, GraphFormat, analyze_job, console, exit_for
from jobpack.cli.options import (
    DEFAULT_JOB,
    DEFAULT_OUTPUT,
    JobOptions,
    OutputOptions,
    shared_options,
)


@app.command("analyze")
@shared_options()
def analyze_command(
    job: JobOptions,
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
    shown: OutputOptions = DEFAULT_OUTPUT,
) -> None:
    """Find what a job needs, without running it, and print the manifest."""
    from jobpack import report
    from jobpack.cli import formats

    chosen = Format.json if as_json else Format.requirements if requirements else output_format
    fresh = write_pep723 or chosen is Format.pep723  # infer anew, keep what a block declared
    analysis = analyze_job(job, read_pep723=not fresh, quiet=shown.quiet)
    if write_pep723:
        formats.write_pep723(analysis, console(stderr=True))
    if chosen is Format.table:
        report.print_analysis(analysis, console(), quiet=shown.quiet, verbose=shown.verbose)
    else:
        sys.stdout.write(formats.render_format(analysis, chosen.value))
        report.print_diagnostics_grouped(analysis.manifest.diagnostics, console(stderr=True),
                                         verbose=shown.verbose, infos=False)
    exit_for(analysis.manifest.diagnostics, shown.strict)


@app.command("why")
@shared_options()
def why_command(
    name: Annotated[str, typer.Argument(help="A distribution, import name or local module.")],
    job: JobOptions,
) -> None:
    """Show the chains of imports from an entry point to NAME, and for an import inside a
    library function, the chain of code that named that function."""
    from jobpack.analyzer.api import why
    from jobpack.report import print_explanation

    analysis = analyze_job(job, explain=True)
    print_explanation(why(analysis, name), analysis, console())


@app.command("graph")
@shared_options()
def graph_command(
    job: JobOptions,
    output: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--output", "-o", help="Write here (default: graph.html, or stdout for dot and "
        "mermaid).", metavar="FILE")] = None,
    graph_format: Annotated[GraphFormat, typer.Option(
        "--format", "-f", help="A self-contained HTML page, or Graphviz dot, or Mermaid.",
        metavar="[html|dot|mermaid]")
    ] = GraphFormat.html,
) -> None:
    """Draw the job: local modules, distributions and the imports between them."""
    from jobpack.graph_html import render_graph, write_graph

    analysis = analyze_job(job)
    text = render_graph(analysis, graph_format.value)
    if output is None and graph_format is not GraphFormat.html:
        sys.stdout.write(text)
        return
    target = output or Path("graph.html")
    write_graph(analysis, text, target, job.config)
    typer.echo(str(target))


@app.command("trace")
@shared_options(omit={"entries"})
def trace_command(
    entry: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help="The script to run (with --config: the first of ARGS).", show_default=False,
        metavar="[ENTRY]")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045
        help="Arguments for the job, after --.", show_default=False)] = None,
    job: JobOptions = DEFAULT_JOB,
) -> None:
    """RUNS THE JOB (your code) once locally, in a temporary copy of its folder, with a
    recorder, and lists every module imported and every file of the job's folder read at
    run time that the static manifest lacks, every file it wrote there that no
    declared output holds, and the pinned distributions this run needed none of (by
    tier, with sizes). Exits with the job's own code when the job
    failed, else 1 if anything is missing. What the job wrote is kept in a new folder
    under $TMPDIR/jobpack-trace-outputs/ (named at the end), never in the job's folder.
    analyze and build never run your code; trace does."""
    from jobpack.analyzer import trace as tracing
    from jobpack.analyzer.trace_copy import work_copy

    rest = [entry, *(args or [])] if entry is not None else list(args or [])
    if job.config is None and not rest:
        raise typer.BadParameter("name the script to run, or use --config")
    if job.config is not None:
        analysis = analyze_job(job)
    else:
        analysis = analyze_job(replace(job, entries=(rest[0],)))
    interpreter = tracing.analysed_python(analysis)
    with work_copy(analysis.root) as work:
        if job.config is not None:
            tracing.prepare_outputs(analysis, work.copy)
            argv = tracing.config_argv(analysis, rest, python=interpreter,
                                       config=job.config.name, folder=work.copy)
            cwd = work.copy
        else:
            script = (["-m", rest[0][3:].strip()] if rest[0].startswith("-m ")
                      else [str(work.to_copy(Path(rest[0]).resolve()))])
            argv, cwd = [interpreter, *script, *rest[1:]], work.to_copy(Path.cwd())
        result = tracing.trace(analysis, argv, python=interpreter, cwd=cwd, work=work)
        declared = [item.path.rstrip("/") for item in analysis.manifest.outputs]
        kept = work.keep([*declared, *result.written], tracing.OUTPUTS)
    for line in tracing.render(result, analysis.root):
        typer.echo(line, err=True)
    if kept is not None:
        typer.echo(f"the job's outputs are in {kept}", err=True)
    raise typer.Exit(result.exit_code)
