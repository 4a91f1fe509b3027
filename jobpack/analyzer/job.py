"""Step 1 of `analyze`: what the user asked for, as one value.

Entry points named on the command line, the job config (`config.yaml`) and its `cmd`, and
the project root become a `Job`: the entry texts to walk, the folder Python puts first on
`sys.path`, and the config's other settings. Nothing is parsed or walked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jobpack.analyzer.cmdline import find_cmd_entries
from jobpack.analyzer.entries import default_root, local_path_entry, parse_entry
from jobpack.analyzer.walk.walker import Entry
from jobpack.diagnostics import IMAGE_ENTRY_POINT
from jobpack.errors import EntryPointError
from jobpack.files import Expansion, expand
from jobpack.manifest import DataPath, Diagnostic, PipOptions
from jobpack.target import Target

if TYPE_CHECKING:
    from jobpack.analyzer.pins.environment import PythonEnvironment
    from jobpack.config import JobConfig


@dataclass(frozen=True)
class RunSettings:
    """What the manifest takes from the config unchanged: cmd (None: run the first entry
    point), name, inputs, outputs, env vars and the variables the runner fills in."""

    cmd: str | None = None
    name: str | None = None
    inputs: tuple[DataPath, ...] = ()
    outputs: tuple[DataPath, ...] = ()
    env_vars: tuple[tuple[str, str | None], ...] = ()
    runtime_vars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    """A job to analyse: its entry texts (`main.py`, `-m pkg.mod`), root and config."""

    entry_texts: tuple[str, ...]
    root: Path
    config: JobConfig | None = None
    local_paths: Expansion | None = None  # the config's manual local-paths, expanded
    cmd_notes: tuple[Diagnostic, ...] = ()  # what reading cmd noticed
    cmd_files: tuple[str, ...] = ()  # files and folders cmd names besides scripts
    # tools cmd runs notebooks with: (tool, requirement), `("jupyter nbconvert", "nbconvert")`
    cmd_tools: tuple[tuple[str, str], ...] = ()

    @property
    def runs_python(self) -> bool:
        """False for a config whose cmd runs no Python: its inputs ship as they are."""
        return bool(self.entry_texts) or self.local_paths is not None

    @property
    def pip(self) -> PipOptions:
        return self.config.pip if self.config is not None else PipOptions()

    @property
    def run(self) -> RunSettings:
        """How the job runs, as the config says (a script job has no config: defaults)."""
        config = self.config
        if config is None:
            return RunSettings()
        return RunSettings(config.cmd, config.name, config.inputs, config.outputs,
                           config.env_vars, config.runtime_vars)

    @property
    def notes(self) -> tuple[Diagnostic, ...]:
        return (*(self.config.notes if self.config is not None else ()), *self.cmd_notes)

    def target(self, asked: Target | None, environment: PythonEnvironment) -> Target:
        """The target Python: asked for, else the config's, else the analysed one's."""
        wanted = asked or (self.config.target if self.config is not None else None)
        return Target.for_job(wanted, environment.target)

    def entries(self, site: tuple[Path, ...] = ()) -> list[Entry]:
        """The entry points, as the interpreter would start them; `-m` modules are also
        looked for in `site` (folders of editable installs)."""
        return [parse_entry(text, self.root, site) for text in self.entry_texts]

    def walk_entries(self, entries: list[Entry]) -> list[Entry]:
        """`entries`, plus every script of manual local-paths (walked for its imports)."""
        if self.local_paths is None:
            return entries
        known = {e.file for e in entries}
        return entries + [local_path_entry(f, self.root) for f in self.local_paths.files
                          if f.suffix == ".py" and f not in known]


def load_job(entry_points: Sequence[str | Path], *, config: str | Path | None,
             root: str | Path | None, cwd: Path) -> Job:
    """The job named by `entry_points` and/or `config`, with paths made absolute."""
    texts = [str(e) for e in entry_points]
    job_config = None
    cmd_files: tuple[str, ...] = ()
    cmd_tools: tuple[tuple[str, str], ...] = ()
    if config is not None:
        from jobpack.config import load_config  # PyYAML only when there is a config

        job_config = load_config(config)
        found = find_cmd_entries(job_config.cmd, job_config.root, config=str(config))
        texts = list(dict.fromkeys([*texts, *found.as_entry_points(), *job_config.root_paths]))
        cmd_notes = _outside_scripts(found.outside, job_config, str(config))
        cmd_files = found.files
        cmd_tools = found.tools
        if not texts and not job_config.local_paths and not job_config.docker and (
                found.runs_python or job_config.python_configured):
            raise EntryPointError(
                f"cannot find the Python entry point in cmd {job_config.cmd!r}; "
                "list it in env.python.root-paths", path=str(config), key="cmd")
    elif not texts:
        raise EntryPointError("no entry point given (name a .py file or use --config)")
    else:
        cmd_notes = ()
    if root is not None:
        base = (cwd / root).resolve()
    elif job_config is not None:
        base = job_config.root
    else:
        base = default_root(texts, cwd)
        texts = [t if t.startswith("-m ") else str(cwd / t) for t in texts]
    local_paths = None
    if job_config is not None and job_config.local_paths:
        local_paths = expand([job_config.root / p for p in job_config.local_paths],
                             job_config.root)
    return Job(tuple(texts), base, job_config, local_paths, cmd_notes, cmd_files, cmd_tools)


def _outside_scripts(scripts: tuple[str, ...], config: JobConfig,
                     name: str) -> tuple[Diagnostic, ...]:
    """A script cmd runs from outside the job's folder never ships: with `env.docker` the
    image provides it (a warning), otherwise the job cannot run on the VM (an error)."""
    if not scripts:
        return ()
    if not config.docker:
        raise EntryPointError(
            f"runs {scripts[0]}, which is outside the job's folder {config.root}; only "
            "what is inside it ships", path=name, key="cmd")
    return (IMAGE_ENTRY_POINT.at(
        config.file.name, None, f"cmd runs {', '.join(scripts)} from the env.docker image; "
        "jobpack neither analyses nor ships it, so the archive runs only where that "
        "image's files are"),)
