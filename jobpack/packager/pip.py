"""pip, as the packager calls it for the target: one command line, one way to run it, and
one way to read its error.

Every call asks for wheels only, without dependencies, for the target's CPython on Linux
x86_64 (`--implementation cp --python-version X.Y.Z --platform ...`, most specific platform
first), with the index options the job declared.
"""

from __future__ import annotations

import os
import subprocess
import sys

from jobpack.credentials import expand
from jobpack.manifest import PipOptions
from jobpack.target import Target, platform_tags


def target_pip(verb: str, target: Target, options: PipOptions, *,
               find_links: tuple[str, ...] = (), no_index: bool = False,
               with_dependencies: bool = False) -> list[str]:
    """`python -m pip VERB ...` for the target; the caller appends what it asks for.
    Dependencies are left alone (the pins are a closed set) unless `with_dependencies`."""
    command = [sys.executable, "-m", "pip", verb, "--disable-pip-version-check", "--no-input",
               "--quiet", "--only-binary=:all:", "--implementation", "cp",
               "--python-version", target.full_version]
    if not with_dependencies:
        command.append("--no-deps")
    for platform in platform_tags():
        command += ["--platform", platform]
    return command + index_options(options, find_links=find_links, no_index=no_index)


def source_pip(verb: str, options: PipOptions, *, find_links: tuple[str, ...] = (),
               no_index: bool = False) -> list[str]:
    """`python -m pip VERB ...` with the job's index options and no target flags (pip
    takes those only with --only-binary=:all:): for fetching an sdist."""
    command = [sys.executable, "-m", "pip", verb, "--disable-pip-version-check", "--no-input",
               "--quiet"]
    return command + index_options(options, find_links=find_links, no_index=no_index)


def index_options(options: PipOptions, *, find_links: tuple[str, ...] = (),
                  no_index: bool = False) -> list[str]:
    """The job's index, extra indexes, trusted hosts and find-links as pip options."""
    command: list[str] = []
    if options.index_url:
        command += ["--index-url", expand(options.index_url, os.environ)]
    for url in options.extra_index_urls:
        command += ["--extra-index-url", expand(url, os.environ)]
    for host in options.trusted_hosts:
        command += ["--trusted-host", host]
    for link in (*options.find_links, *find_links):
        command += ["--find-links", expand(link, os.environ)]
    if no_index:
        command.append("--no-index")
    return command


def run_pip(command: list[str], extra_env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run pip, never waiting for input; the caller checks the exit status."""
    env = {**os.environ, "PIP_NO_INPUT": "1", **(extra_env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def pip_error(process: subprocess.CompletedProcess[str]) -> str:
    """pip's own ERROR lines on one line (else its last line), for a one-line message."""
    lines = [line.strip() for line in (process.stderr or process.stdout).splitlines()
             if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return ("; ".join(errors or lines[-1:]) or "no message from pip")[-1500:]
