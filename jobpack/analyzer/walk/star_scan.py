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

from jobpack.analyzer.facts.collector import has_lazy_words

# `from x import *` (also `import*` and `import \` then `*` on the next line); no `\b`
# in front, so the search runs on the literal (a superset)
_STAR_IMPORT = re.compile(rb"import(?:[ \t]|\\\r?\n)*\*")
_IMPORT_PAREN = re.compile(rb"import[ \t]+\(")
# what follows a name that starts a binding statement: `NAME =`, `NAME: T =` (not `==`)
_ASSIGNMENT = re.compile(rb"[ \t]*(?::[^=\n]*)?=(?!=)")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")
Region = tuple[int, int]


class StarScan:
    """What star imports' modules can bind, told from their text (kept per file)."""

    def __init__(self) -> None:
        # per file: None (it may lead anywhere, or cannot be read) or its import statements
        self._imports: dict[Path, tuple[Region, ...] | None] = {}
        # per (file, name, whether to a star): the answer (the read-ahead and the lookup
        # ask alike: the file is read once)
        self._answers: dict[tuple[Path, str, bool], bool] = {}

    def may_bind(self, file: Path | None, name: str) -> bool:
        """False only when the Python source `file` surely neither binds `name` in its
        namespace table nor leads on (star import, lazy table) to a module that may:
        reading it can be skipped (`resolve.Namespaces`)."""
        return self._answer(file, name, exported=False)

    def may_export(self, file: Path | None, name: str) -> bool:
        """As `may_bind`, for a plain module's export to a star (`__all__`, else what it
        defines), which needs the name in its bytes (`lazy.LazyTables`)."""
        return self._answer(file, name, exported=True)

    def _answer(self, file: Path | None, name: str, exported: bool) -> bool:
        if file is None or file.suffix != ".py" or not (name.isascii() and name.isidentifier()):
            return True
        key = (file, name, exported)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self._judge(file, name, exported)
        return found

    def _judge(self, file: Path, name: str, exported: bool) -> bool:
        try:
            source = file.read_bytes()
        except OSError:
            return True
        if file not in self._imports:
            self._imports[file] = None if leads_on(source) else import_statements(source)
        imports = self._imports[file]
        if imports is None:
            return True
        return name.encode() in source if exported else binds(source, name, imports)


def leads_on(source: bytes) -> bool:
    """Whether `source` may lead on to other modules' names (a star import, a lazy table,
    a lazy_loader stub), or may spell an ASCII name with other characters."""
    if _STAR_IMPORT.search(source) or b"attach_stub" in source:
        return True
    if not source.isascii() and not _spelt_as_written(source):
        return True
    # every identifier's ASCII letters are in the bytes as written: the test `may_be_lazy`
    # makes of an ASCII file holds for this one too
    return has_lazy_words(source)


def import_statements(source: bytes) -> tuple[Region, ...]:
    """Where `source`'s import statements may be (a superset): from the start of each line
    with `import` to its end or, after `import (`, to the line whose code (before any `#`)
    closes the parenthesis."""
    regions = []
    at = source.find(b"import")
    while at >= 0:
        start = source.rfind(b"\n", 0, at) + 1
        end = _line_end(source, at)
        opened = _IMPORT_PAREN.match(source, at)
        if opened is not None and b")" not in source[opened.end():end].partition(b"#")[0]:
            while end < len(source):
                line_end = _line_end(source, end + 1)
                if b")" in source[end + 1:line_end].partition(b"#")[0]:
                    end = line_end
                    break
                end = line_end
        regions.append((start, end))
        at = source.find(b"import", at + 1)  # `from importlib import (`: two
    return tuple(regions)


def _line_end(source: bytes, at: int) -> int:
    end = source.find(b"\n", at)
    return len(source) if end < 0 else end


def binds(source: bytes, name: str, imports: tuple[Region, ...]) -> bool:
    """Whether `source`'s text may bind `name` (ASCII) in its module's table
    (`names.module_table`), each test a superset on the raw bytes: the name in an import
    statement, after `def` or `class`, or starting a statement `NAME =` (`NAME: T =`)."""
    word = name.encode()
    at = source.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or source[at - 1] not in _WORD_BYTES) and (
                end == len(source) or source[end] not in _WORD_BYTES) and (
                _in_import(at, imports) or _starts_binding(source, at, end)):
            return True
        at = source.find(word, at + 1)
    return False


def _in_import(at: int, imports: tuple[Region, ...]) -> bool:
    return any(start <= at <= end for start, end in imports)


def _starts_binding(source: bytes, at: int, end: int) -> bool:
    line = source.rfind(b"\n", 0, at) + 1
    before = source[line:at].rstrip(b" \t")
    if (not before or before.endswith(b";")) and _ASSIGNMENT.match(source, end):
        return True
    return _after_definition(source, at)


def _after_definition(source: bytes, at: int) -> bool:
    """Whether `def` or `class` and blanks (a backslash continuing the line counts) come
    just before `at`."""
    start = at
    while start > 0:
        if source[start - 1] in b" \t":
            start -= 1
        elif source.endswith(b"\\\n", 0, start):
            start -= 2
        elif source.endswith(b"\\\r\n", 0, start):
            start -= 3
        else:
            break
    return start < at and source.endswith((b"def", b"class"), 0, start)


def _spelt_as_written(source: bytes) -> bool:
    """Whether no character of `source` normalises (NFKC, as the interpreter reads an
    identifier) to something with an ASCII letter, digit or underscore (a fullwidth `f`, `ª`):
    then every ASCII identifier the parser sees is in the bytes as written."""
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(source).readline)
        text = source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return False
    return not any(_ASCII_WORD.search(_normalised(char))
                   for char in set("".join(_NON_ASCII.findall(text))))


_NORMALISED: dict[str, str] = {}


def _normalised(char: str) -> str:
    found = _NORMALISED.get(char)
    if found is None:
        found = _NORMALISED[char] = unicodedata.normalize("NFKC", char)
    return found
