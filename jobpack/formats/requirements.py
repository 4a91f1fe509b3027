"""A pip requirements file whose pins say why they are there (`# via main.py:4`)."""

from __future__ import annotations

from collections.abc import Sequence

from jobpack.manifest import Manifest


def requirements_with_via(manifest: Manifest, header: Sequence[str] = ()) -> str:
    """A pip requirements file whose pins say why they are there (`# via main.py:4`)."""
    lines = [f"# {line}" for line in header]
    lines += manifest.pip.option_lines()
    for requirement in sorted(manifest.installed, key=lambda r: r.name):
        lines.append(requirement.pip_line())
        lines += _via_lines(requirement.required_by)
    provided = [r for r in manifest.requirements if r.tier == "provided"]
    if provided:
        lines.append("# provided by the image (--provided), not installed:")
        lines += [f"#   {r.name}=={r.image_version or r.version}" for r in provided]
    return "".join(line + "\n" for line in lines)


def _via_lines(reasons: Sequence[str]) -> list[str]:
    if not reasons:
        return []
    if len(reasons) == 1:
        return [f"    # via {reasons[0]}"]
    return ["    # via", *(f"    #   {reason}" for reason in reasons)]
