"""The diagnostics registry: one table, in step with docs/diagnostics.md, and the ways a
user silences a code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from jobpack import diagnostics
from jobpack.diagnostics import REGISTRY, check_ignorable, drop_ignored, suppressed_codes
from jobpack.errors import IgnoreError
from jobpack.manifest import Diagnostic

DOCS = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| (error|warning|info) \|", re.MULTILINE)


def test_the_registry_and_the_docs_name_the_same_codes_with_the_same_levels() -> None:
    documented = dict(_ROW.findall(DOCS.read_text(encoding="utf-8")))
    registered = {name: code.level for name, code in REGISTRY.items()}
    assert registered == documented


def test_every_code_has_a_one_line_doc() -> None:
    for code in REGISTRY.values():
        assert code.doc and "\n" not in code.doc and len(code.doc) < 100, code.name


def test_no_module_spells_a_code() -> None:
    """Diagnostics are made through their `Code`: no string literal of jobpack outside
    the registry is a code's name."""
    package = Path(diagnostics.__file__).parent
    spelled = [f"{path.relative_to(package)}:{node.lineno}: {node.value}"
               for path in sorted(package.rglob("*.py")) if path.name != "diagnostics.py"
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and node.value in REGISTRY]
    assert spelled == []


def test_a_code_makes_its_diagnostic_at_its_level() -> None:
    made = diagnostics.UNRESOLVED_IMPORT.at("main.py", 3, "no module named 'x'")
    assert made == Diagnostic("main.py", 3, "unresolved-import", "no module named 'x'",
                              "warning")
    assert diagnostics.SYNTAX_ERROR.note("bad").level == "error"


def test_unknown_and_error_codes_cannot_be_ignored() -> None:
    assert check_ignorable(["dynamic-import"]) == {"dynamic-import"}
    with pytest.raises(IgnoreError, match="unknown diagnostic code 'dynamic-imports'"):
        check_ignorable(["dynamic-imports"])
    with pytest.raises(IgnoreError, match="syntax-error is an error"):
        check_ignorable(["syntax-error"])


@pytest.mark.parametrize(("comment", "codes"), [
    ("# jobpack: ignore[dynamic-import]", {"dynamic-import"}),
    ("#jobpack:ignore[dynamic-import, unresolved-import]",
     {"dynamic-import", "unresolved-import"}),
    ("# noqa: E501  # jobpack: ignore[unresolved-import]", {"unresolved-import"}),
    ("# jobpack: ignore", set()),  # a code must be named, unlike a bare noqa
    ("# a comment about jobpack", set()),
])
def test_suppression_comments_name_codes(comment: str, codes: set[str]) -> None:
    assert suppressed_codes(comment) == codes


def test_dropping_keeps_errors_and_other_lines() -> None:
    found = (diagnostics.DYNAMIC_IMPORT.at("a.py", 1, "x"),
             diagnostics.DYNAMIC_IMPORT.at("a.py", 2, "y"),
             diagnostics.UNRESOLVED_IMPORT.at("a.py", 2, "z"),
             diagnostics.SYNTAX_ERROR.at("a.py", 2, "w"),
             diagnostics.EXCLUDED.note("v"))
    silenced = {("a.py", 2): frozenset({"dynamic-import", "syntax-error"})}
    kept = drop_ignored(found, frozenset({"excluded"}),
                        lambda path, line: silenced.get((path, line), frozenset()))
    assert [d.message for d in kept] == ["x", "z", "w"]
