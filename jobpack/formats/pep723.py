"""PEP 723 inline script metadata blocks (`# /// script`): find one in a script's text,
render one from a manifest, and write one into a script in place."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path

from jobpack.errors import ScriptMetadataError
from jobpack.formats import toml_string
from jobpack.manifest import Manifest
from jobpack.publish import write_atomic

BLOCK_START = "# /// script"
BLOCK_END = "# ///"
# The reference expression of PEP 723, on text read with its line endings kept.
_BLOCK = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)\r?$\r?\n(?P<content>(^#(| .*)\r?$\r?\n)+)^# ///\r?$")


def find_block(text: str) -> re.Match[str] | None:
    """The script's `# /// script` block, or None (two of them are an error)."""
    blocks = [m for m in _BLOCK.finditer(text) if m["type"] == "script"]
    if len(blocks) > 1:
        line = text.count("\n", 0, blocks[1].start()) + 1
        raise ScriptMetadataError("more than one '# /// script' block", line=line)
    return blocks[0] if blocks else None


def pep723_block(manifest: Manifest, extra: Iterable[str] = (), newline: str = "\n") -> str:
    """The `# /// script` block: the target's Python and the job's direct pins.

    Transitive pins are left to the installer, as a person writing the block would; `extra`
    adds dependency strings (ones a block already declared, say) not already named.
    """
    direct = [r.pip_line() for r in sorted(manifest.requirements, key=lambda r: r.name)
              if r.direct and not r.hashes]
    named = {_name_of(line) for line in direct}
    direct += [line for line in extra if _name_of(line) not in named]
    lines = [BLOCK_START, f"# requires-python = {toml_string('>=' + manifest.target.python)}"]
    if direct:
        lines.append("# dependencies = [")
        lines += [f"#   {toml_string(line)}," for line in direct]
        lines.append("# ]")
    else:
        lines.append("# dependencies = []")
    lines.append(BLOCK_END)
    return "".join(line + newline for line in lines)


def _name_of(dependency: str) -> str:
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Parsed(dependency).name)
    except InvalidRequirement:
        return dependency


def replace_block(text: str, block: str) -> str:
    """`text` with its `# /// script` block replaced by `block`, or `block` inserted after
    any shebang and encoding lines; every other character is kept as it was."""
    found = find_block(text)
    if found is not None:
        end = found.end() - found[0].endswith("\r")  # keep the line's own ending
        return text[:found.start()] + block.rstrip("\r\n") + text[end:]
    position = 0
    for row in text.splitlines(keepends=True)[:2]:
        if not (row.startswith("#!") or re.match(r"^[ \t\f]*#.*?coding[:=]", row)):
            break
        position += len(row)
    prefix, rest = text[:position], text[position:]
    if prefix and not prefix.endswith(("\n", "\r")):
        prefix += _newline(text)
    return prefix + block + (_newline(text) if rest else "") + rest


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def write_block(file: Path, manifest_block: str) -> bool:
    """Insert or update the block in `file` in place (atomically); False if unchanged.
    The script keeps its encoding (a coding line, or a BOM, which stays first), its
    newlines and its mode. A notebook is refused: a comment block would break its JSON
    (its `%pip install` lines are where it declares requirements)."""
    if file.suffix == ".ipynb":
        raise ScriptMetadataError("a notebook cannot hold a PEP 723 block; write its "
                                  "requirements as %pip install lines", path=file.name)
    data = file.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)  # utf-8-sig: the BOM is not part of the text
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise ScriptMetadataError(f"cannot update the PEP 723 block: {exc}",
                                  path=file.name) from None
    newline = _newline(text)
    block = manifest_block.replace("\n", newline) if newline != "\n" else manifest_block
    updated = replace_block(text, block)
    if updated == text:
        return False
    try:
        encoded = updated.encode(encoding)
    except UnicodeEncodeError as exc:
        raise ScriptMetadataError(f"the PEP 723 block cannot be written in the script's "
                                  f"encoding {encoding}: {exc.reason}", path=file.name) from None
    real = file.resolve()  # a linked script: the link stays, its target is updated
    write_atomic(real, encoded, real.stat().st_mode & 0o7777)
    return True
