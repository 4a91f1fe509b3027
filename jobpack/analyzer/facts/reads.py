"""Files a source file reads, when both the call and its path are known without running it.

Both parsers translate a call whose name can read a file (`open`, `read_csv`, `load`,
`exec`, `hydra.main`, ...) into the neutral `ReadCall`; `reads_of` decides here, once,
which argument names the file and whether the call reads it at all, and `syspath`'s
evaluation anchors the path at the file (`__file__`), the working folder or `/`. A path
it cannot know (a variable from `sys.argv`, an environment variable) is no read: the
job's config must then list the file (`inputs`), as before.

Writes are facts too (`open(p, "w")`, `df.to_csv(p)`, `joblib.dump(m, p)`, `os.makedirs(p)`):
they never ship anything, but they tell a declared output that does not exist yet whether
it is a folder the job writes into (`analyzer/outputs.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from jobpack.analyzer.facts.model import ReadFact
from jobpack.analyzer.facts.syspath import Folder, PathExpr, folder_named

ReadKind = Literal["data", "code", "config", "marker", "write", "mkdir"]
WRITES = frozenset({"write", "mkdir"})  # kinds that read nothing
# Words on a line that may hold a read: the fast parser searches only those lines' calls.
READ_WORDS = (b"open", b"read", b"load", b"exec", b"run_path", b"spec_from_file",
              b"SourceFileLoader", b"ZipFile", b"fromfile", b"genfromtxt", b"hydra",
              b"initialize", b"config_path", b"setup_root", b"find_root", b"write_",
              *(b"to_" + kind for kind in (b"csv", b"parquet", b"json", b"pickle", b"feather",
                                           b"excel", b"hdf")),
              b"save", b"dump", b"mkdir", b"makedirs")
_NAMES = frozenset({
    "open", "read", "load", "loadtxt", "genfromtxt", "fromfile", "loadmat", "imread",
    "ZipFile", "exec", "run_path", "spec_from_file_location", "SourceFileLoader",
    "read_text", "read_bytes", "main", "initialize", "initialize_config_dir",
    "setup_root", "find_root"})
# calls that write a file: the path is their first argument, or the second (`torch.save(obj,
# p)`, `joblib.dump(obj, p)`) when the first names none; `write_text` writes its receiver
_WRITE_NAMES = frozenset({
    "write_text", "write_bytes", "to_csv", "to_parquet", "to_json", "to_pickle", "to_feather",
    "to_excel", "to_hdf", "savefig", "save", "savetxt", "savez", "savez_compressed", "dump",
    "imwrite"})
_MKDIR_NAMES = frozenset({"mkdir", "makedirs"})
_NOT_FILES = frozenset({"read_sql", "read_sql_query", "read_sql_table", "read_clipboard",
                        "read_gbq"})
# `yaml.load("a: 1")` parses its argument; `json.load` / `pickle.load` take an open file.
_CONTENT_LOADERS = frozenset({"yaml", "json", "pickle", "marshal", "tomllib", "ruamel"})
_PATH_KEYWORDS = ("file", "filename", "fname", "filepath", "filepath_or_buffer", "path",
                  "path_or_buf", "io", "uri", "source", "f")
ROOT_INDICATORS = (".project-root", "setup.cfg", "setup.py", ".git", "pyproject.toml")


@dataclass(frozen=True)
class ReadCall:
    """A call as far as reads care: the callee's dotted name (None when it is not a name
    chain), its last name, the receiver of a method call, and the arguments as paths
    (None where an argument is no path expression). `texts` holds keyword arguments
    that are a literal string or a list of them (rootutils' `indicator`)."""

    func: str | None
    name: str
    receiver: PathExpr | None = None
    args: tuple[PathExpr | None, ...] = ()
    keywords: tuple[tuple[str, PathExpr | None], ...] = ()
    texts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def arg(self, index: int, *keywords: str) -> PathExpr | None:
        """The argument at `index`, else the first of `keywords` given."""
        if index < len(self.args):
            return self.args[index]
        given = dict(self.keywords)
        return next((given[k] for k in keywords if k in given), None)

    def has(self, keyword: str) -> bool:
        return any(k == keyword for k, _ in self.keywords)


def is_read_name(name: str) -> bool:
    """Whether a call of this (last) name may read a file: cheap, for the parsers."""
    return name in _NAMES or name in _WRITE_NAMES or name in _MKDIR_NAMES \
        or name.startswith("read_")


@dataclass(frozen=True)
class _Candidate:
    kind: ReadKind
    path: PathExpr | None
    mode: PathExpr | None = None
    names: tuple[str, ...] = ()


def reads_of(call: ReadCall, names: Mapping[str, Folder | str], line: int,
             main: bool | None) -> ReadFact | None:
    """The file `call` reads, when it reads one whose path is known."""
    for candidate in _candidates(call):
        folder = None if candidate.path is None else folder_named(candidate.path, names)
        if folder is None:
            continue  # not a path known statically: the next candidate may be
        if not folder.path or ":" in folder.path.split("/")[0]:
            return None  # a URL (`https://`, `s3://`; normalised to one /)
        kind = candidate.kind if candidate.kind in WRITES else _opened_for(candidate)
        if kind is None:
            return None  # `os.open`'s flags, a mode held in a variable: not known
        return ReadFact(line, folder.anchor, folder.path, kind, call.func or call.name,
                        main, candidate.names)
    return None


def _opened_for(candidate: _Candidate) -> ReadKind | None:
    """What `open`'s mode makes of the file: absent or a literal with `r` reads it, any
    other literal (`w`, `ab`, `x`) writes it; None when it is not known."""
    mode = candidate.mode
    if mode is None:
        return candidate.kind
    if mode.kind != "str" or not isinstance(mode.value, str):
        return None
    return candidate.kind if "r" in mode.value else "write"


def _candidates(call: ReadCall) -> list[_Candidate]:
    name = call.name
    if name == "exec":
        return [_Candidate("code", call.arg(0))]
    if name == "run_path":
        return [_Candidate("code", call.arg(0, "path_name"))]
    if name in ("spec_from_file_location", "SourceFileLoader"):
        return [_Candidate("code", call.arg(1, "location", "path"))]
    if name in ("read_text", "read_bytes"):
        return [_Candidate("data", call.receiver)]
    if name == "open":
        return _opened(call)
    if name in ("main", "initialize", "initialize_config_dir"):
        return _hydra(call)
    if name in ("setup_root", "find_root"):
        return _root_marker(call)
    if name in _WRITE_NAMES:
        return _written(call)
    if name in _MKDIR_NAMES:
        return [_Candidate("mkdir", call.receiver), _Candidate("mkdir", call.arg(0, "name",
                                                                                "path"))]
    if name == "load" and _module(call) in _CONTENT_LOADERS:
        return []
    if name in _NOT_FILES:
        return []
    return [_Candidate("data", call.arg(0, *_PATH_KEYWORDS))]


def _written(call: ReadCall) -> list[_Candidate]:
    if call.name in ("write_text", "write_bytes"):
        return [_Candidate("write", call.receiver)]
    if call.name == "dump" and _module(call) in _CONTENT_LOADERS:
        return []  # `json.dump(obj, f)` writes to an open file, found by its `open`
    return [_Candidate("write", call.arg(0, *_PATH_KEYWORDS, "fname")),
            _Candidate("write", call.arg(1, *_PATH_KEYWORDS, "filename"))]


def _module(call: ReadCall) -> str:
    return (call.func or "").rpartition(".")[0].partition(".")[0]


def _opened(call: ReadCall) -> list[_Candidate]:
    """`open(p, mode)`, `gzip.open(p)`, `Image.open(p)`; `Path(p).open(mode)` opens its
    receiver: tried first, and when it names no path the first argument is the file."""
    given = dict(call.keywords)
    found = []
    if call.receiver is not None:
        found.append(_Candidate("data", call.receiver, call.arg(0, "mode")))
    mode = call.args[1] if len(call.args) > 1 else given.get("mode")
    found.append(_Candidate("data", call.arg(0, "file", "filename", "fp", "name"), mode))
    return found


def _hydra(call: ReadCall) -> list[_Candidate]:
    """`@hydra.main(config_path=..., config_name=...)`, `initialize(config_path=...)`:
    the config folder, relative to the calling file (Hydra's rule); other `main()` calls
    are not Hydra's unless they name a `config_path`."""
    name = call.name
    if name == "initialize_config_dir":
        return [_Candidate("config", call.arg(0, "config_dir"))]
    if call.func != f"hydra.{name}" and not call.has("config_path"):
        return []
    folder = call.arg(0, "config_path")
    config = call.arg(1, "config_name") if name == "main" else None
    config_name = config.value if config is not None and config.kind == "str" else None
    if folder is None or (folder.kind == "str" and not folder.value):
        return []
    anchored = PathExpr("div", None, (PathExpr("attr", "parent", (PathExpr("file"),)),
                                      folder)) if folder.kind == "str" else folder
    return [_Candidate("config", anchored,
                       names=(str(config_name),) if isinstance(config_name, str) else ())]


def _root_marker(call: ReadCall) -> list[_Candidate]:
    """rootutils / pyrootutils: the first folder above `search_from` holding one of the
    indicator files is the project root; that file must travel."""
    texts = dict(call.texts)
    indicators = texts.get("indicator", ROOT_INDICATORS)
    return [_Candidate("marker", call.arg(0, "search_from"), names=tuple(indicators))]

