"""A star import's module that cannot bind a name is not read for it
(`jobpack/analyzer/walk/star_scan.py`, issue #20: resolving `transformers.BertConfig`
through `from .models import *` parsed 2,200 files, a quarter of a cold analysis). The
text test must be a superset of what the parsed facts say; the answers must not change,
only which files are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.analyzer.walk.lazy import LazyTables
from jobpack.analyzer.walk.resolve import Namespaces
from jobpack.analyzer.walk.star_scan import StarScan, binds, import_statements, leads_on
from tests.unit.analyzer.test_facts_fast_paths import FILES
from tests.unit.analyzer.test_reach import T311


def _table_names(facts: FileFacts) -> set[str]:
    return {entry.partition("=")[0] for entry in facts.bindings.split()} - {"*"}


def bound_names(source: bytes, names: set[str]) -> set[str] | None:
    """Which of `names` the text may bind (None: it may lead on, always read)."""
    if leads_on(source):
        return None
    imports = import_statements(source)
    return {name for name in names if binds(source, name, imports)}


@pytest.mark.parametrize("file", FILES, ids=lambda p: "/".join(p.parts[-2:]))
def test_what_the_text_can_bind_holds_every_name_of_the_table(file: Path) -> None:
    """On real code nobody on this project wrote: every name a module's table binds is
    one its text can bind, unless the text says it may lead on (then it is always read)."""
    source = file.read_bytes()
    facts = parse_facts(source, T311)
    bound = bound_names(source, _table_names(facts))
    if bound is None:
        return
    assert not facts.lazy
    assert "*=" not in facts.bindings
    assert _table_names(facts) == bound


BINDINGS = """\
import alpha.beta, gamma as delta
from .epsilon import (zeta,  # a comment with a ) in it
    eta as theta,
)
from iota import kappa; lam = 1
from importlib_like import (
    chi,  # noqa: F401
)
def mu(): pass
async def nu(): pass
class Xi(object): pass
omicron = mu
pi: int = 3
rho = Xi()
sigma = {"a": Xi}
if True:
    tau = Xi()
"""


def test_each_kind_of_binding_is_found_and_nothing_else() -> None:
    expected = {"alpha", "delta", "zeta", "theta", "kappa", "lam", "mu", "nu", "Xi",
                "omicron", "pi", "rho", "sigma", "tau", "chi"}
    table = _table_names(parse_facts(BINDINGS.encode(), T311))
    assert bound_names(BINDINGS.encode(), table | expected | {"ZETA", "eps"}) == \
        table | expected
    # called, compared, annotated or passed: bound nowhere
    used = bound_names(b"def f(x: str = None) -> str:\n    return any(isinstance(x, str))\n"
                       b"if upsilon == 1:\n    f(upsilon=2)\nclass\\\n  G: pass\n",
                       {"f", "str", "any", "isinstance", "x", "upsilon", "G"})
    assert used == {"f", "G"}


@pytest.mark.parametrize("source", [
    b"from .models import *\n",
    b"from .models import\\\n    *\n",
    b"from .models import*\n",
    b"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import B\n"
    b"def __getattr__(name):\n    return name\n",
    b"import lazy_loader as lazy\n__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, "
    b"__file__)\n",
    "\uff46oo = 1\n".encode(),  # fullwidth f: the interpreter binds `foo`
    "# \u00e9t\u00e9\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    "    from .a import B\ndef __getattr__(name):\n    return name\n".encode(),
], ids=["star", "star-continued", "star-tight", "lazy", "stub", "fullwidth", "lazy-utf8"])
def test_a_text_that_may_lead_on_is_always_read(source: bytes) -> None:
    assert leads_on(source)


def test_other_characters_that_cannot_spell_an_ascii_name_keep_the_test() -> None:
    source = "# \u00e9t\u00e9 \u2014 \u4e2d\nclass Caf\u00e9Config: pass\nBertConfig = 1\n"
    assert bound_names(source.encode(), {"BertConfig", "Cafe"}) == {"BertConfig"}
    latin = b"# -*- coding: latin-1 -*-\n# \xe9t\xe9\nclass A: pass\n"
    assert bound_names(latin, {"A", "B"}) == {"A"}


MODELS = {
    "hf/__init__.py": "from .models import *\ndef helper():\n    return any(str(x) for x in [])\n",
    "hf/models/__init__.py": "from .albert import *\nfrom .bert import *\n",
    "hf/models/albert/__init__.py": "from .configuration_albert import *\n",
    "hf/models/albert/configuration_albert.py": (
        "__all__ = ['AlbertConfig']\nclass AlbertConfig:\n    def f(self):\n"
        "        return any(isinstance(self, str) for _ in 'BertConfig')\n"),
    "hf/models/bert/__init__.py": "from .configuration_bert import *\n",
    "hf/models/bert/configuration_bert.py": (
        "__all__ = ['BertConfig']\nclass BertConfig:\n    pass\n"),
}


def _library(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, text in MODELS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        files[module] = path
    return files


class _Always(StarScan):
    def may_bind(self, file: Path | None, name: str) -> bool:
        return True

    def may_export(self, file: Path | None, name: str) -> bool:
        return True


def _namespaces(files: dict[str, Path], scan: StarScan) -> tuple[Namespaces, list[Path]]:
    parsed: list[Path] = []

    def facts_for(path: Path) -> FileFacts:
        parsed.append(path)
        return parse_facts(path.read_bytes(), T311)

    return Namespaces(facts_for, files.get, files.__contains__, lambda name: False,
                      scan=scan), parsed


@pytest.mark.parametrize("name", ["BertConfig", "AlbertConfig", "any", "str", "Nothing"])
def test_a_star_import_s_module_that_cannot_bind_the_name_is_not_read(
        tmp_path: Path, name: str) -> None:
    files = _library(tmp_path)
    scanned, parsed = _namespaces(files, StarScan())
    every, _ = _namespaces(files, _Always())
    assert scanned.lookup("hf", name) == every.lookup("hf", name)
    leaves = {files["hf.models.albert.configuration_albert"],
              files["hf.models.bert.configuration_bert"]}
    home = {"BertConfig": "bert", "AlbertConfig": "albert"}.get(name)
    assert {path for path in parsed if path in leaves} == (
        set() if home is None else {files[f"hf.models.{home}.configuration_{home}"]})


def test_a_lazy_table_s_star_entries_are_read_only_where_the_name_may_be(
        tmp_path: Path) -> None:
    lazy_stars = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .{0} import *\n"
                  "else:\n    import sys\n    sys.modules[__name__] = object()\n")
    files = _library(tmp_path)
    for module, text in (("hf.models", lazy_stars.format("albert") + lazy_stars.format("bert")),
                         ("hf.models.albert", lazy_stars.format("configuration_albert")),
                         ("hf.models.bert", lazy_stars.format("configuration_bert"))):
        files[module].write_text(text)
    parsed: list[Path] = []

    def facts_for(path: Path) -> FileFacts:
        parsed.append(path)
        return parse_facts(path.read_bytes(), T311)

    tables = LazyTables(facts_for, files.get)
    assert tables.source("hf.models", "BertConfig") == (
        "hf.models.bert.configuration_bert", "BertConfig")
    assert tables.source("hf.models", "Nothing") is None
    assert files["hf.models.albert.configuration_albert"] not in parsed
