"""Typed reading of `jobpack.json`: each field checked for its kind as it is read, so a
malformed manifest is one ValueError naming the key, never a KeyError deep in the runner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def field(data: Any, key: str, kind: type) -> Any:
    """`data[key]`, which must be there and a `kind` (a bool is no int here)."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{key!r} must be a {kind.__name__} in {data!r}")
    return value


def names(data: Any, key: str) -> tuple[str, ...]:
    """`data[key]`, which must be a list of strings."""
    values = field(data, key, list)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} must be a list of strings in {data!r}")
    return tuple(values)


def optional(data: Any, key: str, kind: type, default: Any) -> Any:
    """`data[key]` when present and not null (then a `kind`), else `default`."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    return field(data, key, kind) if key in data and data[key] is not None else default


def strings(data: Any, key: str) -> tuple[str, ...]:
    """`data[key]`, a list of strings, empty when absent."""
    values = optional(data, key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(values)


def records(data: Any, key: str, parse: Callable[[Any], Any]) -> tuple[Any, ...]:
    """Each entry of the list `data[key]` (empty when absent) read by `parse`."""
    return tuple(parse(entry) for entry in optional(data, key, list, []))
