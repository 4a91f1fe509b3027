"""SIGTERM while `build` writes the archive: a clean exit, no `.part` file, no archive."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.hostile.harness import JOBPACK, snapshot


def test_sigterm_during_the_write_leaves_nothing_behind(tmp_path: Path) -> None:
    job, out = tmp_path / "job", tmp_path / "out"
    (job / "data").mkdir(parents=True)
    out.mkdir()
    (job / "main.py").write_text("print(1)\n")
    big = job / "data" / "big.bin"
    (job / "config.yaml").write_text("cmd: python main.py\ninputs:\n  - data/\n")
    with big.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # sparse: slow enough to write, cheap to make
    before = snapshot(job)
    process = subprocess.Popen([JOBPACK, "build", "--config", "config.yaml", "-o",
                                str(out / "job.zip")], cwd=job, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        while process.poll() is None and not list(out.glob("*.part")):
            time.sleep(0.005)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in stderr
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert list(out.iterdir()) == []
    assert snapshot(job) == before
