"""A type probe's package is not shipped, and the job runs the same without it (issue #20,
docs/reachability.md rule 11).

`nx.Graph(array)` runs networkx's `to_networkx_graph`, which imports pandas only to ask
whether the array is a DataFrame (`try: import pandas as pd` / `if isinstance(data,
pd.DataFrame):` / `except ImportError:`). So the run imports pandas, and the runtime
recorder counts it, but nothing needs it. jobpack does not pin it, and `why pandas` says
where it is only probed. The archive then runs
offline on a bare `python3` 3.11 without pandas installed, and prints what the direct
run printed. Real distributions from the index: networkx 3.6.1 (BSD-3-Clause), numpy
and pandas.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.api import why
from jobpack.errors import QueryError
from jobpack.runner.verify import read_spec
from tests.support.offline import build_with_wheels, offline_or_skip, run_offline
from tests.support.pythons import python_or_skip
from tests.support.tools import tool_venv
from tests.support.truth import run_and_record

pytestmark = pytest.mark.slow

JOB = """\
import networkx as nx
import numpy as np

G = nx.Graph(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]))
print(sorted(G.edges()), nx.density(G))
"""



def test_a_probed_package_is_left_out_and_the_job_runs_the_same(tmp_path: Path) -> None:
    offline_or_skip()
    bare = python_or_skip("3.11")
    venv = tool_venv("type-probe", ["networkx==3.6.1", "numpy==2.4.6", "pandas==3.1.1"])
    python = str(venv / "bin" / "python")
    job, printed, imported = run_and_record(tmp_path, JOB, python)
    assert "pandas" in imported  # the probe ran

    analysis = jobpack.analyze([job / "main.py"], python=python, root=job,
                               cache_dir=tmp_path / "cache")
    pinned = {r.name for r in analysis.manifest.requirements}
    assert {"networkx", "numpy"} <= pinned and "pandas" not in pinned
    with pytest.raises(QueryError, match=r"'pandas' is not shipped: .* type probes, .*: "
                       r"networkx/convert\.py:\d+ \(in to_networkx_graph\)$"):
        why(analysis, "pandas")

    archive = build_with_wheels(job, python, tmp_path / "cache", "main.py")
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    assert "pandas" not in {wheel.name for wheel in spec.wheels}
    assert "pandas" not in {record.name for record in spec.optional}

    run = run_offline(bare, archive, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == printed
