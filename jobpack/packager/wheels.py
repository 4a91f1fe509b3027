"""Fetch the target's wheels (manylinux / linux x86_64, one CPython) with `pip download`.

Wheels are cached between builds in a folder keyed by nothing but their file names (a
wheel file name pins name, version and tags; its digest is recorded in the archive). pip
downloads into a work folder; each wheel that is whole (`intact`) is then published by a
rename, so a full disk or a kill never leaves a truncated wheel where a later build reads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from jobpack.errors import MissingWheelsError, OfflineInstallError, WheelDownloadError
from jobpack.layout import local_label, serving_index
from jobpack.manifest import Manifest, PipOptions, Requirement, url_sha256
from jobpack.packager.layers import DigestMemo
from jobpack.packager.pip import pip_error, run_pip, target_pip
from jobpack.packager.sdist import SourceVerdict, build_pure_wheel
from jobpack.packager.stand_in import write_stand_in
from jobpack.publish import lock, lock_path, work_folder, write_cache_file
from jobpack.target import Target


@dataclass(frozen=True)
class FetchedWheel:
    name: str
    filename: str
    path: Path


@dataclass
class WheelFetcher:
    """Downloads (or finds in its cache) one wheel per pinned distribution.

    What the cache lacks is downloaded by ONE pip call; then the bundle is proved to
    install offline to exactly the pins (`prove_installable`) before any archive is written.
    """

    cache: Path
    allow_sdist: bool = False
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    on_progress: Callable[[str], None] | None = None
    skipped: tuple[str, ...] = ()
    built: tuple[str, ...] = ()  # wheels this build made from pure-Python sdists
    _unavailable: set[str] = field(default_factory=set)
    prove: bool = True

    def fetch(self, manifest: Manifest, prove: bool = True) -> list[FetchedWheel]:
        """One wheel per pin of `manifest`; with `prove` (and the fetcher's own), proved
        to install offline to exactly these pins."""
        tags = manifest.target.wheel_tags()
        local = {r.name: self._local(r, manifest.target, tags) for r in manifest.installed
                 if r.local_file is not None}
        wanted = [r for r in sorted(manifest.installed, key=lambda r: r.name)
                  if r.version and not r.url]
        listed = self._listing()
        todo = [r for r in wanted if self._cached(r, tags, listed) is None]
        refused = self._from_source(todo, manifest, tags) if todo else []
        if refused and not self.allow_sdist:
            unpinned = [r for r in manifest.installed
                        if (r.url or not r.version) and r.name not in local]
            raise MissingWheelsError(_refusal(refused, manifest.target, unpinned))
        listed = self._listing() if todo else listed
        todo = [r for r in todo if self._cached(r, tags, listed) is None
                and r.name not in {v.requirement.name for v in refused}
                and r.name not in self._unavailable]
        pip_said = self._download_all(todo, manifest) if todo else None
        listed = self._listing() if todo else listed
        found: list[FetchedWheel] = []
        missing: list[tuple[Requirement, str]] = []
        for requirement in sorted(manifest.installed, key=lambda r: r.name):
            if self.on_progress is not None:
                self.on_progress(requirement.name)
            if requirement.name in local:
                found.append(local[requirement.name])
                continue
            if requirement.url or not requirement.version:
                missing.append((requirement, "not pinned to a version on an index"))
                continue
            wheel = self._cached(requirement, tags, listed)
            if wheel is None:
                tag = f"cp{manifest.target.major}{manifest.target.minor}"
                missing.append((requirement, f"no wheel for {tag} manylinux x86_64"))
            else:
                found.append(wheel)
        if missing and not self.allow_sdist:
            raise MissingWheelsError(_missing_message(missing, manifest.pip, pip_said))
        self.skipped = tuple(r.name for r, _ in missing)
        if self.prove and prove and not missing and found \
                and not self._proven(found, manifest):
            prove_installable(found, manifest)
            self._remember_proof(found, manifest)
        return found

    def _local(self, requirement: Requirement, target: Target,
               tags: frozenset[Tag]) -> FetchedWheel:
        """The wheel file on this machine a pin was installed from, checked to be that very
        file (the sha256 pip recorded at install time) and built for the target; no index
        serves it, so it ships as it is."""
        path = requirement.local_file
        assert path is not None and requirement.url is not None
        said = f"{requirement.name} {requirement.version} was installed from {path}"
        if not path.is_file():
            raise MissingWheelsError(f"{said}, which is gone: put it back, or reinstall "
                                     f"{requirement.name} from its wheel, and build again")
        parsed = _wheel_filename(path.name)
        if parsed is None:
            raise MissingWheelsError(
                f"{said}, a source archive: build its wheel (pip wheel {path}), install "
                "that and build again, so the VM gets what was tested here")
        if not parsed[2] & tags:
            built = ", ".join(sorted(str(t) for t in parsed[2]))
            raise MissingWheelsError(
                f"{said}, built for {built}, not for the target (CPython "
                f"{target.major}.{target.minor}, manylinux x86_64): build it for the target")
        expected = url_sha256(requirement.url)
        # remembered by path, size and modification time: a rebuild hashes a big wheel once
        digests = DigestMemo(self.cache / ".local-digests")
        if expected is not None and digests.member(path.name, path).sha256 != expected:
            raise MissingWheelsError(
                f"{said}, which has changed since (its sha256 is no longer the installed "
                f"one's): reinstall it (pip install --force-reinstall {path}) and build again")
        return FetchedWheel(requirement.name, path.name, path)

    def _proof_key(self, wheels: list[FetchedWheel], manifest: Manifest) -> Path:
        """Where a passed proof is remembered: keyed by the target, the pins and each
        wheel's file (name, size, modification time), so a rebuild after a code change
        does not run pip's resolver again (seconds)."""
        digest = hashlib.sha256(manifest.target.full_version.encode())
        for requirement in sorted(manifest.requirements, key=lambda r: r.name):
            digest.update(f"\0{requirement.pip_line()}\0{requirement.tier}"
                          f"\0{requirement.image_version}".encode())
        for wheel in sorted(wheels, key=lambda w: w.filename):
            stat = wheel.path.stat()
            digest.update(f"\0{wheel.filename}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
        return self.cache / ".proven" / digest.hexdigest()

    def _proven(self, wheels: list[FetchedWheel], manifest: Manifest) -> bool:
        return self._proof_key(wheels, manifest).is_file()

    def _remember_proof(self, wheels: list[FetchedWheel], manifest: Manifest) -> None:
        write_cache_file(self._proof_key(wheels, manifest), b"")  # read-only: costs speed

    def _listing(self) -> list[Path]:
        """The cache's wheels, sorted: listed once per step of `fetch`, not once per pin
        (two listings per pin of a cache of a hundred wheels were a tenth of a rebuild)."""
        return sorted(self.cache.glob("*.whl")) if self.cache.is_dir() else []

    def _cached(self, requirement: Requirement, tags: frozenset[Tag],
                listed: list[Path] | None = None) -> FetchedWheel | None:
        """The cache's wheel for `requirement`, looked for in `listed` (default: the
        cache as it is now)."""
        for file in self._listing() if listed is None else listed:
            if _matches(file.name, requirement, tags):
                if not self._intact(file):  # cut short by an older jobpack: fetched again
                    file.unlink(missing_ok=True)
                    continue
                return FetchedWheel(requirement.name, file.name, file)
        return None

    def _intact(self, file: Path) -> bool:
        """`intact`, remembered by the wheel's name, size and modification time (a marker
        in the cache, as for a passed proof): a rebuild opens no wheel's zip directory
        (61 of them, torch's among them, were 5 of a rebuild's CPU seconds)."""
        try:
            stat = file.stat()
        except OSError:
            return False
        seen = f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        marker = self.cache / ".intact" / hashlib.sha256(seen).hexdigest()
        if marker.is_file():
            return True
        if not intact(file):
            return False
        write_cache_file(marker, b"")  # read-only or full: only costs speed
        return True

    def _from_source(self, todo: list[Requirement], manifest: Manifest,
                     tags: frozenset[Tag]) -> list[SourceVerdict]:
        """Before the big download: find the pins with no target wheel on the indexes,
        build the pure-Python ones from their sdists into the cache (several at once),
        return the others."""
        # the index reader (urllib, an HTML parser) loads only when something is missing
        from jobpack.packager.index import Sources, without_target_wheel

        sources = Sources.for_pip(manifest.pip, self.find_links, self.no_index)
        suspects = without_target_wheel(todo, sources, tags)
        with ThreadPoolExecutor(max_workers=4) as pool:
            verdicts = list(pool.map(lambda r: self._source_only(r, manifest, tags),
                                     suspects))
        self.built += tuple(v.wheel.name for v in verdicts if v.wheel is not None)
        # nothing at all on the index (a local build such as torch+cu121): reported with
        # the other missing pins, with the index that serves it
        self._unavailable = {v.requirement.name for v in verdicts if v.no_source}
        return [v for v in verdicts
                if v.wheel is None and v.problem is not None and not v.no_source]

    def _source_only(self, requirement: Requirement, manifest: Manifest,
                     tags: frozenset[Tag]) -> SourceVerdict:
        """Build the pin's wheel under the pin's lock in the cache (`publish.lock`, which
        dies with its holder): two builds needing it at once build it once, the second
        taking the first one's wheel."""
        self.cache.mkdir(parents=True, exist_ok=True)
        key = self.cache / f"{requirement.name}-{requirement.version}.source"
        with lock(lock_path(key)):
            ready = self._cached(requirement, tags)
            if ready is not None:
                return SourceVerdict(requirement, wheel=ready.path)
            verdict = build_pure_wheel(requirement, manifest.pip, self.cache, tags,
                                       self.find_links, self.no_index)
            if verdict.wheel is None:
                # the listing is advice: before refusing, ask pip for a target wheel itself
                with work_folder(self.cache, "download") as folder:
                    run_pip([*self._pip("download", manifest), "-d", str(folder),
                             f"{requirement.name}=={requirement.version}"])
                    _publish(folder, self.cache)
                if self._cached(requirement, tags) is not None:
                    return SourceVerdict(requirement)
        return verdict

    def _download_all(self, requirements: list[Requirement], manifest: Manifest
                      ) -> str | None:
        """One `pip download` for every wheel the cache lacks; pip's own words on failure.

        pip stops at the first pin it cannot get, so only then is each pin tried alone, to
        name every missing one together."""
        self.cache.mkdir(parents=True, exist_ok=True)
        with work_folder(self.cache, "download") as folder:
            listing = folder / "requirements.txt"
            listing.write_text("".join(f"{r.name}=={r.version}\n" for r in requirements),
                               encoding="utf-8")
            command = [*self._pip("download", manifest), "-d", str(folder),
                       "-r", str(listing)]
            process = run_pip(command)
            if process.returncode != 0:
                for requirement in requirements:
                    run_pip([*self._pip("download", manifest), "-d", str(folder),
                             f"{requirement.name}=={requirement.version}"])
            _publish(folder, self.cache)
        if process.returncode == 0:
            return None
        if "No space left on device" in (process.stderr or ""):
            raise WheelDownloadError("no space left on the device while downloading wheels "
                                     f"into {self.cache}; nothing half-written was kept")
        return pip_error(process)

    def _pip(self, verb: str, manifest: Manifest) -> list[str]:
        return target_pip(verb, manifest.target, manifest.pip,
                          find_links=self.find_links, no_index=self.no_index)


def intact(wheel: Path, full: bool = False) -> bool:
    """A wheel whose zip is whole: its central directory (at the end, so a download cut
    short by a full disk or a kill has none) reads and, when `full`, every member's CRC
    matches. The directory is the check used: a full CRC pass inflates every member
    (torch's 192 MB wheel: 38 s against 1 s for the directory, measured on a loaded
    2-core machine), and a wheel pip finished downloading is whole."""
    try:
        with zipfile.ZipFile(wheel) as opened:
            return not full or opened.testzip() is None
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def _publish(folder: Path, cache: Path) -> None:
    """Move the whole wheels pip downloaded into the cache, each by one rename: the
    cache never holds a partial one."""
    for wheel in sorted(folder.glob("*.whl")):
        if intact(wheel):
            wheel.replace(cache / wheel.name)


def _refusal(refused: list[SourceVerdict], target: Target,
             unpinned: Sequence[Requirement] = ()) -> str:
    """One line naming each source-only pin that cannot be built here (and each pin no
    index can serve), and the ways out."""
    tag = f"cp{target.major}{target.minor}"
    listed = "; ".join([*(f"{v.requirement.name}=={v.requirement.version} has no wheel for "
                          f"{tag} manylinux x86_64 and {v.problem}" for v in refused),
                        *(f"{r.name}: not pinned to a version on an index"
                          for r in unpinned)])
    names = " ".join(f"--exclude {v.requirement.name}" for v in refused)
    return (f"{listed}: pin a version that has a manylinux wheel, leave it out with "
            f"{names} if the job does not need it, or pass --allow-sdist to have pip "
            "build it on the VM")


def prove_installable(wheels: list[FetchedWheel], manifest: Manifest) -> None:
    """Resolve the pins offline from exactly these wheels, for the target; they must
    install to exactly the pins (no more, no other versions), or the build fails."""
    pins = {r.name: r.version for r in manifest.installed}
    with tempfile.TemporaryDirectory(prefix="jobpack-prove-") as temp:
        folder = Path(temp) / "wheels"
        folder.mkdir()
        for wheel in wheels:
            (folder / wheel.filename).symlink_to(wheel.path.resolve())
        # what the image provides satisfies the pins' requirements on it, as it will on
        # the VM: stand-in wheels of its name and the image's version, never bundled
        provided = [r for r in manifest.requirements if r.tier == "provided"]
        for requirement in provided:
            write_stand_in(folder, requirement.name, _provided_version(requirement))
        command = [*target_pip("install", manifest.target, PipOptions(),
                               find_links=(str(folder),),
                               no_index=True, with_dependencies=True),
                   "--dry-run", "--ignore-installed", "--target", str(Path(temp) / "target"),
                   # pip judges Requires-Python here by the Python running pip, not the
                   # target's; the download already judged it by the target's
                   "--ignore-requires-python", "--report", "-"]
        command += [r.pip_line().split(" --hash=")[0] for r in manifest.installed]
        process = run_pip(command)
    if process.returncode != 0:
        raise OfflineInstallError(
            f"the bundled wheels do not install offline for Python "
            f"{manifest.target.full_version}: "
            f"{pip_error(process)}")
    try:
        report = json.loads(process.stdout)
        installed = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                     for item in report.get("install", [])}
    except (ValueError, KeyError, TypeError):
        return  # an older pip without --report output: the exit status is the proof
    extra = sorted(set(installed) - set(pins) - {r.name for r in provided})
    other = sorted(n for n in installed if n in pins and installed[n] != pins[n])
    if extra or other:
        named = [f"{n} (not pinned)" for n in extra]
        named += [f"{n} {installed[n]} instead of {pins[n]}" for n in other]
        raise OfflineInstallError(
            "the bundled wheels resolve to more than the pins: " + ", ".join(named))


def _missing_message(missing: list[tuple[Requirement, str]], pip: PipOptions,
                     pip_said: str | None) -> str:
    """Every wheel the build lacks, and the way out: for a local build (`+cu121`), the
    index that serves it, since no sdist would help; else a pin with a wheel, a manual
    requirements-file or `--allow-sdist`."""
    listed = "; ".join(f"{r.name}=={r.version or r.specifier or r.url}: {why}"
                       for r, why in missing)
    local = [r for r, _ in missing if local_label(r.version)]
    hint = _local_hint(local, pip) if local else (
        "Pin a version that has a manylinux wheel, move it to a manual requirements-file, "
        "or pass --allow-sdist to have pip build it on the VM")
    return (f"no target wheel for {len(missing)} distribution(s): {listed}. {hint}"
            + (f" (pip: {pip_said})" if pip_said else ""))


def _local_hint(local: list[Requirement], pip: PipOptions) -> str:
    names = ", ".join(f"{r.name}=={r.version}" for r in local)
    indexes = sorted({serving_index(r.version) or "" for r in local} - {""})
    served = f" ({', '.join(indexes)})" if indexes else ""
    configured = [u for u in (pip.index_url, *pip.extra_index_urls) if u]
    tried = f"the configured index ({', '.join(configured)}) lacks it; " if configured else ""
    return (f"{names}: a local build PyPI does not serve; {tried}add the index that serves "
            f"it{served} to env.python.pip.extra-index-urls, or leave it to the image with "
            "--provided")


def _provided_version(requirement: Requirement) -> str:
    return requirement.image_version or requirement.version or "0"


def _matches(filename: str, requirement: Requirement, tags: frozenset[Tag]) -> bool:
    parsed = _wheel_filename(filename)
    if parsed is None or parsed[0] != requirement.name:
        return False
    _, version, wheel_tags = parsed
    try:
        same_version = version == Version(requirement.version)
    except InvalidVersion:
        same_version = str(version) == requirement.version
    return same_version and bool(wheel_tags & tags)


@functools.lru_cache(maxsize=4096)
def _wheel_filename(filename: str) -> tuple[str, Version, frozenset[Tag]] | None:
    """A wheel file name's canonical name, version and tags: parsed once per process
    (every pin looks at every cached wheel's name, 3,800 parses for a torch job)."""
    try:
        name, version, _build, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    return canonicalize_name(name), version, frozenset(wheel_tags)
