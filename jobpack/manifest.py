"""The manifest: the contract between analyzer, packager and runner.

Plain frozen dataclasses, serialised as canonical JSON (sorted keys, lists in a stable
order, UTF-8, one trailing newline). The field names are a public contract documented in
`docs/manifest.md`; add fields, never rename them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jobpack.errors import ManifestError
from jobpack.layout import CONSTRAINTS_NAME, SCHEMA
from jobpack.target import PLATFORM, Target

Level = Literal["error", "warning", "info"]
PythonMode = Literal["auto", "manual", "plain"]
# required: installed before the job starts; optional: reached only through code the
# analysis could not show runs, installed by the runner on the job's first import of it;
# provided: already in the base image the job runs on, never installed
Tier = Literal["required", "optional", "provided"]
TIERS: tuple[Tier, ...] = ("required", "optional", "provided")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """Something the user should know, with a stable code and a place (file:line)."""

    path: str | None
    line: int | None
    code: str
    message: str
    level: Level = "warning"

    def render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{self.level}[{self.code}]: {self.message}"
        return f"{where}: {text}" if where else text


@dataclass(frozen=True)
class Requirement:
    """One pinned distribution the job needs on the target."""

    name: str
    version: str
    direct: bool
    imported_as: tuple[str, ...] = ()
    required_by: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    extras: tuple[str, ...] = ()
    pure: bool | None = None
    specifier: str | None = None  # a manual requirement's range, when it pins no version
    hashes: tuple[str, ...] = ()
    size: int | None = None  # bytes installed, from the distribution's RECORD
    lazy_only: bool = False  # reached only by imports inside library functions
    optional_only: bool = False  # pinned only as an installed optional dependency (an extra)
    tier: Tier = "required"
    image_version: str | None = None  # provided: its version in the image, when known
    # the top-level modules it provides: the runner installs an optional one on the first
    # import of any of them
    top_level: tuple[str, ...] = ()

    @property
    def local_file(self) -> Path | None:
        """The archive file on this machine the distribution was installed from (`pip
        install dist/mypkg-0.1.0-py3-none-any.whl`): no index serves it, so only a bundled
        copy reaches the VM."""
        return local_file(self.url)

    def pip_line(self) -> str:
        """The line `pip install -r` reads for this requirement."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        if self.url:
            line = f"{self.name}{extras} @ {self.url}"
        elif self.version:
            line = f"{self.name}{extras}=={self.version}"
        else:
            line = f"{self.name}{extras}{self.specifier or ''}"
        if self.marker:
            line += f" ; {self.marker}"
        line += "".join(f" --hash={h}" for h in self.hashes)
        return line


def local_file(url: str | None) -> Path | None:
    """The path a `file:` URL names (its `#sha256=...` fragment left out), else None."""
    if not url or not url.startswith("file:"):
        return None
    return Path(url2pathname(urlsplit(url).path))


def archive_sha256(archive_info: object) -> str | None:
    """The sha256 a PEP 610 `archive_info` records (an installed distribution's
    `direct_url.json`, pip's `--report`): its `hashes`, else the older `hash` field."""
    if not isinstance(archive_info, dict):
        return None
    hashes = archive_info.get("hashes")
    found = hashes.get("sha256") if isinstance(hashes, dict) else None
    if not found:
        found = str(archive_info.get("hash") or "").partition("sha256=")[2]
    return str(found) or None


def url_sha256(url: str) -> str | None:
    """The sha256 a URL's `#sha256=...` fragment gives, else None."""
    fragment = url.partition("#")[2]
    return fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None


@dataclass(frozen=True)
class LocalFile:
    """A file of the job's own code, POSIX path relative to the project root."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class DataFile:
    """A file the job's code reads (not imports), shipped beside it: POSIX path relative
    to the project root, and the `file:line` of every read that names it (`config.yaml
    (cmd)` for a `cmd` argument)."""

    path: str
    sha256: str
    size: int
    read_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataPath:
    """An input or output of the job, optionally bound to a `${VAR}` of the cmd. An output
    `folder` is created empty before the job starts (see docs/config.md, "outputs")."""

    path: str
    var: str | None = None
    folder: bool = False


@dataclass(frozen=True)
class PipOptions:
    """pip options the runner passes on when it installs the requirements."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_deps: bool = False
    constraints: tuple[str, ...] = ()  # lines of a constraints file, shipped beside

    def option_lines(self) -> list[str]:
        """The options as lines of a pip requirements file. `--no-deps` is not allowed in
        such a file, so it becomes a comment; the runner passes it to pip itself."""
        lines = []
        if self.no_deps:
            lines.append("# install with: pip install --no-deps -r requirements.txt")
        if self.index_url:
            lines.append(f"--index-url {self.index_url}")
        lines += [f"--extra-index-url {url}" for url in self.extra_index_urls]
        lines += [f"--trusted-host {host}" for host in self.trusted_hosts]
        lines += [f"--find-links {link}" for link in self.find_links]
        if self.constraints:
            lines.append(f"-c {CONSTRAINTS_NAME}")
        return lines


@dataclass(frozen=True)
class SourceMap:
    """Where a manifest's files are on disk, the packager's second input: the project
    folder (inputs and outputs are relative to it) and each local file by manifest path."""

    root: Path
    files: tuple[tuple[str, Path], ...] = ()

    @classmethod
    def of(cls, root: Path, files: dict[str, Path]) -> SourceMap:
        return cls(root, tuple(sorted(files.items())))

    @classmethod
    def beside(cls, manifest: Manifest, root: str | Path) -> SourceMap:
        """The files of `manifest` (code and data files) where its paths say, under the
        project folder `root`."""
        base = Path(root).resolve()
        paths = [f.path for f in manifest.local_files] + [f.path for f in manifest.data_files]
        return cls(base, tuple(sorted((path, base / path) for path in paths)))


@dataclass(frozen=True)
class Interpreter:
    """The analysed interpreter: whose installed versions were pinned, from where.

    No absolute paths: they differ between machines and would make archives differ.
    """

    python: str  # full version, e.g. 3.11.7
    environment: str  # "venv" or "system"
    platform: str  # sysconfig platform of the analysing machine, e.g. linux-x86_64
    implementation: str = "CPython"

    def describe(self) -> str:
        return f"{self.implementation} {self.python} ({self.environment}, {self.platform})"


@dataclass(frozen=True)
class Manifest:
    """Everything the packager and the runner know about a job."""

    target: Target  # X.Y.Z (X.Y when no interpreter of the target's X.Y was analysed)
    entry_points: tuple[str, ...]
    cmd: str | None = None
    requirements: tuple[Requirement, ...] = ()
    local_files: tuple[LocalFile, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    inputs: tuple[DataPath, ...] = ()
    outputs: tuple[DataPath, ...] = ()
    pip: PipOptions = field(default_factory=PipOptions)
    python_mode: PythonMode = "auto"
    env: tuple[tuple[str, str | None], ...] = ()
    schema: str = SCHEMA
    interpreter: Interpreter | None = None
    name: str | None = None  # the config's `name:`
    # ${VARS} of cmd defined on the VM (DS_PROJECT_HOME, datasets); the runner fills them
    # from its environment and names any that is not set
    runtime_vars: tuple[str, ...] = ()
    # files the code reads, shipped beside it (`open("params.yaml")`, Hydra's conf/)
    data_files: tuple[DataFile, ...] = ()
    # project folders the runner puts on sys.path, as the editable install (`pip install
    # -e .` of a src layout) that made the job's own packages importable did
    sys_path: tuple[str, ...] = ()

    def normalized(self) -> Manifest:
        """The same manifest with every list in its canonical order."""
        return replace(
            self,
            requirements=tuple(sorted(self.requirements, key=lambda r: r.name)),
            local_files=tuple(sorted(self.local_files, key=lambda f: f.path)),
            data_files=tuple(sorted(self.data_files, key=lambda f: f.path)),
            diagnostics=tuple(sorted(set(self.diagnostics), key=_diagnostic_key)),
            env=tuple(sorted(self.env)),
            runtime_vars=tuple(sorted(set(self.runtime_vars))),
        )

    @property
    def installed(self) -> tuple[Requirement, ...]:
        """The requirements the archive brings: all but those the image provides."""
        return tuple(r for r in self.requirements if r.tier != "provided")

    @property
    def has_errors(self) -> bool:
        return any(d.level == "error" for d in self.diagnostics)

    def requirements_txt(self) -> str:
        """A pip requirements file: options first, then one pin per line."""
        lines = self.pip.option_lines()
        lines += [r.pip_line() for r in sorted(self.requirements, key=lambda r: r.name)
                  if r.tier != "provided"]
        return "".join(line + "\n" for line in lines)

    def to_dict(self) -> dict[str, Any]:
        normalized = self.normalized()
        data = asdict(normalized)
        data["target"] = {"python": normalized.target.full_version,
                          "platform": normalized.target.platform}
        data["python"] = {"mode": data.pop("python_mode")}
        data["env"] = {"vars": dict(normalized.env)}
        for item in (*data["inputs"], *data["outputs"]):
            if not item["folder"]:
                del item["folder"]  # written only when true: older manifests stay as they were
        if not data["sys_path"]:
            del data["sys_path"]  # likewise: written only when there is one
        return data

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        try:
            if data.get("schema") != SCHEMA:
                raise ManifestError(f"unsupported manifest schema {data.get('schema')!r}")
            return cls(
                schema=data["schema"],
                target=_target(data["target"]),
                entry_points=tuple(data["entry_points"]),
                cmd=data.get("cmd"),
                requirements=tuple(_requirement(r) for r in data.get("requirements", [])),
                local_files=tuple(LocalFile(**f) for f in data.get("local_files", [])),
                diagnostics=tuple(Diagnostic(**d) for d in data.get("diagnostics", [])),
                inputs=tuple(DataPath(**p) for p in data.get("inputs", [])),
                outputs=tuple(DataPath(**p) for p in data.get("outputs", [])),
                pip=PipOptions(
                    **_tuples(
                        data.get("pip", {}), "extra_index_urls", "trusted_hosts", "find_links",
                        "constraints",
                    )
                ),
                python_mode=data.get("python", {}).get("mode", "auto"),
                env=tuple(sorted(data.get("env", {}).get("vars", {}).items())),
                interpreter=Interpreter(**data["interpreter"]) if data.get("interpreter")
                else None,
                name=data.get("name"),
                runtime_vars=tuple(data.get("runtime_vars", [])),
                data_files=tuple(DataFile(**_tuples(f, "read_by"))
                                 for f in data.get("data_files", [])),
                sys_path=tuple(data.get("sys_path", [])),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(f"malformed manifest: {exc}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ManifestError(f"manifest is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ManifestError("manifest is not a JSON object")
        return cls.from_dict(data)


def _diagnostic_key(d: Diagnostic) -> tuple[str, int, str, str, str]:
    return (d.path or "", d.line or 0, d.code, d.message, d.level)


def _requirement(data: dict[str, Any]) -> Requirement:
    """A requirement read back; one written before tiers existed is required."""
    req = Requirement(**_tuples(data, "imported_as", "required_by", "extras", "hashes",
                                     "top_level"))
    if req.tier not in TIERS:
        raise ManifestError(f"requirement {req.name!r}: unknown tier {req.tier!r}, "
                            f"expected one of {', '.join(TIERS)}")
    return req


def _tuples(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: tuple(v) if k in keys else v for k, v in data.items()}


def canonical_json(data: Any) -> str:
    """JSON with sorted keys, two-space indents, UTF-8 text and a trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _target(data: dict[str, Any]) -> Target:
    if data.get("platform", PLATFORM) != PLATFORM:
        raise ManifestError(f"unsupported target platform {data.get('platform')!r}")
    return Target.parse(str(data["python"]))
