"""The imports of a compiled Cython module, read from the sources shipped beside it.

A compiled extension's imports are invisible to a Python parser. Some wheels ship the
Cython sources next to the binary (pyarrow: `lib.pyx` and the `.pxi` files it includes
beside `lib.cpython-311-x86_64-linux-gnu.so`, one of which imports cloudpickle when it can).
When such an extension is reached, the import lines of its `.pyx` and of the `.pxi` files
of its folder are read with a regular expression; they count as imports of the extension
module, optional (the tier of what may be missing), since their guards are not parsed.
Only module-level lines count: at column 0, or one level inside a top-level `try`, `if`,
`else` or `except` block (not inside a `def` or `class`). `cimport` is compile-time and
ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from jobpack.analyzer.facts.model import ImportFact

_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([\w.]+(?:[ \t]*(?:as[ \t]+\w+)?[ \t]*,[ \t]*[\w.]+)*)"
                     rb"|^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]", re.MULTILINE)
_ALIAS = re.compile(rb"[ \t]+as[ \t]+\w+")
_TOP_LEVEL = re.compile(rb"^\S[^\n]*", re.MULTILINE)
_BLOCKS = (b"try", b"if", b"elif", b"else", b"except", b"finally")


def _module_level(text: bytes, start: int, tops: list[tuple[int, bytes]]) -> bool:
    """Whether the import line at `start` runs at import time (see the module doc)."""
    indent = len(text[start:start + 64]) - len(text[start:start + 64].lstrip(b" \t"))
    if indent == 0:
        return True
    before = [line for position, line in tops if position < start]
    return bool(before) and before[-1].split(b" ")[0].rstrip(b":") in _BLOCKS


def cython_imports(extension: Path) -> list[tuple[Path, ImportFact]]:
    """(source file, import) for each absolute import line of the extension's sources."""
    stem = extension.name.split(".")[0]
    pyx = extension.with_name(f"{stem}.pyx")
    if not pyx.is_file():
        return []
    found: list[tuple[Path, ImportFact]] = []
    for source in [pyx, *sorted(extension.parent.glob("*.pxi"))]:
        try:
            text = source.read_bytes()
        except OSError:
            continue
        tops = [(m.start(), m.group()) for m in _TOP_LEVEL.finditer(text)]
        for match in _IMPORT.finditer(text):
            if not _module_level(text, match.start(), tops):
                continue
            line = text.count(b"\n", 0, match.start()) + 1
            if match.group(1) is not None:
                names = _ALIAS.sub(b"", match.group(1)).split(b",")
                found += [(source, ImportFact(n.strip().decode(), line, optional=True))
                          for n in names if n.strip()]
            else:
                found.append((source, ImportFact(match.group(2).decode(), line, "from",
                                                 optional=True)))
    return found
