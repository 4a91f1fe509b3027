"""Human-readable renderings of analyses and archives (the CLI prints these)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jobpack.analyzer.api import Explanation
from jobpack.analyzer.graph import ImportGraph
from jobpack.manifest import Diagnostic, Manifest


def print_manifest(manifest: Manifest, console: Console) -> None:
    """What ships, what is needed, and the diagnostics as `file:line: message`."""
    entries = ", ".join(manifest.entry_points) or "none (plain job)"
    console.print(f"[bold]Job[/bold]: {entries}")
    if manifest.cmd:
        console.print(f"[bold]cmd[/bold]: {manifest.cmd}", markup=True, highlight=False)
    console.print(f"[bold]Target[/bold]: Python {manifest.target.python} on "
                  f"{manifest.target.platform} ({manifest.python_mode} environment)")
    files = Table(title=f"Local files ({len(manifest.local_files)})", title_justify="left")
    files.add_column("path")
    files.add_column("size", justify="right")
    for local in manifest.local_files:
        files.add_row(local.path, str(local.size))
    console.print(files)
    reqs = Table(title=f"Distributions ({len(manifest.requirements)})", title_justify="left")
    for column in ("requirement", "kind", "imported as", "required by"):
        reqs.add_column(column)
    for req in manifest.requirements:
        kind = "direct" if req.direct else "transitive"
        if req.pure is False:
            kind += ", binary"
        reqs.add_row(req.pip_line(), kind, ", ".join(req.imported_as),
                     ", ".join(req.required_by[:3]) + (" ..." if len(req.required_by) > 3 else ""))
    console.print(reqs)
    if manifest.inputs or manifest.outputs:
        for label, items in (("Inputs", manifest.inputs), ("Outputs", manifest.outputs)):
            for item in items:
                var = f" -> ${{{item.var}}}" if item.var else ""
                console.print(f"{label[:-1].lower()}: {item.path}{var}", highlight=False)
    print_diagnostics(manifest.diagnostics, console)


def print_diagnostics(diagnostics: Iterable[Diagnostic], console: Console) -> None:
    items = list(diagnostics)
    if not items:
        console.print("No diagnostics.")
        return
    console.print(f"[bold]Diagnostics ({len(items)})[/bold]")
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    for item in items:
        console.print(f"[{colours[item.level]}]{_escape(item.render())}[/]", highlight=False)


def print_explanation(explanation: Explanation, graph: ImportGraph, console: Console) -> None:
    """`jobpack why`: each chain from an entry point, one import (file:line) a line."""
    name = explanation.name
    if explanation.required_by:
        console.print(f"{name} is required by: {', '.join(explanation.required_by)}")
    if not explanation.chains and not explanation.required_by:
        console.print(f"{name} is not reached from any entry point")
    for chain in explanation.chains:
        console.print(chain[0].importer if chain else name)
        for step in chain:
            kind = graph.get_module(step.imported).kind
            console.print(f"  {step.site.render()}: imports {step.imported} ({kind})")


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def print_archive(path: Path, console: Console) -> None:
    """The manifest summary and the member list of an archive."""
    import zipfile

    from jobpack.errors import ArchiveError
    from jobpack.runner.errors import RunnerError
    from jobpack.runner.verify import read_manifest

    try:
        with zipfile.ZipFile(path) as archive:
            data = read_manifest(archive)  # the runner's reader: size limit, schema check
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile, RunnerError) as exc:
        raise ArchiveError(f"not a readable jobpack archive: {exc}", path=str(path)) from None
    manifest = Manifest.from_dict(data)
    print_manifest(manifest, console)
    members = Table(title=f"Members ({len(infos)})", title_justify="left")
    for column in ("member", "size", "sha256"):
        members.add_column(column)
    digests = {f["path"]: f["sha256"] for f in data.get("files", [])}
    for info in infos:
        members.add_row(info.filename, str(info.file_size), digests.get(info.filename, "")[:16])
    console.print(members)
