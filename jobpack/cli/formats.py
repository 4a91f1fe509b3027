"""The machine formats `jobpack analyze --format` prints (json, requirements, pep723,
pylock) and `--write-pep723`: the analysis handed to `jobpack.formats`, with the pins'
wheels located by pip for pylock. Kept out of `jobpack.report`, which only renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobpack.report import escape, first_line

if TYPE_CHECKING:
    from rich.console import Console

    from jobpack.analyzer.api import Analysis


def render_format(analysis: Analysis, name: str) -> str:
    """The analysis as text in one of the machine formats (json, requirements, ...)."""
    from jobpack.formats.pep723 import pep723_block
    from jobpack.formats.pylock import pylock_toml
    from jobpack.formats.requirements import requirements_with_via

    manifest = analysis.manifest
    if name == "json":
        return manifest.to_json()
    if name == "requirements":
        return requirements_with_via(manifest, header=(first_line(analysis),))
    if name == "pep723":
        return pep723_block(manifest, extra=_declared(analysis))
    if name == "pylock":
        from jobpack.packager.locate import locate_wheels

        wheels = locate_wheels(manifest)
        return f"# {first_line(analysis)}\n" + pylock_toml(manifest, wheels)
    raise ValueError(name)


def _declared(analysis: Analysis) -> tuple[str, ...]:
    """What an entry script's existing block declares (kept when the block is rewritten)."""
    from jobpack.analyzer.pins.pep723 import metadata_of_entries

    files = [(analysis.root / e, e) for e in analysis.manifest.entry_points
             if not e.startswith("-m ")]
    metadata = metadata_of_entries([(f, e) for f, e in files if f.is_file()])
    return metadata.dependencies or () if metadata else ()


def write_pep723(analysis: Analysis, console: Console) -> None:
    """Insert or update the block in the first entry script; say what happened."""
    from jobpack.errors import EntryPointError
    from jobpack.formats.pep723 import write_block

    scripts = [e for e in analysis.manifest.entry_points if not e.startswith("-m ")]
    if not scripts:
        raise EntryPointError("--write-pep723 needs an entry script, not a module")
    block = render_format(analysis, "pep723")
    changed = write_block(analysis.root / scripts[0], block)
    console.print(escape(f"{scripts[0]}: '# /// script' block "
                          f"{'written' if changed else 'already up to date'}"))
