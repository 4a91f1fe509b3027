"""The import-linter contracts (`.importlinter`) name every module of jobpack: a module
they leave out is bound by none of them, so a new one could import the runner unseen."""

from __future__ import annotations

import configparser
from pathlib import Path

import jobpack
from tests.conftest import REPO


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(REPO / ".importlinter")
    return parser


def _listed(section: str, key: str) -> set[str]:
    return {line.strip() for line in _contracts()[section][key].replace("|", "\n").split()
            if line.strip()}


def _modules() -> set[str]:
    """jobpack's top-level modules and packages, and each destination."""
    package = Path(jobpack.__file__).parent
    found = {f"jobpack.{p.stem}" for p in package.glob("*.py") if not p.stem.startswith("_")}
    found |= {f"jobpack.{p.parent.name}" for p in package.glob("*/__init__.py")}
    found |= {f"jobpack.destinations.{p.stem}" for p in (package / "destinations").glob("*.py")
              if not p.stem.startswith("_")}
    return found


def test_every_module_has_a_place_in_the_pipeline() -> None:
    layers = _listed("importlinter:contract:pipeline", "layers")
    assert {m for m in _modules() if not m.startswith("jobpack.destinations.")} <= layers


def test_only_the_local_destination_may_import_the_runner() -> None:
    barred = _listed("importlinter:contract:runner-callers", "source_modules")
    allowed = {"jobpack.runner", "jobpack.destinations", "jobpack.destinations.local"}
    assert _modules() - allowed == barred
