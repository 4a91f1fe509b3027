"""The library's one-call conveniences over the pipeline's stages.

`jobpack.build` accepts what a user has at hand (an `Analysis`, or a `Manifest` and its
project folder) and hands the packager its only inputs: the manifest and its source map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from jobpack.diagnostics import check_ignorable, drop_ignored
from jobpack.errors import BuildError
from jobpack.manifest import Manifest, SourceMap
from jobpack.packager.api import BuildResult
from jobpack.packager.api import build as build_archive

if TYPE_CHECKING:
    from jobpack.analyzer.api import Analysis
    from jobpack.packager.bytecode import BytecodeCompiler
    from jobpack.packager.tiers import OptionalPolicy
    from jobpack.packager.wheels import WheelFetcher


def build(
    analysis_or_manifest: Analysis | Manifest,
    out: str | Path,
    *,
    root: str | Path | None = None,
    wheels: WheelFetcher | None = None,
    bytecode: bool = True,
    bytecode_cache: str | Path | None = None,
    on_member: Callable[[str], None] | None = None,
    source_date_epoch: int | None = None,
    ignore: Iterable[str] = (),
    optional: OptionalPolicy | None = None,
    optional_wheels: WheelFetcher | None = None,
    layer_cache: str | Path | None = None,
) -> BuildResult:
    """Write the archive of an analysed job (or of a `Manifest` whose files lie under the
    project folder `root`) to `out`. `wheels` bundles the target's wheels; with them and
    an `Analysis`, `bytecode` ships the compiled modules the job imports at start-up
    (when the analysed interpreter is the target's Python), keeping what it compiled in
    `bytecode_cache`; `source_date_epoch` dates every member (default 1980-01-01);
    `ignore` names diagnostic codes the build does not report (`big-file`, ...).
    `optional` ("bundle", "index" or "drop"; default: bundled with `wheels`, else left
    to the index) says what becomes of the optional tier; `optional_wheels` fetches its
    wheels for "bundle" without `wheels`. `layer_cache` keeps the dependency layers
    (wheels and bytecode) for later builds.

    The one build flow: `jobpack build`, `jobpack submit --config` and the library all
    come through here."""
    silenced = check_ignorable(ignore)
    compiler = None
    if isinstance(analysis_or_manifest, Manifest):
        if root is None:
            raise BuildError("building from a manifest needs the project folder (root)")
        manifest, sources = analysis_or_manifest, SourceMap.beside(analysis_or_manifest, root)
    else:
        manifest, sources = analysis_or_manifest.manifest, analysis_or_manifest.source_map
        if bytecode and wheels is not None:
            compiler = bytecode_compiler(analysis_or_manifest, _path(bytecode_cache))
    result = build_archive(manifest, sources, out, wheels=wheels, bytecode=compiler,
                           on_member=on_member, epoch=source_date_epoch,
                           optional=optional, optional_wheels=optional_wheels,
                           layers=_path(layer_cache))
    return replace(result, diagnostics=drop_ignored(result.diagnostics, silenced))


def bytecode_compiler(analysis: Analysis, cache: Path | None = None
                      ) -> BytecodeCompiler | None:
    """The compiler of the library modules the job imports at start-up, by the analysed
    interpreter, keeping what it compiled in `cache`; None when that interpreter is not
    the target's Python (its bytecode would not be)."""
    from jobpack.packager.bytecode import BytecodeCompiler

    environment = analysis.environment
    if environment is None or not analysis.manifest.target.runs(environment.version):
        return None
    graph = analysis.graph
    external = {m.name for m in graph.find_modules("external")}
    return BytecodeCompiler(environment.executable,
                            graph.find_startup_modules() & frozenset(external), cache=cache)


def _path(given: str | Path | None) -> Path | None:
    return None if given is None else Path(given)
