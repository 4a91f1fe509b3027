"""A one-file job and its runtime truth: what its direct run prints and imports."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from jobpack.analyzer.trace import record_imports


def run_and_record(folder: Path, source: str, python: str) -> tuple[Path, str, set[str]]:
    """`source` as `folder/job/main.py`, run once directly by `python` and once under the
    import recorder: the job's folder, what it printed, and the modules it imported."""
    job = folder / "job"
    job.mkdir()
    (job / "main.py").write_text(source)
    direct = subprocess.run([python, "main.py"], cwd=job, capture_output=True, text=True,
                            check=True)
    _, imported, _ = record_imports([python, "main.py"], python=python, cwd=job,
                                    env=dict(os.environ))
    return job, direct.stdout, {item.module for item in imported}
