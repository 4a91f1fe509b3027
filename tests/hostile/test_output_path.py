"""`-o` never replaces anything of the user's but an old archive; no `.part` stays behind."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from jobpack.errors import OutputPathError
from jobpack.packager.archive import Member, write_zip
from jobpack.packager.output import check_output, output_path


def test_a_folder_gets_the_archive_name_inside(tmp_path: Path) -> None:
    assert output_path(str(tmp_path), "job.jobpack.zip") == tmp_path / "job.jobpack.zip"
    assert output_path("new/", "job.jobpack.zip") == Path("new/job.jobpack.zip")
    assert output_path(None, "job.jobpack.zip") == Path("job.jobpack.zip")


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("main.py", b"print(1)\n", "must end with .zip"),
    ("data.zip", b"not a zip", "not a zip archive"),
])
def test_user_files_are_refused(tmp_path: Path, name: str, content: bytes,
                                fragment: str) -> None:
    file = tmp_path / name
    file.write_bytes(content)
    with pytest.raises(OutputPathError, match=fragment):
        check_output(file)
    assert file.read_bytes() == content


def test_a_job_file_is_refused_even_when_it_is_a_zip(tmp_path: Path) -> None:
    data = tmp_path / "inputs" / "data.zip"
    data.parent.mkdir()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("x", "y")
    with pytest.raises(OutputPathError, match="job's own files"):
        check_output(data, [data])
    with pytest.raises(OutputPathError, match="job's own files"):
        check_output(data.parent / "new.zip", [data.parent])


def test_an_old_archive_may_be_replaced(tmp_path: Path) -> None:
    old = tmp_path / "job.jobpack.zip"
    with zipfile.ZipFile(old, "w") as archive:
        archive.writestr("x", "y")
    check_output(old)
    check_output(tmp_path / "fresh.zip")


@pytest.mark.parametrize("target", ["/dev/null.zip", "/proc/self/x.zip", "/sys/x.zip"])
def test_system_folders_are_refused(target: str) -> None:
    with pytest.raises(OutputPathError, match="system folder"):
        check_output(Path(target))


def test_a_fifo_named_zip_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "x.zip"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match="not a regular file"):
        check_output(fifo)


def test_an_unwritable_folder_is_one_line() -> None:
    # As root every folder is writable, so the check runs in a forked child that has
    # become `nobody`: the same code, a real permission.
    with tempfile.TemporaryDirectory(dir="/tmp") as base:
        Path(base).chmod(0o755)
        folder = Path(base) / "ro"
        folder.mkdir(mode=0o555)
        assert _as_nobody(lambda: check_output(folder / "x.zip")) == (
            f"{folder / 'x.zip'}: the folder {folder} is not writable")


def _as_nobody(action: Callable[[], None]) -> str:
    """Run `action` in a child process (as `nobody` when we are root); its error text."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        message = "no error"
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            action()
        except OutputPathError as exc:
            message = str(exc)
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(child, 0)
    return text


def test_a_failed_write_leaves_no_part_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.txt"
    members = [Member("a", "0" * 64, 1, source=missing)]
    with pytest.raises(OSError):
        write_zip(tmp_path / "out.zip", members)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
