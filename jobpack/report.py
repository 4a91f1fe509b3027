"""Human-readable renderings of analyses and archives (the CLI prints these).

On a terminal, tables; when stdout is piped, plain columns that are never truncated.
Repeated diagnostics (same level, code and message pattern) collapse to one line with a
count unless `verbose`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from jobpack.analyzer.api import Analysis, Explanation
from jobpack.analyzer.graph import ImportSite
from jobpack.analyzer.notebooks import placed_site
from jobpack.layout.sizes import megabytes
from jobpack.manifest import Diagnostic, Manifest

if TYPE_CHECKING:
    from jobpack.destinations.local import ArchiveContents
    from jobpack.layout import LayerRecord
    from jobpack.packager.api import BuildResult

PLAIN_EVERY = 1000  # piped progress: one line per this many files or distributions
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\b\d+(\.\d+)*\b")


def first_line(analysis: Analysis) -> str:
    """Which interpreter and environment were analysed, for which target."""
    manifest = analysis.manifest
    target = f"Python {manifest.target.full_version} on {manifest.target.platform}"
    if analysis.environment is not None:
        return f"Analysed {analysis.environment.describe()} for {target}"
    if manifest.interpreter is not None:
        return f"Analysed {manifest.interpreter.describe()} for {target}"
    return f"Target: {target}"


def print_analysis(analysis: Analysis, console: Console, *, quiet: bool = False,
                   verbose: bool = False) -> None:
    """`jobpack analyze`: first line, the manifest's tables, diagnostics, a summary."""
    manifest = analysis.manifest
    if quiet:  # warnings, errors and the result line, as --quiet promises
        print_diagnostics_grouped(manifest.diagnostics, console, verbose=verbose, infos=False)
        console.print(summary(manifest))
        return
    console.print(escape(first_line(analysis)))
    print_manifest(manifest, console, verbose=verbose)
    console.print(summary(manifest))


def summary(manifest: Manifest) -> str:
    """One line: files, distributions, MB shipped as code, warnings and errors."""
    size = sum(f.size for f in manifest.local_files) / 1e6
    counts = {level: sum(d.level == level for d in manifest.diagnostics)
              for level in ("error", "warning", "info")}
    data = ""
    if manifest.data_files:
        data_size = sum(f.size for f in manifest.data_files) / 1e6
        data = f"{_plural(len(manifest.data_files), 'data file')} ({data_size:.2f} MB), "
    return (f"{_plural(len(manifest.local_files), 'local file')} ({size:.2f} MB), {data}"
            f"{_plural(len(manifest.installed), 'distribution')}"
            f"{_provided_count(manifest)}, "
            f"{_plural(counts['warning'], 'warning')}, {_plural(counts['error'], 'error')}, "
            f"{_plural(counts['info'], 'info')}")


def build_summary(analysis: Analysis, result: BuildResult) -> str:
    bytecode = "" if not result.bytecode_files else (
        f" (with the bytecode of {_plural(result.bytecode_files, 'library module')} the job "
        f"imports, {result.bytecode_size / 1e6:.2f} MB: --no-bytecode leaves it out)")
    return (f"{result.members} members, {result.size / 1e6:.2f} MB{bytecode}; "
            f"{summary(analysis.manifest)}")


def _provided_count(manifest: Manifest) -> str:
    count = len(manifest.requirements) - len(manifest.installed)
    return f" (+{count} provided by the image)" if count else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def print_manifest(manifest: Manifest, console: Console, *, verbose: bool = False) -> None:
    """What ships, what is needed, and the diagnostics as `file:line: message`."""
    entries = ", ".join(manifest.entry_points) or "none (plain job)"
    console.print(f"[bold]Job[/bold]: {escape(entries)}")
    if manifest.cmd:
        console.print(f"[bold]cmd[/bold]: {escape(manifest.cmd)}")
    console.print(f"[bold]Target[/bold]: Python {manifest.target.full_version} on "
                  f"{manifest.target.platform} ({manifest.python_mode} environment)")
    _print_table(console, f"Local files ({len(manifest.local_files)})", ("path", "size"),
                 [(f.path, str(f.size)) for f in manifest.local_files], right={1})
    if manifest.data_files:
        _print_table(console, f"Data files ({len(manifest.data_files)})",
                     ("path", "size", "read by"),
                     [(f.path, str(f.size), ", ".join(f.read_by[:3])
                       + (" ..." if len(f.read_by) > 3 else "")) for f in manifest.data_files],
                     right={1})
    rows = []
    for req in manifest.installed:
        kind = "direct" if req.direct else "transitive"
        if req.pure is False:
            kind += ", binary"
        if req.tier != "required":
            kind += f", {req.tier}"
        if req.tier == "optional" and (req.size or 0) > LARGE_LAZY_BYTES:
            kind += (", LARGE and only reached through code that may not run (bundled unless "
                     "--optional index)")
        elif req.lazy_only and (req.size or 0) > LARGE_LAZY_BYTES:
            kind += ", LARGE and only imported lazily by a library (--on-demand it?)"
        # a local wheel's pin line holds its path and digest: the table says where it is
        shown = req.pip_line() if req.local_file is None \
            else f"{req.name}=={req.version} ({req.local_file.name})"
        if req.local_file is not None:
            kind += (", a local wheel (ships only with --wheels)"
                     if req.local_file.name.endswith(".whl")
                     else ", a local source archive (install its wheel to ship it)")
        rows.append((shown, kind, ", ".join(req.imported_as),
                     ", ".join(req.required_by[:3]) + (" ..." if len(req.required_by) > 3
                                                       else ""), _megabytes(req.size)))
    _print_table(console, f"Distributions ({len(manifest.installed)}: {_tiers(manifest)})",
                 ("requirement", "kind", "imported as", "required by", "size"), rows,
                 right={4})
    provided = [r for r in manifest.requirements if r.tier == "provided"]
    if provided:
        _print_table(console, f"Provided by the image, not shipped ({len(provided)})",
                     ("distribution", "image", "analysed", "required by"),
                     [(r.name, r.image_version or "?", r.version or "not installed",
                       ", ".join(r.required_by[:3]) + (" ..." if len(r.required_by) > 3
                                                       else "")) for r in provided])
    for label, items in (("input", manifest.inputs), ("output", manifest.outputs)):
        for item in items:
            var = f" -> ${{{item.var}}}" if item.var else ""
            console.print(escape(f"{label}: {item.path}{var}"))
    print_diagnostics_grouped(manifest.diagnostics, console, verbose=verbose)


LARGE_LAZY_BYTES = 100_000_000  # sizes are decimal megabytes everywhere (the graph too)


def _tiers(manifest: Manifest) -> str:
    """`12 required, 140.1 MB; 2 optional, 3.0 MB`: each tier's count and size."""
    parts = []
    for tier in ("required", "optional"):  # the provided tier has a table of its own
        reqs = [r for r in manifest.requirements if r.tier == tier]
        if reqs or tier == "required":
            size = sum(r.size or 0 for r in reqs)
            parts.append(f"{len(reqs)} {tier}, {megabytes(size)}")
    return "; ".join(parts)


def _megabytes(size: int | None) -> str:
    return "" if size is None else megabytes(size)


def _print_table(console: Console, title: str, columns: Sequence[str],
                 rows: Sequence[Sequence[str]], right: frozenset[int] | set[int] = frozenset()
                 ) -> None:
    if console.is_terminal:
        table = Table(title=title, title_justify="left")
        for number, column in enumerate(columns):
            table.add_column(column, justify="right" if number in right else "left",
                             overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)
        return
    console.print(escape(title))  # piped: plain columns, nothing truncated
    if not rows:
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    for row in [tuple(columns), *rows]:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        console.print(escape("  ".join(cells).rstrip()), crop=False, overflow="ignore")


def group_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[tuple[Diagnostic, int]]:
    """Each distinct (level, code, message pattern) once, with how often it occurs."""
    groups: dict[tuple[str, str, str], list[Diagnostic]] = {}
    for item in diagnostics:
        key = (item.level, item.code, _QUOTED.sub("_", item.message))
        groups.setdefault(key, []).append(item)
    return [(items[0], len(items)) for items in groups.values()]


def print_diagnostics_grouped(diagnostics: Iterable[Diagnostic], console: Console, *,
                              verbose: bool = False, infos: bool = True) -> None:
    """Diagnostics, one a line; repeats collapse to a count unless `verbose`.
    Without `infos` (machine formats on stdout, builds) only warnings and errors."""
    items = [d for d in diagnostics if infos or d.level != "info"]
    if not infos and not items:
        return
    if not items:
        console.print("No diagnostics.")
        return
    if infos:
        console.print(f"[bold]Diagnostics ({len(items)})[/bold]")
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    grouped = [(item, 1) for item in items] if verbose else group_diagnostics(items)
    for item, count in grouped:
        more = f" (and {count - 1} more like it; --verbose lists them)" if count > 1 else ""
        console.print(f"[{colours[item.level]}]{escape(item.render() + more)}[/]",
                      crop=False, overflow="ignore")


@contextmanager
def progress_reporter(console: Console, quiet: bool = False, every: int = PLAIN_EVERY
                      ) -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress callback: a rich progress bar on a terminal, plain lines otherwise (one
    per `every` steps, so small jobs stay silent)."""
    if quiet:
        yield lambda stage, done, total: None
        return
    if not console.is_terminal:
        reported: dict[str, int] = {}

        def plain(stage: str, done: int, total: int | None) -> None:
            step = done // every
            if step > reported.get(stage, 0):
                reported[stage] = step
                console.print(f"{stage}: {done}" + (f"/{total}" if total else ""),
                              crop=False, overflow="ignore")

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def rich(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield rich


def counting(progress: Callable[[str, int, int | None], None], stage: str,
             total: int) -> Callable[[str], None]:
    """A per-item callback (the wheel fetcher calls it with each name) as progress steps."""
    done = 0

    def step(_name: str) -> None:
        nonlocal done
        done += 1
        progress(stage, done, total)

    return step


def print_explanation(explanation: Explanation, analysis: Analysis, console: Console) -> None:
    """`jobpack why`: each chain from an entry point, one import (file:line) a line."""
    console.print(escape(first_line(analysis)))
    graph = analysis.graph
    name = explanation.name
    if explanation.required_by:
        console.print(f"{name} is required by: {', '.join(explanation.required_by)}")
    installs = "the runner installs it the first time the job imports it"
    if explanation.tier == "optional" and explanation.on_demand == (name,):
        console.print(f"{name} is in the optional tier: --on-demand named it; {installs}")
    elif explanation.tier == "optional" and explanation.on_demand:
        console.print(f"{name} is in the optional tier: only what --on-demand named "
                      f"({', '.join(explanation.on_demand)}) makes it required; {installs}")
    elif explanation.tier == "optional":
        console.print(f"{name} is in the optional tier: every chain to it passes code that "
                      f"may not run (marked below); {installs}")
    if not explanation.chains and not explanation.required_by:
        console.print(f"{name} is not reached from any entry point")
    shown: set[str] = set()  # the functions whose namers are printed already
    for chain in explanation.chains:
        console.print(chain[0].importer if chain else name)
        for step in chain:
            kind = graph.get_module(step.imported).kind
            site = placed_site(step.site.render(), analysis.sources)
            console.print(f"  {site}: imports {step.imported} ({kind}; "
                          f"{how_it_runs(step.site)})")
            for namer in named_back(step.site.reached_by, analysis.reached, shown):
                console.print(f"      {namer}")


def named_back(first: str, reached: Mapping[str, str], shown: set[str]) -> list[str]:
    """What named the library function `first` (itself named by a lazy import's function),
    and so on back to module-level code or the job's own: each link as `<- where`. One
    printed before (`shown`) ends the list with `<- ... (above)`."""
    found: list[str] = []
    current = first
    while reached.get(current):
        if current in shown:
            found.append("<- ... (above)")
            break
        shown.add(current)
        current = reached[current]
        found.append(f"<- {current}")
    return found


def how_it_runs(site: ImportSite) -> str:
    """Where an import sits, as `why` marks each link: what must run for it to run."""
    where = f"in function {site.function}" if site.function else (
        "in a function" if site.lazy else "module level")
    if site.function and site.reached_by:
        where += f" (named by {site.reached_by})"
    if site.gate:
        where += f", only once {site.gate} is imported (a type probe)"
    if site.branch:
        return f"{where}, called only in an undecidable branch"
    if site.via_optional:  # an `except ImportError` import's, or a method's bare name
        return f"{where}, named only by code that may not run"
    return f"{where}, under except ImportError" if site.optional else where


def escape(text: str) -> str:
    return text.replace("[", "\\[")


def print_archive(contents: ArchiveContents, console: Console) -> None:
    """The manifest summary, the members of the archive's zip and its dependency layers."""
    manifest = contents.manifest
    if manifest.interpreter is not None:
        console.print(f"Analysed {manifest.interpreter.describe()}")
    print_manifest(manifest, console)
    _print_table(console, f"Members ({len(contents.members)})", ("member", "size", "sha256"),
                 [(name, str(size), digest[:16]) for name, size, digest in contents.members],
                 right={1})
    if contents.layers:
        _print_table(console, f"Dependency layers ({len(contents.layers)})",
                     ("layer", "size", "sha256", "where", "members"),
                     [(str(n), str(layer.size), layer.sha256[:16],
                       "inside" if inside else "apart", _layer_summary(layer))
                      for n, (layer, inside) in enumerate(contents.layers, 1)], right={0, 1})


def _layer_summary(layer: LayerRecord) -> str:
    wheels = [f.path.rsplit("/", 1)[-1] for f in layer.files if f.path.endswith(".whl")]
    shown = ", ".join(w.split("-", 1)[0] for w in wheels[:4])
    more = f" +{len(wheels) - 4}" if len(wheels) > 4 else ""
    return f"{len(wheels)} wheels ({shown}{more}), {len(layer.files) - len(wheels)} bytecode"
