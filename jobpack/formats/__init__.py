"""The manifest's pins in the formats other tools read, and the PEP 723 block syntax.

- `requirements`: a pip requirements file with `# via` comments, as uv annotates its output;
- `pep723`: a PEP 723 inline script metadata block (`# /// script`): found, rendered, and
  written into an entry script;
- `pylock`: a PEP 751 lock file (`pylock.toml`) for the target: Linux x86_64 and one Python.

Pure functions from values to text, except `pep723.write_block`, the one writer of a
user's script.
"""

from __future__ import annotations

import json


def toml_string(text: str) -> str:
    """`text` as a TOML basic string."""
    # JSON's escapes (\" \\ \n \t \uXXXX ...) are all valid in a TOML basic string; JSON
    # leaves DEL (U+007F) bare, which TOML forbids, so it is escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
