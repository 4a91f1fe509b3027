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

from pathlib import Path

import pytest

import jobpack
from tests.support.offline import build_with_wheels, offline_or_skip, run_offline
from tests.support.pythons import python_or_skip
from tests.support.tools import tool_venv
from tests.support.truth import run_and_record

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
    job, printed, imported = run_and_record(tmp_path, JOB, python)
    assert "scipy" in {module.partition(".")[0] for module in imported}

    analysis = jobpack.analyze([job / "main.py"], python=python, root=job,
                               cache_dir=tmp_path / "cache")
    tiers = {r.name: r.tier for r in analysis.manifest.requirements}
    assert tiers.get("scipy") == "required", tiers

    archive = build_with_wheels(job, python, tmp_path / "cache", "main.py")
    run = run_offline(bare, archive, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == printed
