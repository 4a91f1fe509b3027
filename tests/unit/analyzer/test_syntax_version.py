"""Syntax newer than the target is an error at its line, from either parser's tree."""

from __future__ import annotations

import sys

import pytest

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.target import Target

CASES = [  # source, words of the message, the version it needs, its line in the source
    ("match x:\n    case 1:\n        pass\n", "`match` statements", "3.10", 1),
    ("try:\n    pass\nexcept* ValueError:\n    pass\n", "`except*`", "3.11", 1),
    ("x: tuple[int, *Ts]\n", "star-unpacking in subscripts", "3.11", 1),
    ("def f(*args: *Ts) -> None:\n    pass\n", "`*args: *Ts`", "3.11", 1),
    ("type Vector = list[float]\n", "`type` statements", "3.12", 1),
    ("def first[T](items: list[T]) -> T:\n    return items[0]\n", "generic parameter", "3.12",
     1),
    ("class Box[T]:\n    pass\n", "generic parameter", "3.12", 1),
    ("x = f\"{d[\"key\"]}\"\n", "f-strings", "3.12", 1),
    ("x = f\"{'\\n'.join(parts)}\"\n", "f-strings", "3.12", 1),
    ("x = 1\ny = f'''{a # a comment\n}'''\n", "f-strings", "3.12", 2),
    ("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", "PEP 758", "3.14", 3),
    ("x = t\"hello {name}\"\n", "template strings", "3.14", 1),
]


def notes(source: str, target: Target) -> FileFacts:
    return parse_facts(f"import a\n{source}import b\n".encode(), target)


@pytest.mark.parametrize(("source", "feature", "needs", "line"), CASES)
def test_newer_syntax_is_an_error_at_its_line(source: str, feature: str, needs: str,
                                              line: int) -> None:
    major, minor = map(int, needs.split("."))
    older = Target(major, minor - 1)
    found = notes(source, older)
    assert found.syntax_error is None
    assert [f.module for f in found.imports] == ["a", "b"]  # the rest is still read
    (note,) = found.notes
    assert note.code == "syntax-newer-than-target"
    assert note.line == 1 + line
    assert feature in note.message
    assert f"need Python {needs}; the target is {older.python}" in note.message


@pytest.mark.parametrize(("source", "feature", "needs", "line"), CASES)
def test_the_same_syntax_is_fine_for_a_target_that_has_it(source: str, feature: str,
                                                          needs: str, line: int) -> None:
    major, minor = map(int, needs.split("."))
    found = notes(source, Target(major, minor))
    assert found.syntax_error is None and found.notes == ()
    assert [f.module for f in found.imports] == ["a", "b"]


def test_each_feature_is_reported_once_per_file() -> None:
    source = "match x:\n    case 1:\n        pass\n" * 3
    assert len(notes(source, Target(3, 9)).notes) == 1


@pytest.mark.parametrize(("source", "words"), [
    ("print 'hello'\n", "the `print` statement is Python 2 syntax"),
    ("exec 'x = 1'\n", "the `exec` statement is Python 2 syntax"),
    ("try:\n    pass\nexcept ValueError, exc:\n    pass\n", "`except X, exc:` is Python 2"),
    ("x = `y`\n", "backquotes"),
    ("if a <> b:\n    pass\n", "`<>`"),
    ("mode = 0777\n", "octal"),
])
def test_python2_syntax_names_python2(source: str, words: str) -> None:
    found = notes(source, Target(3, 11))
    errors = [n for n in (found.syntax_error, *found.notes) if n is not None]
    assert len(errors) == 1
    assert errors[0].code == "syntax-error" and words in errors[0].message
    assert errors[0].line >= 2


def test_a_real_syntax_error_libcst_would_accept_stays_an_error() -> None:
    # CPython refuses a stray control character; libcst's tokenizer lets it through.
    found = parse_facts(b"import a\nx = 1 \x01\n", Target(3, 11))
    assert found.syntax_error is not None and found.syntax_error.line == 2


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 syntax is read by ast there")
def test_syntax_newer_than_the_running_python_is_read_by_libcst() -> None:
    found = parse_facts(b"type X = int\ndef f():\n    import inner\n", Target(3, 12))
    assert found.syntax_error is None and found.notes == ()
    assert [(f.module, f.line, f.scope) for f in found.imports] == [("inner", 3, "function")]
