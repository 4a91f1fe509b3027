"""Type probes (`facts/probes.py`, docs/reachability.md rule 11): the body under
`isinstance(value, pd.DataFrame)` after a guarded `import pandas as pd` runs only once
pandas is imported by something else, so it is gated on pandas; every other shape stays
an ordinary guarded import.

The first shape is networkx 3.6.1's `to_networkx_graph` (`networkx/convert.py`,
BSD-3-Clause), cut down."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parse_cst import facts_from_cst
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.report import how_it_runs
from jobpack.target import Target
from tests.unit.analyzer.test_reach import _dist, walk

T311 = Target(3, 11)

NETWORKX = """\
import warnings


def to_graph(data, create_using=None):
    if hasattr(data, "adj"):
        return data
    # Pandas DataFrame
    try:
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            if data.shape[0] == data.shape[1]:
                return from_frame(data)
            import frame_helpers
            return frame_helpers.edges(data)
    except ImportError:
        warnings.warn("pandas not found, skipping conversion test.", ImportWarning)
    return list(data)


def from_frame(frame):
    import pandas
    return pandas.DataFrame(frame)
"""


def facts(source: str) -> FileFacts:
    return parse_facts(dedent(source).encode(), T311)


def test_a_type_probe_gates_the_body_under_its_test_and_its_own_import() -> None:
    found = facts(NETWORKX)
    gated = {(fact.module, fact.gate) for fact in found.imports}
    # from_frame's own import of pandas is not in the probe's function
    assert gated == {("warnings", ""), ("pandas", "pandas"), ("frame_helpers", "pandas"),
                     ("pandas", "")}
    [whole, body] = [f for f in found.functions if f.name == "to_graph"]
    assert (whole.gate, body.gate, body.line) == ("", "pandas", 12)
    assert "/from_frame" in body.names.split() and "/from_frame" not in whole.names.split()
    assert "pandas/DataFrame" in whole.names.split()  # the test itself is the function's


def test_both_parsers_find_the_same_probes() -> None:
    source = NETWORKX.encode()
    from_cst = facts_from_cst(cst.parse_module(source), T311, deep=True, source=source)
    assert from_cst == parse_facts(source, T311)


PROBE_BODY = """\
def f(data):
    try:
        import pandas as pd
        if isinstance(data, pd.DataFrame):
            import helper
    except ImportError:
        pass
"""


@pytest.mark.parametrize(("change", "why"), [
    (("    except ImportError:\n        pass\n",
      "    except ImportError:\n        raise RuntimeError('needs pandas')\n"),
     "a handler raises: without pandas the call fails"),
    (("    except ImportError:\n", "    except KeyError:\n"),
     "no handler catches a failed import"),
    (("isinstance(data, pd.DataFrame)", "isinstance(data, (pd.DataFrame, list))"),
     "a list passes the test without pandas"),
    (("isinstance(data, pd.DataFrame)", "isinstance(data, pd.DataFrame) or data"),
     "the test is more than the probe"),
    (("            import helper\n",
      "            import helper\n        frame = pd.DataFrame()\n"),
     "pd is used beyond the tests"),
    (("        import pandas as pd\n", "        import pandas as pd\n    except ImportError:\n"
      "        pd = None\n    try:\n"),
     "the test is not in the try that imports"),
    (("        if isinstance(data, pd.DataFrame):\n            import helper\n",
      "        if isinstance(data, pd.DataFrame): import helper\n"),
     "the body shares the test's line"),
])
def test_other_shapes_are_not_probes(change: tuple[str, str], why: str) -> None:
    old, new = change
    assert old in PROBE_BODY, why
    found = facts(PROBE_BODY.replace(old, new))
    assert found.syntax_error is None and {f.module for f in found.imports} >= {"pandas"}
    assert not any(fact.gate for fact in found.imports), why
    assert not any(fact.gate for fact in found.functions), why


def test_a_probe_of_a_from_import_and_a_tuple_of_its_classes() -> None:
    found = facts("""\
        def f(data):
            try:
                from pandas import DataFrame as Frame
                if issubclass(kind, (Frame, Frame.Series,)):
                    import helper
            except (ImportError, AttributeError):
                pass
        """)
    assert {(fact.module, fact.gate) for fact in found.imports} == {
        ("pandas", "pandas"), ("helper", "pandas")}


LIBRARY = {
    "nx/__init__.py": "from nx.convert import to_graph\n",
    "nx/convert.py": NETWORKX,
    "pandas/__init__.py": "import pyarrow\n",
    "pyarrow.py": "",
    "frame_helpers.py": "",
}


def _tiers(graph: ImportGraph) -> dict[str, str]:
    index = DistributionIndex([_dist("nx"), _dist("pandas", "pyarrow"), _dist("pyarrow"),
                               _dist("frame_helpers")])
    pins, _ = resolve_requirements(graph, index, T311)
    return {pin.name: pin.tier for pin in pins}


def test_a_probed_package_is_not_pinned_for_the_probe(tmp_path: Path) -> None:
    graph = walk(tmp_path, "import nx\nnx.to_graph([(1, 2)])\n", LIBRARY)
    assert "pandas" not in graph.modules and "frame_helpers" not in graph.modules
    assert _tiers(graph) == {"nx": "required"}


def test_the_gated_body_runs_once_the_job_imports_the_package(tmp_path: Path) -> None:
    graph = walk(tmp_path, "import nx\nimport pandas\nnx.to_graph(pandas.read())\n", LIBRARY)
    assert {"frame_helpers", "pandas", "pyarrow"} <= graph.modules
    (site,) = graph.get_import_sites("nx.convert", "frame_helpers")
    assert site.gate == "pandas"
    assert how_it_runs(site) == (
        "in function to_graph (named by main.py, module level), only once pandas is "
        "imported (a type probe), under except ImportError")
    assert _tiers(graph)["frame_helpers"] == "optional"


def test_the_gated_body_runs_once_library_code_imports_the_package(
        tmp_path: Path) -> None:
    library = {**LIBRARY, "other.py": "def load():\n    import pandas\n"}
    graph = walk(tmp_path, "import nx, other\nnx.to_graph([])\nother.load()\n", library)
    assert "frame_helpers" in graph.modules
    graph = walk(tmp_path / "unnamed", "import nx, other\nnx.to_graph([])\n", library)
    assert "frame_helpers" not in graph.modules and "pandas" not in graph.modules


def test_a_predicate_that_returns_the_test_gates_only_its_import() -> None:
    # transformers' `is_torch_fx_proxy` (transformers/utils/import_utils.py, Apache-2.0)
    found = facts("""\
        def is_torch_fx_proxy(x) -> bool:
            try:
                import torch.fx

                return isinstance(x, torch.fx.Proxy)
            except Exception:
                return False
        """)
    assert [(fact.module, fact.gate) for fact in found.imports] == [("torch.fx", "torch")]
    assert [fact.gate for fact in found.functions] == [""]
    shaped = facts("""\
        def is_proxy(x) -> bool:
            try:
                import torch.fx
                return isinstance(x, torch.fx.Proxy) or torch.fx.enabled
            except Exception:
                return False
        """)
    assert [fact.gate for fact in shaped.imports] == [""]


def test_a_standard_library_module_gates_nothing(tmp_path: Path) -> None:
    # a Decimal can come from code the walk never reads (sqlite3's converters, json's
    # parse_float), so the body under the test counts as soon as the function does
    library = {"lib.py": """\
        def convert(value):
            try:
                import decimal
                if isinstance(value, decimal.Decimal):
                    import helper
            except ImportError:
                pass
        """, "helper.py": ""}
    assert [f.gate for f in facts(library["lib.py"]).imports] == ["", ""]
    graph = walk(tmp_path, "import lib\nlib.convert(1)\n", library)
    assert "helper" in graph.modules
    (site,) = graph.get_import_sites("lib", "helper")
    assert site.gate == ""
