"""Per-file facts: what one source file imports, and under which conditions, and which
files it reads.

A `FileFacts` depends only on the file's bytes and the target, so it is what the cache
stores (`to_dict` / `from_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Literal

from jobpack.diagnostics import Code

ImportKind = Literal["import", "from", "dynamic"]
Scope = Literal["module", "function", "class"]


@dataclass(frozen=True)
class ImportFact:
    """One import statement (or literal `import_module` call) as written in a file.

    `module` is written without its leading dots; `level` counts them. `names` are the
    names of a `from` import (`("*",)` for a star import). `main` is True when the import
    only runs as `__main__`, False when it only runs when the file is imported, None when
    it runs in both roles. `optional` marks an import guarded by `except ImportError`.
    `gate` names the package a type probe tests values against, for an import that runs
    only once that package is imported (`facts/probes.py`): the probe's own import, and
    those in the body under its test.
    """

    module: str
    line: int
    kind: ImportKind = "import"
    names: tuple[str, ...] = ()
    level: int = 0
    scope: Scope = "module"
    main: bool | None = None
    optional: bool = False
    conditional: bool = False
    function: str = ""  # the enclosing function or method (`load`, `Loader.run`), if any
    gate: str = ""


@dataclass(frozen=True)
class FileNote:
    """A diagnostic found while reading one file (the path is added later). `code` names
    a registered `jobpack.diagnostics.Code`; the walker takes the level from there."""

    line: int
    code: str
    message: str

    @classmethod
    def of(cls, code: Code, line: int, message: str) -> FileNote:
        return cls(line, code.name, message)


@dataclass(frozen=True)
class SysPathFact:
    """`sys.path.insert(0, folder)` (`front`) or `sys.path.append(folder)`, with a folder
    known statically (see `syspath`): `path` is relative to the file's folder (`anchor`
    "file"), to the working folder ("cwd"), or absolute ("absolute")."""

    line: int
    anchor: Literal["file", "cwd", "absolute"]
    path: str
    front: bool
    main: bool | None = None


@dataclass(frozen=True)
class FunctionFact:
    """A function or method defined at module or class level, by its qualified name
    (`load`, `Loader.run`; functions nested in it belong to it), with the names its body
    refers to: one space-separated string, split only when the function is reached.

    With `gate` (`pandas`), it is the part of the function's body that runs only once that
    package is imported, the bodies under a type probe's tests (`facts/probes.py`): its
    names are not the function's own, and count once both the function is reached and
    the package is."""

    name: str
    line: int
    names: str = ""
    gate: str = ""

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


@dataclass(frozen=True)
class LazyName:
    """An attribute of a lazy module (one that replaces itself in `sys.modules`, as
    transformers' `_LazyModule` does, or defines a module `__getattr__`): `name` is
    imported from `module` (relative with `level` dots) on first access, as `attr` there;
    `name` "*" stands for every name of `module`. Read from the module's
    `if TYPE_CHECKING:` imports, which mirror the lazy table: they never run."""

    name: str
    module: str
    level: int
    attr: str
    line: int = 0


@dataclass(frozen=True)
class ReadFact:
    """A file the code reads by a path known statically (see `reads`): `path` relative to
    the file's folder (`anchor` "file"), the working folder ("cwd"), or absolute. `kind`:
    `data` (`open`, `read_csv`, ...), `code` (`exec(open(p).read())`, `runpy.run_path`),
    `config` (Hydra's config folder; `names` holds the config name), `marker` (the root
    marker rootutils searches for from `path` upwards; `names` holds the indicators);
    and what reads nothing: `write` (`open(p, "w")`, `to_csv`, `savefig`) and `mkdir`
    (`os.makedirs`). `via` names the call."""

    line: int
    anchor: Literal["file", "cwd", "absolute"]
    path: str
    kind: Literal["data", "code", "config", "marker", "write", "mkdir"] = "data"
    via: str = ""
    main: bool | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFacts:
    """Everything the walker needs to know about one file."""

    imports: tuple[ImportFact, ...] = ()
    all_names: tuple[str, ...] | None = None
    notes: tuple[FileNote, ...] = ()
    syntax_error: FileNote | None = None
    sys_paths: tuple[SysPathFact, ...] = ()
    # `# jobpack: ignore[code, ...]` comments: (line, codes silenced on it)
    suppressions: tuple[tuple[int, tuple[str, ...]], ...] = ()
    functions: tuple[FunctionFact, ...] = ()
    names: str = ""  # what module-level code (class bodies, decorators included) refers to
    main_names: str = ""  # what its `if __name__ == "__main__":` blocks refer to
    reads: tuple[ReadFact, ...] = ()
    lazy: tuple[LazyName, ...] = ()  # a lazy module's attributes (see `LazyName`)
    # names the module's `__dir__` takes out of `dir(module)` (`facts/module_dir.py`)
    left_out_of_dir: tuple[str, ...] = ()
    # what module-level code binds each name to (`facts/names.py`'s `module_table`)
    bindings: str = ""

    def to_dict(self) -> dict[str, Any]:
        """What `dataclasses.asdict` gives, made directly (asdict deep-copies every leaf:
        a tenth of a cold analysis of torch went there)."""
        return _plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileFacts:
        error = data["syntax_error"]
        all_names = data["all_names"]
        return cls(
            imports=tuple(
                ImportFact(**{**fact, "names": tuple(fact["names"])}) for fact in data["imports"]
            ),
            all_names=None if all_names is None else tuple(all_names),
            notes=tuple(FileNote(**note) for note in data["notes"]),
            syntax_error=None if error is None else FileNote(**error),
            sys_paths=tuple(SysPathFact(**fact) for fact in data.get("sys_paths", ())),
            suppressions=tuple((line, tuple(codes))
                               for line, codes in data.get("suppressions", ())),
            functions=tuple(FunctionFact(**fact) for fact in data.get("functions", ())),
            names=data.get("names", ""),
            main_names=data.get("main_names", ""),
            reads=tuple(ReadFact(**{**fact, "names": tuple(fact["names"])})
                        for fact in data.get("reads", ())),
            lazy=tuple(LazyName(**entry) for entry in data.get("lazy", ())),
            left_out_of_dir=tuple(data.get("left_out_of_dir", ())),
            bindings=data.get("bindings", ""),
        )


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """`value` with dataclasses as dicts, recursively; tuples stay tuples."""
    kind = type(value)
    if kind is tuple:
        return tuple([_plain(item) for item in value])
    if kind in (str, int, bool, float) or value is None:
        return value
    if is_dataclass(value):
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in fields(value))
        return {name: _plain(getattr(value, name)) for name in names}
    if kind is list:
        return [_plain(item) for item in value]
    if kind is dict:
        return {_plain(key): _plain(item) for key, item in value.items()}
    raise TypeError(f"not a facts value: {kind.__name__}")
