"""The notebooks a cmd's notebook runs write are outputs, without the config naming them
(docs/notebooks.md): the paths each tool writes to, as its own code decides them (read in
nbconvert 7.17's `nbconvertapp.py`/`writers/files.py`, nbclient 0.11's `cli.py`,
papermill 2.7's `cli.py`)."""

from __future__ import annotations

import pytest

from jobpack.analyzer.notebook_outputs import executed_outputs
from jobpack.manifest import DataPath

CASES = [
    ("python train.ipynb --lr 1", ["train.executed.ipynb"]),
    ("python -X dev -u nb/train.ipynb", ["nb/train.executed.ipynb"]),
    ("cd sub && python train.ipynb", ["sub/train.executed.ipynb"]),
    ("python main.py && papermill in.ipynb out/run.ipynb -p alpha 0.5", ["out/run.ipynb"]),
    ("papermill in.ipynb -", []),  # to stdout
    ("papermill in.ipynb ${OUT}", []),  # the runner fills it: declared by the config
    ("papermill in.ipynb ../elsewhere.ipynb", []),
    ("jupyter nbconvert --execute --to notebook nb/t.ipynb", ["nb/t.nbconvert.ipynb"]),
    ("jupyter nbconvert --execute --to=html t.ipynb --output report", ["report.html"]),
    ("jupyter nbconvert --execute --to notebook t.ipynb --output-dir out", ["out/t.ipynb"]),
    ("jupyter-nbconvert --to notebook --execute a.ipynb b.ipynb --output '{notebook_name}.ran'",
     ["a.ran.ipynb", "b.ran.ipynb"]),
    ("jupyter nbconvert --to notebook --inplace --execute t.ipynb", []),
    ("jupyter execute t.ipynb", []),  # writes nothing unless asked
    ("jupyter execute nb/t.ipynb --output=ran", ["nb/ran.ipynb"]),
]


@pytest.mark.parametrize(("cmd", "written"), CASES, ids=[c for c, _ in CASES])
def test_each_tool_writes_where_its_own_code_says(cmd: str, written: list[str]) -> None:
    assert [o.path for o in executed_outputs(cmd, ())] == written


def test_an_output_the_config_declares_is_not_declared_twice() -> None:
    declared = (DataPath("out.ipynb", "RESULT"),)
    assert executed_outputs("papermill in.ipynb out.ipynb && papermill a.ipynb b.ipynb",
                            declared) == (DataPath("b.ipynb"),)
