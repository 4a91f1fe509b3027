"""An import that only some inputs reach is still shipped: nothing needed is missed for the
sake of precision (issue #20, both targets at once).

networkx's `spring_layout` (what `nx.draw` lays a graph out with) solves with scipy's
sparse matrices once a graph has 500 nodes or more, and with numpy below; scipy is not
among networkx's requirements. So whether a job needs scipy depends on its data: none of
networkx's own gallery examples (small graphs) imports it, and the precision figures count
scipy as shipped for nothing there. This job lays out a 600-node path: the run imports
scipy, jobpack pins it (required: no rule can tell the graph's size), and the archive runs
offline on a bare `python3` 3.11 and prints what the direct run printed. Real
distributions from the index: networkx 3.6.1 (BSD-3-Clause), numpy and scipy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.trace import record_imports
from tests.support.offline import offline_or_skip
from tests.support.pythons import python_or_skip
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow

JOB = """\
import networkx as nx

pos = nx.spring_layout(nx.path_graph(600), seed=1, iterations=3)
print(len(pos), round(float(sum(abs(x) + abs(y) for x, y in pos.values())), 3))
"""


def test_an_import_only_large_inputs_reach_is_shipped(tmp_path: Path) -> None:
    offline_or_skip()
    bare = python_or_skip("3.11")
    venv = tool_venv("size-dependent", ["networkx==3.6.1", "numpy==2.4.6", "scipy==1.17.1"])
    python = str(venv / "bin" / "python")
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text(JOB)

    direct = subprocess.run([python, "main.py"], cwd=job, capture_output=True, text=True,
                            check=True)
    _, imported, _ = record_imports([python, "main.py"], python=python, cwd=job,
                                    env=dict(os.environ))
    assert "scipy" in {item.module.partition(".")[0] for item in imported}

    analysis = jobpack.analyze([job / "main.py"], python=python, root=job,
                               cache_dir=tmp_path / "cache")
    tiers = {r.name: r.tier for r in analysis.manifest.requirements}
    assert tiers.get("scipy") == "required", tiers

    built = subprocess.run(
        [sys.executable, "-m", "jobpack", "build", "main.py", "--python", python, "--wheels",
         "-o", "dist/"], cwd=job, capture_output=True, text=True, check=False,
        env={**os.environ, "JOBPACK_CACHE_DIR": str(tmp_path / "cache")})
    assert built.returncode == 0, built.stderr[-3000:]
    [archive] = (job / "dist").glob("*.jobpack.zip")
    run = subprocess.run(
        ["unshare", "-n", str(bare), str(archive), "--offline", "--env-cache",
         str(tmp_path / "envs")],
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == direct.stdout
