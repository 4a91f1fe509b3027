"""Whether a module a star import reads can bind a name, told from its text alone.

Resolving `transformers.BertConfig` (and `from transformers import HfDeepSpeedConfig`,
which transformers' table does not list) goes through `from .models import *`, and from
there through every model's package and each of its files (`configuration_bert.py`,
`modeling_bert.py`, ...); so does every builtin that `transformers/__init__.py` uses next
to its `from .models import *` (`any`, `isinstance`: a name the star import may bind).
That read 2,200 files, a quarter of a cold analysis of a transformers job, only to learn
that none but one binds the name. A module's namespace table (`FileFacts.bindings`,
`facts.names.module_table`) binds a name only where its text does: an import statement
that names it, `def` or `class` followed by it, or a line starting with it and `=` (`NAME
= ...`); it leads on to other modules only through a star import (`from x import *`, the
only form a star import takes in code that parses) or a lazy table
(`collector.may_be_lazy`; a lazy_loader stub, `lazy.with_stub_tables`). A module whose
text shows neither cannot bind the name, so it is not read for it. An identifier spelt
with characters that normalise to ASCII ones (a fullwidth `f`, the `fi` ligature: NFKC,
as the interpreter reads it) could hide from these tests: such a file is always read. A
file that would not parse binds nothing either (the interpreter cannot import it; its
table was unknown, and so the package-wide rule, before). The answers do not change;
only which files are read.
"""

from __future__ import annotations

import re
import tokenize
import unicodedata
from io import BytesIO
from pathlib import Path

from jobpack.analyzer.facts.collector import may_be_lazy

# `from x import *` (also `import*` and `import \` then `*` on the next line)
_STAR_IMPORT = re.compile(rb"\bimport(?:[ \t]|\\\r?\n)*\*")
# what a module's table can bind (`names.module_table`), each a superset on the raw bytes:
# an import statement (parenthesised ones across lines, comments inside them skipped),
# `def`/`class NAME`, a statement starting with `NAME =` (`NAME: T =` too)
_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+"
                     rb"(?:\((?:[^)#]|#[^\n]*\n)*\)|[^\n;]*)", re.MULTILINE)
_DEFINED = re.compile(rb"\b(?:def|class)(?:[ \t]|\\\r?\n)+([A-Za-z_]\w*)")
_ASSIGNED = re.compile(rb"(?:^|;)[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
_WORD = re.compile(rb"[A-Za-z_]\w*")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")


class StarScan:
    """What star imports' modules can bind, told from their text (kept per file)."""

    def __init__(self) -> None:
        # per file: None (it may lead anywhere, or cannot be read) or the names its text
        # can bind
        self._bound: dict[Path, frozenset[str] | None] = {}

    def may_bind(self, file: Path | None, name: str) -> bool:
        """False only when the Python source `file` surely neither binds `name` in its
        namespace table nor leads on (star import, lazy table) to a module that may:
        reading it can be skipped (`resolve.Namespaces`)."""
        if not _checkable(file, name):
            return True
        assert file is not None
        bound = self._bound_in(file)
        return bound is None or name in bound

    def may_export(self, file: Path | None, name: str) -> bool:
        """As `may_bind`, for a plain module's export to a star (`__all__`, else what it
        defines), which needs the name in its bytes (`lazy.LazyTables`)."""
        if not _checkable(file, name):
            return True
        assert file is not None
        if self._bound_in(file) is None:
            return True
        try:
            return name.encode() in file.read_bytes()
        except OSError:
            return True

    def _bound_in(self, file: Path) -> frozenset[str] | None:
        if file not in self._bound:
            try:
                self._bound[file] = bound_names(file.read_bytes())
            except OSError:
                self._bound[file] = None
        return self._bound[file]


def _checkable(file: Path | None, name: str) -> bool:
    return file is not None and file.suffix == ".py" and name.isascii() and name.isidentifier()


def bound_names(source: bytes) -> frozenset[str] | None:
    """The ASCII names `source`'s text can bind in its module's table, or None when it
    may lead on to other modules (star import, lazy table) or spell a name otherwise."""
    if _STAR_IMPORT.search(source) or b"attach_stub" in source:
        return None
    if source.isascii():
        if may_be_lazy(source):
            return None
    elif not _spelt_as_written(source) or (b"TYPE_CHECKING" in source and (
            b"__getattr__" in source or (b"modules" in source and b"__name__" in source))):
        # every identifier's ASCII letters are in the bytes as written: the test
        # `may_be_lazy` makes of an ASCII file holds for this one too
        return None
    found = {*_DEFINED.findall(source), *_ASSIGNED.findall(source)}
    for statement in _IMPORT.findall(source):
        found.update(_WORD.findall(statement))
    return frozenset(word.decode() for word in found)


def _spelt_as_written(source: bytes) -> bool:
    """Whether no character of `source` normalises (NFKC, as the interpreter reads an
    identifier) to something with an ASCII letter, digit or underscore (a fullwidth `f`, `ª`):
    then every ASCII identifier the parser sees is in the bytes as written."""
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(source).readline)
        text = source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return False
    return not any(_ASCII_WORD.search(_normalised(char)) for char in set(text)
                   if not char.isascii())


_NORMALISED: dict[str, str] = {}


def _normalised(char: str) -> str:
    found = _NORMALISED.get(char)
    if found is None:
        found = _NORMALISED[char] = unicodedata.normalize("NFKC", char)
    return found
