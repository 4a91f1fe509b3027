"""PEP 723 blocks: found, read, checked, and written without touching anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.analyzer.pins.pep723 import read_metadata
from jobpack.errors import ScriptMetadataError
from jobpack.formats.pep723 import find_block, replace_block, write_block

BLOCK = '# /// script\n# dependencies = [\n#   "pyyaml==6.0.4",\n# ]\n# ///\n'


def _without(text: str, block: str) -> str:
    return text.replace(block, "", 1)


@pytest.mark.parametrize(("text", "header"), [
    ("import yaml\nprint(yaml)\n", ""),
    ("#!/usr/bin/env python3\nimport yaml\n", "#!/usr/bin/env python3\n"),
    ("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n\nimport yaml",
     "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n"),
    ("", ""),
    ("#!/usr/bin/env python3", "#!/usr/bin/env python3\n"),
])
def test_inserting_adds_the_block_and_nothing_else(text: str, header: str) -> None:
    updated = replace_block(text, BLOCK)
    assert find_block(updated) is not None
    removed = _without(updated, BLOCK)
    # Only a separating newline may be added (after the block, or to end a bare shebang).
    assert removed.replace("\n", "") == text.replace("\n", "")
    assert updated.startswith(header + BLOCK)  # after the shebang and encoding lines


def test_updating_replaces_only_the_block_byte_for_byte(tmp_path: Path) -> None:
    before = ("#!/usr/bin/env python3\r\n\"\"\"Doc.\"\"\"\r\n# /// script\r\n"
              "# dependencies = [\"old==1\"]\r\n# ///\r\nimport yaml  \t\r\n\r\n# tail")
    script = tmp_path / "main.py"
    script.write_bytes(before.encode())
    assert write_block(script, BLOCK)
    after = script.read_bytes()
    head, tail = before.encode().split(b"# /// script")[0], before.encode().split(b"# ///\r\n")[1]
    assert after.startswith(head) and after.endswith(b"\r\n" + tail)
    assert after == head + BLOCK.replace("\n", "\r\n").encode() + tail
    assert not write_block(script, BLOCK)  # unchanged: not rewritten


def test_write_keeps_the_file_mode(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("print(1)\n")
    script.chmod(0o755)
    write_block(script, BLOCK)
    assert script.stat().st_mode & 0o777 == 0o755
    assert script.read_text() == BLOCK + "\nprint(1)\n"
    assert [p.name for p in tmp_path.iterdir()] == ["job.py"]  # no temp file left


def test_reading_a_block(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text('import os\n# /// script\n# requires-python = ">=3.10"\n'
                      '# dependencies = ["requests<3", "rich"]\n# ///\n')
    metadata = read_metadata(script, "main.py")
    assert metadata is not None
    assert (metadata.line, metadata.dependencies, metadata.requires_python) == (
        2, ("requests<3", "rich"), ">=3.10")


@pytest.mark.parametrize(("body", "message"), [
    ('# dependencies = "rich"\n', "dependencies must be a list of strings"),
    ("# dependencies = [\n", "is not TOML"),
    ("# requires-python = 3\n", "requires-python must be a string"),
])
def test_a_malformed_block_names_the_file_and_line(tmp_path: Path, body: str,
                                                    message: str) -> None:
    script = tmp_path / "main.py"
    script.write_text(f"import os\n\n# /// script\n{body}# ///\n")
    with pytest.raises(ScriptMetadataError, match=message) as caught:
        read_metadata(script, "main.py")
    assert str(caught.value).startswith("main.py:3: ")


def test_two_blocks_are_an_error(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text(BLOCK + "x = 1\n" + BLOCK)
    with pytest.raises(ScriptMetadataError, match="more than one"):
        read_metadata(script, "main.py")
