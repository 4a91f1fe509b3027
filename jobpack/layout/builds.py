"""Builds of one version (`2.3.0+cu121`): the local label, the kind of build it names and
the PyTorch index that serves it. Shared by the analyzer (torch on a GPU machine), the
packager (where such a wheel is served) and the runner (is the image's build the one the
archive expects?)."""

from __future__ import annotations

import re

PYTORCH_INDEX = "https://download.pytorch.org/whl"
_LOCAL_LABEL = re.compile(r"\+([A-Za-z0-9.]+)\s*$")


def local_label(version: str) -> str:
    """The local version label (`cu121` of `2.3.0+cu121`), or ''."""
    match = _LOCAL_LABEL.search(version or "")
    return match.group(1) if match else ""


def build_kind(version: str) -> str:
    """The kind of build a local label names, by its leading letters: `cu` (`+cu121`),
    `cpu`, `rocm` (`+rocm6.1`), ...; '' without a label."""
    return re.sub(r"[^a-z].*$", "", local_label(version).lower())


def serving_index(version: str) -> str | None:
    """The PyTorch index that serves a `+cuXXX`, `+cpu` or `+rocmX.Y` build, if any."""
    if build_kind(version) not in {"cu", "cpu", "rocm"}:
        return None
    return f"{PYTORCH_INDEX}/{local_label(version)}"

