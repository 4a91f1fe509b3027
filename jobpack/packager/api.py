"""`build`: a manifest and its source map in, one reproducible `NAME.jobpack.zip` out.

The layout (member names, schema, records) is `jobpack.layout`, shared with the runner.
With `--wheels`, the archive is `LAYER... ZIP`: dependency layers (the target's wheels and
the bytecode compiled from them, in a few stored zips named by their sha256, kept in the
user cache) lie before a small zip of `__main__.py` and `jobpack/` (the runner),
`jobpack.json` (the manifest plus `files`, `wheels`, `layers` and `install`),
`requirements.txt`, `constraints.txt` when there are constraints, and the job's files
under `src/`. Without wheels it is that zip alone.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from jobpack import diagnostics as codes
from jobpack import layout
from jobpack.errors import BuildError
from jobpack.files import expand, shown_name
from jobpack.layout import (
    FileRecord,
    LayerRecord,
    OptionalRecord,
    PinRecord,
    WheelRecord,
    hash_file,
)
from jobpack.manifest import DataFile, Diagnostic, LocalFile, Manifest, SourceMap, canonical_json
from jobpack.packager.archive import Member, write_zip
from jobpack.packager.layers import BuiltLayer, DigestMemo, LayerStore, deal
from jobpack.packager.limits import check_readable, rewrite_in_place
from jobpack.packager.output import check_output
from jobpack.packager.tiers import (
    OptionalPolicy,
    TierPlan,
    optional_records,
    plan_tiers,
    split_wheels,
)
from jobpack.target import Target
from jobpack.wheelset import Interpreter, WheelSetError, check_wheel_set

if TYPE_CHECKING:
    from jobpack.packager.bytecode import BytecodeCompiler, CompiledWheel
    from jobpack.packager.wheels import WheelFetcher

MANIFEST_NAME = layout.MANIFEST_NAME
SOURCE_PREFIX = layout.SOURCE_PREFIX
WHEEL_PREFIX = layout.WHEEL_PREFIX
BIG_FILE = 100_000_000  # 100 MB: sizes are decimal megabytes everywhere jobpack prints
BIG_ARCHIVE = 1_000_000_000


@dataclass(frozen=True)
class BuildResult:
    """What was written: the archive's path, size and sha256 (of its zip, which names each
    layer by its sha256; the whole file's when it has no layers), and what to know."""

    path: Path
    size: int
    sha256: str
    members: int
    diagnostics: tuple[Diagnostic, ...] = ()
    bytecode_files: int = 0  # compiled modules shipped beside the wheels
    bytecode_size: int = 0
    layers: tuple[LayerRecord, ...] = ()
    reused_layers: bool = False  # only the zip after them was rewritten, in place


def archive_name(manifest: Manifest, root: Path, config: Path | None = None) -> str:
    """`NAME.jobpack.zip`: NAME is the config's `name:`, else its folder, else the first
    entry point's stem."""
    if manifest.name and re.sub(r"[^A-Za-z0-9._-]+", "-", manifest.name).strip(".-"):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", manifest.name).strip(".-")
    elif config is not None:
        stem = config.resolve().parent.name
    elif manifest.entry_points:
        first = manifest.entry_points[0]
        stem = first.split()[-1].rsplit(".", 1)[0] if first.startswith("-m ") else Path(first).stem
    else:
        stem = root.name
    return f"{stem or 'job'}.jobpack.zip"


def build(
    manifest: Manifest,
    sources: SourceMap,
    out: str | Path,
    *,
    wheels: WheelFetcher | None = None,
    bytecode: BytecodeCompiler | None = None,
    on_member: Callable[[str], None] | None = None,
    epoch: int | None = None,
    optional: OptionalPolicy | None = None,
    optional_wheels: WheelFetcher | None = None,
    layers: Path | None = None,
) -> BuildResult:
    """Write the archive of `manifest`, whose files are where `sources` says, to `out`.

    `wheels` (a `WheelFetcher`) bundles the target's wheels, in dependency layers kept in
    the folder `layers` (None: built afresh); with them, `bytecode` (a `BytecodeCompiler`)
    ships the compiled modules the job imports at start-up; `epoch` (seconds, e.g.
    `SOURCE_DATE_EPOCH`) dates every member of the zip, 1980-01-01 when None.
    `optional` says what becomes of the optional tier (see `tiers.py`; its bundled wheels
    go into the dependency layers too); `optional_wheels` fetches its wheels for `bundle`
    without `wheels`.
    """
    _check_buildable(manifest, sources)
    plan = plan_tiers(manifest, bundle_required=wheels is not None, optional=optional)
    files = dict(sources.files)
    target = Path(out)
    check_output(target, [*files.values(), *(sources.root / i.path for i in manifest.inputs)])
    with tempfile.TemporaryDirectory(prefix="jobpack-layers-") as temp:
        store = LayerStore(layers if layers is not None else Path(temp))
        memo = DigestMemo(layers / "digests" if layers is not None else None)
        return _build(plan, sources, target, wheels or optional_wheels, bytecode,
                      on_member, epoch, store, memo)


def _build(plan: TierPlan, sources: SourceMap, target: Path,
           fetcher: WheelFetcher | None, bytecode: BytecodeCompiler | None,
           on_member: Callable[[str], None] | None, epoch: int | None,
           store: LayerStore, memo: DigestMemo) -> BuildResult:
    manifest = plan.manifest
    diagnostics: list[Diagnostic] = []
    members = [Member.from_bytes(name, data) for name, data in runner_members().items()]
    recorded: dict[str, LocalFile | DataFile] = {f.path: f for f in manifest.local_files}
    recorded.update((f.path, f) for f in manifest.data_files)  # what the job reads, too
    for rel, file in sorted(dict(sources.files).items()):
        known = recorded.get(rel)
        members.append(Member.from_file(SOURCE_PREFIX + rel, file) if known is None else
                       Member.recorded(SOURCE_PREFIX + rel, file, known.sha256, known.size))
    members += _data_members(manifest, sources.root, {m.name for m in members}, diagnostics)
    wheel_records: list[WheelRecord] = []
    compiled: list[CompiledWheel] = []
    layers: list[BuiltLayer] = []
    if plan.bundled:
        if fetcher is None:
            raise BuildError("--optional bundle: no wheel fetcher was given")
        layers, wheel_records, compiled = _dependency_layers(plan, fetcher, bytecode,
                                                             store, memo)
    members.append(Member.from_bytes(layout.REQUIREMENTS_NAME,
                                     manifest.requirements_txt().encode()))
    members += _lock_member(manifest, wheel_records)
    required_wheels, optional_wheel_records = split_wheels(wheel_records, plan)
    optional_tier = optional_records(plan, optional_wheel_records)
    if manifest.pip.constraints:
        text = "".join(line + "\n" for line in manifest.pip.constraints)
        members.append(Member.from_bytes(layout.CONSTRAINTS_NAME, text.encode()))
    records = tuple(layer.record for layer in layers)
    members.append(Member.from_bytes(MANIFEST_NAME, _manifest_bytes(
        manifest, members, required_wheels, optional_tier, records)))
    check_readable(manifest.target.python, members)
    diagnostics += _size_warnings(members)
    reused = _write(target, members, layers, on_member, epoch)
    digest, size = _identity(target, layers)
    if size > BIG_ARCHIVE:
        diagnostics.append(codes.BIG_ARCHIVE.note(
            f"the archive is {size / 1e9:.1f} GB; biggest members: "
            f"{_biggest(members + [m for r in records for m in _layer_members(r)])}"))
    return BuildResult(target, size, digest, len(members), tuple(diagnostics),
                       sum(c.files for c in compiled), sum(c.size for c in compiled),
                       records, reused)


def _write(target: Path, members: list[Member], layers: list[BuiltLayer],
           on_member: Callable[[str], None] | None, epoch: int | None) -> bool:
    """Write the archive; True when only its zip was rewritten after unchanged layers."""
    report = (lambda m: on_member(m.name)) if on_member else None
    try:
        if layers and rewrite_in_place(target, [layer.record for layer in layers], members,
                                       epoch, report):
            return True
        write_zip(target, members, report, epoch, [layer.path for layer in layers])
        return False
    except OSError as exc:
        raise BuildError(f"cannot write the archive: {exc.strerror or exc}",
                         path=str(target)) from None


def target_interpreter(target: Target) -> Interpreter:
    """The target as the wheel-set check asks it, with `packaging.tags`' answers (the
    runner asks the same question of its own interpreter with `linux_accepts`)."""
    return Interpreter(target.accepts_wheel_tag,
                       f"Python {target.major}.{target.minor} on Linux x86_64")


def _identity(target: Path, layers: list[BuiltLayer]) -> tuple[str, int]:
    """The archive's sha256 (of its zip: it names every layer by digest) and its size."""
    size = target.stat().st_size
    if not layers:
        return hash_file(target)[0], size
    from jobpack.packager.limits import zip_digest

    return zip_digest(target, sum(layer.record.size for layer in layers)), size


def _layer_members(record: LayerRecord) -> list[Member]:
    return [Member(f.path, f.sha256, f.size) for f in record.files]


def _dependency_layers(plan: TierPlan, wheels: WheelFetcher,
                       bytecode: BytecodeCompiler | None, store: LayerStore, memo: DigestMemo
                       ) -> tuple[list[BuiltLayer], list[WheelRecord], list[CompiledWheel]]:
    """The wheels of the pins the plan bundles (both tiers), each with the bytecode
    compiled from it (if any; the required tier's alone: the optional tier is not imported
    at start-up), dealt into dependency layers; and their `wheels` records."""
    provided = tuple(r for r in plan.manifest.requirements if r.tier == "provided")
    manifest = replace(plan.manifest, requirements=plan.bundled + provided)  # stand-ins
    found = sorted(wheels.fetch(manifest, prove=plan.prove), key=lambda w: w.filename)
    fetched = {wheel: memo.member(WHEEL_PREFIX + wheel.filename, wheel.path)
               for wheel in found}
    checked = (list(fetched.values()), manifest.target.full_version)
    if not store.checked(*checked):
        try:  # what the runner would refuse on the VM, refused here first, in its words
            check_wheel_set(((w.filename, str(w.path)) for w in found),
                            target_interpreter(manifest.target))
        except WheelSetError as exc:
            raise BuildError(str(exc)) from None
        store.remember_checked(*checked)
    optional = {r.name for r in plan.optional}
    compiled = bytecode.compile({w.path: m.sha256 for w, m in fetched.items()
                                 if w.name not in optional},
                                manifest.target) if bytecode is not None else []
    by_wheel = {c.wheel: c for c in compiled}
    groups: list[list[Member]] = []
    records: list[WheelRecord] = []
    for wheel, member in fetched.items():
        pyc = by_wheel.get(wheel.filename)
        groups.append([member] + ([pyc.as_member()] if pyc else []))
        records.append(WheelRecord(wheel.name, member.name, member.sha256,
                                   pyc.member if pyc else None))
    return [store.layer(group) for group in deal(groups)], records, compiled


def _lock_member(manifest: Manifest, records: list[WheelRecord]) -> list[Member]:
    """`pylock.toml` beside requirements.txt when every pin has its wheel in the archive
    (a lock file entry needs a source; the bundled wheel, by path, is one)."""
    from jobpack.formats.pylock import PYLOCK_NAME, LockedWheel, pylock_toml

    wheels = [LockedWheel(r.name, r.file.rsplit("/", 1)[-1], r.sha256, path=r.file)
              for r in records]
    if not records or {r.name for r in manifest.installed} - {w.name for w in wheels} \
            or any((r.url and r.local_file is None) or not r.version
                   for r in manifest.installed):
        return []
    return [Member.from_bytes(PYLOCK_NAME, pylock_toml(manifest, wheels).encode())]


# What of jobpack travels with the runner: .importlinter's runner contract allows these.
RUNNER_PACKAGES = ("layout", "runner")
# the notebook executor travels too: the job's Python runs it (runner/notebook.py)
RUNNER_PEERS = ("publish.py", "wheelset.py", "notebook.py")
_RUNNER_INIT = b'"""jobpack\'s runner, as it travels inside an archive (see __main__.py)."""\n'
_MAIN = b'''"""Run this job: python3 THIS.zip [options] [-- job arguments]; see --help."""
import sys

if sys.version_info < (3, 8):
    sys.exit("jobpack: this archive needs Python 3.8 or newer")
from jobpack.runner.main import main

sys.exit(main(archive=sys.argv[0]))
'''


def runner_members() -> dict[str, bytes]:
    """The runner as it travels: `__main__.py`, which imports the runner package from the
    archive, the package itself, the layout package and the two modules it shares with
    the packager or the job (`RUNNER_PEERS`). The archive's `jobpack/__init__.py` is a stub, so
    nothing else of jobpack comes along."""
    package = Path(__file__).resolve().parent.parent
    members = {layout.MAIN_NAME: _MAIN, layout.RUNNER_PREFIX + "__init__.py": _RUNNER_INIT}
    for peer in RUNNER_PEERS:
        members[layout.RUNNER_PREFIX + peer] = (package / peer).read_bytes()
    for folder in RUNNER_PACKAGES:
        for module in sorted((package / folder).glob("*.py")):
            members[f"{layout.RUNNER_PREFIX}{folder}/{module.name}"] = module.read_bytes()
    return members


def _check_buildable(manifest: Manifest, sources: SourceMap) -> None:
    if manifest.has_errors:
        first = next(d for d in manifest.diagnostics if d.level == "error")
        raise BuildError(f"the analysis has errors; first: {first.render()}")
    for rel, file in sources.files:
        if not file.is_file():
            raise BuildError("local file is missing", path=rel)


def _data_members(manifest: Manifest, root: Path, taken: set[str],
                  diagnostics: list[Diagnostic]) -> list[Member]:
    """The config's inputs, shipped beside the code; folders filtered like local-paths."""
    members = []
    expansion = expand([root / item.path for item in manifest.inputs], root)
    for file in expansion.files:
        name = SOURCE_PREFIX + file.relative_to(root).as_posix()
        if name not in taken:
            taken.add(name)
            members.append(Member.from_file(name, file))
    if expansion.left_out:
        listed = ", ".join(f"{shown_name(p, root)} ({why})"
                           for p, why in expansion.left_out)
        diagnostics.append(codes.LEFT_OUT.note(f"inputs: not shipped: {listed}"))
    return members


def _manifest_bytes(manifest: Manifest, members: list[Member], wheels: list[WheelRecord],
                    optional: list[OptionalRecord], layers: tuple[LayerRecord, ...]) -> bytes:
    files = [FileRecord(m.name, m.sha256, m.size)
             for m in sorted(members, key=lambda m: m.name)]
    # installed with the environment: neither the image's tier nor the optional one
    pins = [PinRecord(r.name, r.pip_line())
            for r in sorted(manifest.installed, key=lambda r: r.name) if r.tier != "optional"]
    records = layout.archive_records(files, sorted(wheels, key=lambda w: w.file), optional,
                                     layers, pins, manifest.pip.option_lines())
    return canonical_json({**manifest.to_dict(), **records}).encode()


def _size_warnings(members: list[Member]) -> list[Diagnostic]:
    big = [m for m in members if m.size > BIG_FILE]
    if not big:
        return []
    return [codes.BIG_FILE.at(m.name, None,
                       f"{m.size / 1e6:.0f} MB: consider downloading it in the job instead")
            for m in big]


def _biggest(members: list[Member]) -> str:
    top = sorted(members, key=lambda m: (-m.size, m.name))[:3]
    return ", ".join(f"{m.name} ({m.size / 1e6:.0f} MB)" for m in top)
