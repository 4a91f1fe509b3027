"""jobpack: ship a Python job to a Linux x86_64 VM as one byte-reproducible archive.

    >>> import jobpack
    >>> analysis = jobpack.analyze(["main.py"])
    >>> analysis.manifest.requirements

Heavy modules (libcst, the packager) load on first use, so `jobpack --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobpack.errors import JobpackError
from jobpack.version import __version__

if TYPE_CHECKING:
    from jobpack.analyzer.api import Analysis, analyze
    from jobpack.analyzer.graph import ImportGraph
    from jobpack.library import build
    from jobpack.manifest import Diagnostic, Manifest, Requirement
    from jobpack.packager.api import BuildResult

__all__ = [
    "Analysis",
    "BuildResult",
    "Diagnostic",
    "ImportGraph",
    "JobpackError",
    "Manifest",
    "Requirement",
    "__version__",
    "analyze",
    "build",
]

_LAZY = {
    "Analysis": "jobpack.analyzer.api",
    "analyze": "jobpack.analyzer.api",
    "ImportGraph": "jobpack.analyzer.graph",
    "Diagnostic": "jobpack.manifest",
    "Manifest": "jobpack.manifest",
    "Requirement": "jobpack.manifest",
    "BuildResult": "jobpack.packager.api",
    "build": "jobpack.library",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jobpack' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
