from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.target import Target

PY311 = Target(3, 11)


def modules(source: str, target: Target = PY311) -> list[str]:
    return [fact.module for fact in parse_facts(source.encode(), target).imports]


@pytest.mark.parametrize(
    ("test", "taken"),
    [
        ("sys.version_info >= (3, 11)", True),
        ("sys.version_info >= (3, 12)", False),
        ("sys.version_info < (3, 11)", False),
        ("sys.version_info > (3, 11)", True),  # (3, 11, micro, ...) > (3, 11)
        ("(3, 8) <= sys.version_info", True),
        ("sys.version_info[:2] == (3, 11)", True),
        ("sys.version_info[0] == 2", False),
        ("sys.version_info.minor >= 12", False),
        ('sys.platform == "linux"', True),
        ('sys.platform != "win32"', True),
        ('sys.platform in ("win32", "cygwin")', False),
        ('sys.platform.startswith(("linux", "freebsd"))', True),
        ('os.name == "nt"', False),
        ('platform.system() == "Windows"', False),
        ('platform.machine() == "x86_64"', True),
        ('not sys.platform == "darwin"', True),
        ('sys.platform == "win32" or sys.version_info < (3, 0)', False),
    ],
)
def test_conditions_are_judged_against_the_target(test: str, taken: bool) -> None:
    found = modules(f"import sys\nif {test}:\n    import yes\nelse:\n    import no\n")
    assert found == ["sys", "yes" if taken else "no"]


def test_an_unknown_condition_is_maybe_both_branches_count() -> None:
    facts = parse_facts(b"if flag:\n    import a\nelse:\n    import b\n", PY311)
    assert [(f.module, f.conditional) for f in facts.imports] == [("a", True), ("b", True)]


def test_micro_versions_count_only_when_the_target_knows_them() -> None:
    source = "import sys\nif sys.version_info >= (3, 11, 4):\n    import new\n"
    assert modules(source, Target(3, 11, 2)) == ["sys"]
    unknown = parse_facts(source.encode(), Target(3, 11)).imports
    assert [(f.module, f.conditional) for f in unknown] == [("sys", False), ("new", True)]


def test_elif_chains_exclude_earlier_branches() -> None:
    source = (
        "import sys\nif sys.platform == 'linux':\n    import a\n"
        "elif flag:\n    import b\nelse:\n    import c\n"
    )
    assert modules(source) == ["sys", "a"]


def test_import_facts_record_names_level_scope_and_lines() -> None:
    facts = parse_facts(b"from ..pkg import a as b, c\nclass K:\n    import d\n", PY311)
    first, second = facts.imports
    assert (first.module, first.names, first.level, first.line) == ("pkg", ("a", "c"), 2, 1)
    assert (second.scope, second.line) == ("class", 3)


def test_facts_survive_a_round_trip_through_json_shapes() -> None:
    facts = parse_facts(b"import a\nfrom b import *\n__all__ = ['x']\n", PY311)
    assert FileFacts.from_dict(facts.to_dict()) == facts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    assert isinstance(parse_facts(data, PY311), FileFacts)


_PIECES = st.sampled_from([
    "import a\n", "from . import b\n", "if x:\n", "    ", "try:\n", "except ImportError:\n",
    "def f(", "):\n", "import importlib\nimportlib.import_module(", "'m')\n", "\\\n", "(",
    "if sys.version_info >= (3,", "):\n", "__all__ = [", "]\n", "lambda: __import__('q')\n",
    "match x:\n    case 1:\n        import z\n", "async def g():\n    import y\n", "'''",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_arbitrary_python_like_source_never_crashes_the_parser(source: str) -> None:
    facts = parse_facts(source.encode(), PY311)
    assert facts.syntax_error is None or facts.syntax_error.line >= 1


def test_suppression_comments_are_recorded_by_line() -> None:
    source = ("import os\n"
              "import plugins_x  # jobpack: ignore[unresolved-import]\n"
              "s = '# jobpack: ignore[dynamic-import]'  # only a string: silences nothing\n"
              "mod = __import__(name)  # noqa: F821 # jobpack: ignore[dynamic-import,"
              " unresolved-import]\n")
    facts = parse_facts(source.encode(), PY311)
    assert facts.suppressions == ((2, ("unresolved-import",)),
                                  (4, ("dynamic-import", "unresolved-import")))
    assert FileFacts.from_dict(facts.to_dict()) == facts


def test_a_file_that_does_not_parse_silences_nothing() -> None:
    facts = parse_facts(b"import (  # jobpack: ignore[unresolved-import]\n", PY311)
    assert facts.syntax_error is not None and facts.suppressions == ()
