"""The archive's layout, defined once: member names, the manifest's schema, the records
the packager writes into `jobpack.json` (`files`, `wheels`, `layers`, `install`), the
typed `RunSpec` the runner reads them as, and the few helpers both sides need.

Standard library only, Python 3.8+: this package travels inside every archive beside the
runner (as `jobpack/layout/`), so the side that writes an archive and the side that reads
it share one definition instead of two copies that could drift apart. One module a
concept; everything is importable from `jobpack.layout` itself.
"""

from __future__ import annotations

from .builds import PYTORCH_INDEX, build_kind, local_label, serving_index
from .command import (
    VARIABLE,
    CommandError,
    command_argv,
    variable_lookup,
    with_notebook_executor,
)
from .hashing import CHUNK, SizeExceeded, hash_file, hash_stream
from .layers import LayerRecord, inline_layers, zip_start
from .names import (
    BYTECODE_PREFIX,
    CONSTRAINTS_NAME,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    LAYER_FILE,
    LAYER_PART,
    MAIN_NAME,
    MANIFEST_NAME,
    REQUIREMENTS_NAME,
    RUNNER_PREFIX,
    RUNNER_VERSION,
    SCHEMA,
    SOURCE_PREFIX,
    WHEEL_PREFIX,
    ZIP_EPOCH,
    ZIP_EPOCH_DATE,
    bytecode_member,
    bytecode_tag,
    member_problem,
    same_python,
)
from .optional import OptionalRecord, OptionalSpec
from .records import DataRecord, FileRecord, PinRecord, WheelRecord
from .spec import RunSpec, archive_records

__all__ = [
    "BYTECODE_PREFIX", "CHUNK", "CONSTRAINTS_NAME", "EXIT_FAILURE", "EXIT_INTERRUPTED",
    "EXIT_USAGE", "LAYER_FILE", "LAYER_PART", "MAIN_NAME", "MANIFEST_NAME", "PYTORCH_INDEX",
    "REQUIREMENTS_NAME", "RUNNER_PREFIX", "RUNNER_VERSION", "SCHEMA", "SOURCE_PREFIX",
    "VARIABLE", "WHEEL_PREFIX", "ZIP_EPOCH", "ZIP_EPOCH_DATE", "CommandError", "DataRecord",
    "FileRecord", "LayerRecord", "OptionalRecord", "OptionalSpec", "PinRecord", "RunSpec",
    "SizeExceeded", "WheelRecord", "archive_records", "build_kind", "bytecode_member",
    "bytecode_tag", "command_argv", "hash_file", "hash_stream", "inline_layers",
    "local_label", "member_problem", "same_python", "serving_index", "variable_lookup",
    "with_notebook_executor", "zip_start",
]
