"""The options the commands share, declared once as frozen dataclasses.

A command takes `job: JobOptions` (and/or `output: OutputOptions`) and decorates itself
with `@shared_options()`: the decorator shows typer one parameter per field (the field's
`cli` metadata is its `typer.Option`/`typer.Argument`) and hands the command the built
dataclass. A new shared option is one field here; every command that takes the object
gets it.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer

from jobpack.target import Target

F = TypeVar("F", bound=Callable[..., Any])


def _cli(declaration: Any) -> Any:
    return {"cli": declaration}


@dataclass(frozen=True)
class JobOptions:
    """What names a job and how it is analysed: the same in analyze, why, graph, trace,
    build and submit."""

    entries: tuple[str, ...] = field(default=(), metadata=_cli(typer.Argument(
        help="Entry points: script paths, or '-m pkg.mod'.", show_default=False,
        metavar="ENTRY")))
    config: Path | None = field(default=None, metadata=_cli(typer.Option(
        "--config", "-c", help="A DataSphere-style job config.yaml.", dir_okay=False,
        metavar="FILE")))
    python: str | None = field(default=None, metadata=_cli(typer.Option(
        "--python", help="Interpreter whose environment is analysed (default: "
        "$VIRTUAL_ENV, else the one running jobpack).", metavar="PATH")))
    target_python: Target | None = field(default=None, metadata=_cli(typer.Option(
        "--target-python", help="Python X.Y (or X.Y.Z) the job runs on (default: the "
        "config's or the analysed interpreter's).", metavar="X.Y", parser=Target.parse)))
    cache_dir: Path | None = field(default=None, metadata=_cli(typer.Option(
        "--cache-dir", help="Cache of per-file import facts (default: $JOBPACK_CACHE_DIR, "
        "else the user cache folder).", metavar="DIR")))
    no_cache: bool = field(default=False, metadata=_cli(typer.Option(
        "--no-cache", help="Parse every file afresh.", show_default=False)))
    exclude: tuple[str, ...] = field(default=(), metadata=_cli(typer.Option(
        "--exclude", help="Do not ship this distribution, nor what only it brings in "
        "(repeatable).", metavar="NAME")))
    on_demand: tuple[str, ...] = field(default=(), metadata=_cli(typer.Option(
        "--on-demand", help="Install this distribution (and what only it makes required) "
        "only when the job first imports it: the optional tier (repeatable).",
        metavar="NAME")))
    ignore: tuple[str, ...] = field(default=(), metadata=_cli(typer.Option(
        "--ignore", help="Do not report this diagnostic code (a warning's or an info's; "
        "repeatable). '# jobpack: ignore[CODE]' silences one line.", metavar="CODE")))
    provided: tuple[str, ...] = field(default=(), metadata=_cli(typer.Option(
        "--provided", help="What the image the job runs on already has: a pip freeze or "
        "requirements-style listing; neither shipped nor installed (repeatable).",
        metavar="FILE")))
    provided_python: str | None = field(default=None, metadata=_cli(typer.Option(
        "--provided-python", help="Like --provided, read from a Python inside the image "
        "(its installed distributions; nothing is imported).", metavar="PATH")))
    exclude_files: tuple[str, ...] = field(default=(), metadata=_cli(typer.Option(
        "--exclude-file", help="Do not ship files the job reads that match this glob (a "
        "path relative to the job's folder; a folder leaves out what is under it; "
        "repeatable).", metavar="GLOB")))


@dataclass(frozen=True)
class OutputOptions:
    """How much a command prints and what fails it: analyze and build."""

    strict: bool = field(default=False, metadata=_cli(typer.Option(
        "--strict", help="Warnings fail the command too (exit 1), for CI.",
        show_default=False)))
    quiet: bool = field(default=False, metadata=_cli(typer.Option(
        "--quiet", "-q", help="Print only warnings, errors and the result.",
        show_default=False)))
    verbose: bool = field(default=False, metadata=_cli(typer.Option(
        "--verbose", "-v", help="List every diagnostic instead of grouping repeats.",
        show_default=False)))


DEFAULT_JOB = JobOptions()  # defaults for a command signature; the decorator replaces them
DEFAULT_OUTPUT = OutputOptions()
_SHARED: tuple[type[Any], ...] = (JobOptions, OutputOptions)


def shared_options(*, omit: Collection[str] = ()) -> Callable[[F], F]:
    """Expand each parameter typed with a shared options class into its fields' typer
    parameters (leaving out the fields named in `omit`, which keep their defaults)."""
    def decorate(command: F) -> F:
        hints = typing.get_type_hints(command, include_extras=True)
        expanded: list[inspect.Parameter] = []
        groups: dict[str, tuple[type[Any], list[str]]] = {}
        for parameter in inspect.signature(command).parameters.values():
            kind = hints.get(parameter.name)
            if kind not in _SHARED:
                expanded.append(parameter.replace(
                    kind=inspect.Parameter.KEYWORD_ONLY,  # typer passes keywords only
                    annotation=as_declared(hints.get(parameter.name,
                                                     parameter.annotation))))
                continue
            names = [f.name for f in fields(kind) if f.name not in omit]
            groups[parameter.name] = (kind, names)
            expanded.extend(_parameter(kind, name) for name in names)

        @functools.wraps(command)
        def wrapper(**given: Any) -> Any:
            for group, (kind, names) in groups.items():
                given[group] = kind(**{name: _value(kind, name, given.pop(name))
                                       for name in names})
            return command(**given)

        wrapper.__signature__ = inspect.Signature(expanded)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in expanded}
        return typing.cast(F, wrapper)
    return decorate


def as_declared(hint: Any) -> Any:
    """`hint` as written. Python 3.10's `get_type_hints` wraps the hint of a parameter
    whose default is None in `Optional[...]` (3.11 no longer does), which hides an
    `Annotated[..., typer.Argument(...)]` from typer: `jobpack trace main.py` said "Got
    unexpected extra argument(s)" there, its ENTRY and ARGS gone."""
    if typing.get_origin(hint) is typing.Union:
        annotated = [a for a in typing.get_args(hint)
                     if typing.get_origin(a) is typing.Annotated]
        if len(annotated) == 1:
            return annotated[0]
    return hint


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(kind: type[Any]) -> dict[str, Any]:
    """The evaluated field types of `kind`, once per class: evaluating them for each of
    70 parameters took about a tenth of every command's start-up."""
    found = _HINTS.get(kind)
    if found is None:
        found = _HINTS[kind] = typing.get_type_hints(kind)
    return found


def _parameter(kind: type[Any], name: str) -> inspect.Parameter:
    declared = next(f for f in fields(kind) if f.name == name)
    hint = _hints(kind)[name]
    default = declared.default
    if typing.get_origin(hint) is tuple:  # typer repeats into a list; the field keeps a tuple
        element = typing.get_args(hint)[0]
        hint, default = Optional[list[element]], None  # type: ignore[valid-type]  # noqa: UP045
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=typing.Annotated[hint, declared.metadata["cli"]])


def _value(kind: type[Any], name: str, given: Any) -> Any:
    if typing.get_origin(_hints(kind)[name]) is tuple:
        return tuple(given or ())
    return given
