"""The archive writer's promise: a `.part` file until the rename, and never one left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobpack.errors import BuildError
from jobpack.packager import archive


def test_an_interruption_while_the_part_file_is_created_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM unwinds as SystemExit; here it lands just after the file is created,
    before any caller could have learnt its name from a function like mkstemp."""
    real_open = os.open

    def interrupted(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        os.close(real_open(path, flags, mode))
        raise SystemExit(143)

    monkeypatch.setattr(os, "open", interrupted)
    with pytest.raises(SystemExit):
        archive.write_zip(tmp_path / "job.zip", [])
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_the_archive_replaces_the_part_file(tmp_path: Path) -> None:
    archive.write_zip(tmp_path / "job.zip", [])
    assert [p.name for p in tmp_path.iterdir()] == ["job.zip"]


@pytest.mark.parametrize("name", ["src//root/job/src/pkg/a.py", "/etc/x", "src/../x",
                                  "src/pkg/"])
def test_a_member_the_runner_would_refuse_is_never_written(tmp_path: Path,
                                                           name: str) -> None:
    """A finder-installed src layout once gave local files absolute manifest paths
    (`src//root/...`): the build succeeded and only the runner refused the archive."""
    with pytest.raises(BuildError, match="refusing to write archive member"):
        archive.write_zip(tmp_path / "job.zip", [archive.Member.from_bytes(name, b"x")])
    assert list(tmp_path.iterdir()) == []
