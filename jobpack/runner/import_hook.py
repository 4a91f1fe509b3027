"""jobpack's import hook: install an optional distribution the first time the job imports
it (issue #20).

The runner copies this file into the job's environment as `_jobpack_optional.py`, beside
`_jobpack_optional.pth`, whose one `import` line runs it at the start of every Python in
that environment: the job, its DataLoader workers, its torchrun ranks, any subprocess. It
does nothing unless `JOBPACK_OPTIONAL` names the run's optional spec (the runner sets it
for the job; child processes inherit it). Then it appends a finder to `sys.meta_path`,
after the ordinary ones, so it is asked only about modules nothing else found: for a
top-level module of an optional distribution, or an `importlib.metadata` lookup of one by
name, it has the runner install that distribution (`python ARCHIVE --install-optional
NAME`: a lock per distribution, the bundled wheel's digest checked or the index asked, the
install published by one rename), then adds its folder to `sys.path`. When that fails,
the import fails as it would have without the hook, so an `except ImportError` fallback
still works.

Standard library only, Python 3.8+, and cheap at start-up: without the variable it
imports nothing. It runs outside the runner's package: the spec is read with the runner's
copy of `jobpack/layout/optional.py` beside it (`_jobpack_layout`), the one definition
of `OptionalSpec` the runner writes it with.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobpack.layout.optional import OptionalSpec

VARIABLE = "JOBPACK_OPTIONAL"
COMPLETE = ".jobpack-complete"  # the runner's cache marker: the folder is whole
LAYOUT_COPY = "_jobpack_layout"  # the runner's copy of the layout's optional tier


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def layout_optional() -> Any:
    """`jobpack.layout.optional`: the copy beside this file in a job's environment, or
    jobpack's own when this runs from jobpack's tree (its tests)."""
    import importlib

    try:
        return importlib.import_module(f"{LAYOUT_COPY}.optional")
    except ImportError:
        return importlib.import_module("jobpack.layout.optional")


class OptionalFinder:
    """Finds nothing itself: installs an optional distribution, then lets the path finder
    find its modules (and its metadata) in the new folder."""

    def __init__(self, spec_path: str, spec: OptionalSpec) -> None:
        self.spec_path = spec_path
        self.spec = spec
        self.distributions = spec.by_name()
        self.by_module = spec.by_module()
        self.ready: set[str] = set()
        self.failed: set[str] = set()

    def folder(self, name: str) -> str:
        return self.spec.folder(name)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        name = self.by_module.get(fullname.partition(".")[0])
        if name is None or not self.ensure(name, fullname):
            return None
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(fullname, path)

    def find_distributions(self, context: Any = None) -> Iterable[Any]:
        wanted = getattr(context, "name", None)
        name = _canonical(wanted) if isinstance(wanted, str) else ""
        if name not in self.distributions or not self.ensure(name, None):
            return iter(())
        from importlib.machinery import PathFinder
        from importlib.metadata import DistributionFinder

        return PathFinder.find_distributions(
            DistributionFinder.Context(name=wanted, path=[self.folder(name)]))

    def invalidate_caches(self) -> None:
        return None

    def ensure(self, name: str, module: str | None) -> bool:
        """Whether `name` and the optional distributions it requires are installed and on
        sys.path, installing them first when need be; False once that failed."""
        if name in self.ready:
            return True
        if name in self.failed:
            return False
        wanted = self.closure(name)
        done = all(os.path.isfile(os.path.join(self.folder(n), COMPLETE)) for n in wanted)
        if not done and not self.install(name, module):
            self.failed.add(name)
            return False
        import importlib
        import site

        for each in wanted:
            if each not in self.ready:
                site.addsitedir(self.folder(each))  # its .pth files count too
                self.ready.add(each)
        importlib.invalidate_caches()
        return True

    def closure(self, name: str) -> list[str]:
        return list(layout_optional().closure(self.distributions, name))

    def install(self, name: str, module: str | None) -> bool:
        """The runner installs it (and says so on stderr), under its lock."""
        import subprocess

        # -E -s -S: the runner needs the standard library alone, and none of this
        # environment (whose .pth would load this hook again)
        command = [self.spec.python, "-E", "-s", "-S", self.spec.archive,
                   "--install-optional", name, "--optional-spec", self.spec_path]
        if module:
            command += ["--imported", module]
        try:
            code = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=2)
        except OSError as exc:
            sys.stderr.write(f"jobpack: cannot install the optional distribution {name}: "
                             f"{exc}\n")
            return False
        return code == 0


def install(environ: Mapping[str, str] = os.environ) -> None:
    """Append the finder when the runner named a spec; an unreadable spec disables it."""
    path = environ.get(VARIABLE)
    if not path or any(type(f).__name__ == "OptionalFinder" for f in sys.meta_path):
        return
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            spec = layout_optional().OptionalSpec.from_dict(json.load(handle))
    except (OSError, ValueError, ImportError) as exc:
        sys.stderr.write(f"jobpack: optional distributions are off: {path}: {exc}\n")
        return
    sys.meta_path.append(OptionalFinder(path, spec))
