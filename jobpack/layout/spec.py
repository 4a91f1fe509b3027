"""The typed `RunSpec`: what the runner needs of `jobpack.json`, read once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fields import field, optional, records, strings
from .layers import LayerRecord
from .names import SCHEMA
from .optional import OptionalRecord
from .records import DataRecord, FileRecord, PinRecord, WheelRecord

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class RunSpec:
    """What the runner needs of `jobpack.json`, read once and typed: the job's command and
    its environment, the archive's members and layers, and how to install the pins.

    The manifest's keys are spelled here and in `manifest.py` alone."""

    python: str  # the target's X.Y.Z (X.Y in older archives): see `same_python`
    cmd: str
    plain: bool = False  # python mode "plain": the VM's own Python, nothing installed
    inputs: tuple[DataRecord, ...] = ()
    outputs: tuple[DataRecord, ...] = ()
    runtime_vars: tuple[str, ...] = ()  # ${NAME}s read from the environment at run time
    sys_path: tuple[str, ...] = ()  # folders under src/ the job's PYTHONPATH starts with
    env_vars: tuple[tuple[str, str], ...] = ()  # set for the job
    files: tuple[FileRecord, ...] = ()  # the members of the archive's own zip
    layers: tuple[LayerRecord, ...] = ()  # in the order they lie before the zip
    wheels: tuple[WheelRecord, ...] = ()  # members of the layers
    # the optional tier: installed on the job's first import of one (runner/optional.py)
    optional: tuple[OptionalRecord, ...] = ()
    pins: tuple[PinRecord, ...] = ()
    pip_options: tuple[str, ...] = ()  # requirements-file option lines (--index-url ...)
    no_deps: bool = False
    # requirements of tier "provided" (the image has them): name, and the image's version
    # when the build knew it, else the analysed one ('' when neither)
    provided: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> RunSpec:
        """Raises ValueError naming the key that is missing or of the wrong type."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"unsupported schema (this runner reads {SCHEMA})")
        python = field(field(data, "target", dict), "python", str)
        install = optional(data, "install", dict, {})
        env = optional(optional(data, "env", dict, {}), "vars", dict, {})
        return cls(
            python=python, cmd=optional(data, "cmd", str, ""),
            plain=optional(optional(data, "python", dict, {}), "mode", str, "") == "plain",
            inputs=records(data, "inputs", DataRecord.from_dict),
            outputs=records(data, "outputs", DataRecord.from_dict),
            runtime_vars=strings(data, "runtime_vars"),
            sys_path=strings(data, "sys_path"),
            env_vars=tuple(sorted((str(k), str(v)) for k, v in env.items() if v is not None)),
            files=records(data, "files", FileRecord.from_dict),
            layers=records(data, "layers", LayerRecord.from_dict),
            wheels=records(data, "wheels", WheelRecord.from_dict),
            optional=records(data, "optional", OptionalRecord.from_dict),
            pins=records(install, "pins", PinRecord.from_dict),
            pip_options=strings(install, "options"),
            no_deps=bool(optional(optional(data, "pip", dict, {}), "no_deps", bool, False)),
            provided=_provided(data))

    @classmethod
    def of_archive(cls, data: Any) -> RunSpec:
        """The spec of an archive's `jobpack.json`, which must list its `files`."""
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise ValueError("no list of files")
        return cls.from_dict(data)

    def layer_files(self) -> dict[str, tuple[LayerRecord, FileRecord]]:
        """Every member of every layer, by name, with the layer holding it."""
        return {f.path: (layer, f) for layer in self.layers for f in layer.files}


def _provided(data: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in optional(data, "requirements", list, []):
        if isinstance(entry, dict) and entry.get("tier") == "provided":
            version = entry.get("image_version") or entry.get("version") or ""
            found.append((str(entry.get("name")), str(version)))
    return tuple(sorted(found))


def archive_records(files: Sequence[FileRecord], wheels: Sequence[WheelRecord],
                    optional: Sequence[OptionalRecord], layers: Sequence[LayerRecord],
                    pins: Sequence[PinRecord], options: Sequence[str]) -> dict[str, Any]:
    """What the packager adds to the manifest's own keys in `jobpack.json`, in the order
    given: the members, the bundled wheels, the optional tier (only when there is one),
    the layers, and what pip installs (`install`); `RunSpec.from_dict` reads them back."""
    data: dict[str, Any] = {
        "files": [f.to_dict() for f in files], "wheels": [w.to_dict() for w in wheels],
        "layers": [layer.to_dict() for layer in layers],
        "install": {"options": list(options), "pins": [p.to_dict() for p in pins]}}
    if optional:
        data["optional"] = [r.to_dict() for r in optional]
    return data
