"""Lazy modules (transformers' `_LazyModule`, PEP 562): `from pkg import Name` runs the
submodule the package's table maps `Name` to, as the interpreter does at that line; the
`if TYPE_CHECKING:` imports are read only as that table and never run
(`jobpack/analyzer/walk/lazy.py`). The library below is written after transformers 5's
layout: a top-level table with explicit names and `from .models import *`, lazy model
packages whose tables are stars of plain modules with `__all__`."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from jobpack.analyzer.facts.parse_cst import facts_from_cst
from jobpack.analyzer.facts.parser import parse_facts
from tests.unit.analyzer.test_reach import T311, walk

LAZY_INIT = """
    from typing import TYPE_CHECKING
    from .utils import _LazyModule, helper
    _import_structure = {"trainer": ["Trainer"], "models": []}
    if TYPE_CHECKING:
        from .trainer import Trainer as Trainer
        from .pipelines import pipeline
        from .models import *
    else:
        import sys
        sys.modules[__name__] = _LazyModule(__name__, globals()["__file__"], _import_structure)
    """
STARS = """
    from typing import TYPE_CHECKING
    from ..utils import _LazyModule
    if TYPE_CHECKING:
        from .{0} import *
    else:
        import sys
        sys.modules[__name__] = _LazyModule(__name__, __file__, {{}})
    """
LIBRARY = {
    "hf/__init__.py": LAZY_INIT,
    "hf/utils.py": "class _LazyModule: pass\ndef helper(): pass\n",
    "hf/trainer.py": "import accel\nclass Trainer: pass\n",
    "hf/pipelines.py": "import dep_pipelines\ndef pipeline(): pass\n",
    "hf/models/__init__.py": STARS.format("albert").replace(
        "from .albert import *", "from .albert import *\n        from .bert import *"),
    "hf/models/albert/__init__.py": STARS.format("configuration_albert"),
    "hf/models/albert/configuration_albert.py": (
        "import dep_albert\n# not BertConfig's home\n__all__ = ['AlbertConfig']\n"),
    "hf/models/bert/__init__.py": STARS.format("configuration_bert"),
    "hf/models/bert/configuration_bert.py": (
        "import dep_bert\nclass BertConfig: pass\n__all__ = ['BertConfig']\n"),
    "plain/__init__.py": ("from typing import TYPE_CHECKING\n"
                          "if TYPE_CHECKING:\n    from .typed import Hint\n"),
    "plain/typed.py": "import dep_typed\n",
    "other.py": "import hf\ndef trainer_help():\n    return 'Trainer'\nTrainer = None\n",
    **{f"{name}.py": "" for name in ("accel", "dep_pipelines", "dep_albert", "dep_bert",
                                      "dep_typed")},
}


def test_a_name_from_a_lazy_package_runs_the_submodule_its_table_names(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "from hf import Trainer\n", LIBRARY)
    assert {"hf.trainer", "accel"} <= graph.modules
    assert "dep_pipelines" not in graph.modules  # not asked for: not imported


def test_a_star_entry_leads_through_lazy_packages_to_the_module_exporting_the_name(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "from hf import BertConfig\nBertConfig()\n", LIBRARY)
    assert {"hf.models.bert.configuration_bert", "dep_bert"} <= graph.modules
    assert "dep_albert" not in graph.modules


def test_an_attribute_of_a_lazy_package_imports_once_its_name_is_referred_to(
        tmp_path: Path) -> None:
    assert "accel" not in walk(tmp_path / "a", "import hf\n", LIBRARY).modules
    graph = walk(tmp_path / "b", "import hf\nhf.Trainer()\n", LIBRARY)
    assert {"hf.trainer", "accel"} <= graph.modules


def test_library_code_naming_a_lazy_attribute_does_not_run_it(tmp_path: Path) -> None:
    # names written anywhere in library code would run most of transformers' table
    graph = walk(tmp_path, "import other\n", LIBRARY)
    assert "hf" in graph.modules and "accel" not in graph.modules


def test_type_checking_imports_of_a_module_that_is_not_lazy_never_count(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "from plain import Hint\nHint\n", LIBRARY)
    assert "dep_typed" not in graph.modules


def test_both_parsers_read_the_same_table_and_run_none_of_it() -> None:
    source = LAZY_INIT.replace("\n    ", "\n").encode()
    fast = parse_facts(source, T311)
    slow = facts_from_cst(cst.parse_module(source), T311, deep=False, source=source)
    assert fast.lazy == slow.lazy
    assert [(e.name, e.module, e.level, e.attr) for e in fast.lazy] == [
        ("Trainer", "trainer", 1, "Trainer"), ("pipeline", "pipelines", 1, "pipeline"),
        ("*", "models", 1, "*")]
    assert {fact.module for fact in fast.imports} == {"typing", "utils", "sys"}
    plain = parse_facts(b"from typing import TYPE_CHECKING\n"
                        b"if TYPE_CHECKING:\n    from .x import y\n", T311)
    assert plain.lazy == ()  # TYPE_CHECKING alone is no table: nothing imports lazily
