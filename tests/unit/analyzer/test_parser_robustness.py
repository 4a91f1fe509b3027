"""No valid file is an error and no input kills the process: depth, length, bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.target import Target

PY311 = Target(3, 11)


def facts(source: bytes) -> FileFacts:
    return parse_facts(source, PY311)


def modules(source: bytes) -> list[tuple[str, int]]:
    found = facts(source)
    assert found.syntax_error is None, found.syntax_error
    return [(fact.module, fact.line) for fact in found.imports]


def test_a_long_chain_of_additions_is_valid_and_parses() -> None:
    chain = " + ".join(["'part'"] * 310)
    source = f"import a\nTEXT = {chain}\nimport b\n".encode()
    assert modules(source) == [("a", 1), ("b", 3)]


def test_a_long_chain_with_a_dynamic_import_inside_is_walked_without_recursion() -> None:
    chain = " + ".join(["x"] * 1500)
    source = f"import importlib\nv = {chain} + importlib.import_module('deep')\n".encode()
    assert modules(source) == [("importlib", 1), ("deep", 2)]


def test_deep_but_legal_nesting_parses() -> None:
    nested = "[" * 190 + "1" + "]" * 190
    source = f"import a\nDATA = {nested}\nif True:\n    import b\n".encode()
    assert modules(source) == [("a", 1), ("b", 4)]


@pytest.mark.parametrize("depth", [201, 1500, 100_000])
def test_nesting_cpython_refuses_is_one_syntax_error_at_its_line(depth: int) -> None:
    source = b"import a\nx = " + b"(" * depth + b"1" + b")" * depth + b"\n"
    error = facts(source).syntax_error
    assert error is not None
    assert (error.line, error.code) == (2, "syntax-error")
    assert "nested parentheses" in error.message


def test_nesting_cpython_refuses_in_newer_syntax_is_an_error_not_a_crash() -> None:
    # ast stops at the `type` line; libcst would have to read the deep part.
    source = b"type X = int\nx = " + b"(" * 1500 + b"1" + b")" * 1500 + b"\n"
    error = facts(source).syntax_error
    assert error is not None and error.code == "syntax-error"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="CPython 3.10's compiler takes it: "
                    "the limit is 3.11's, and the facts are what this interpreter parses")
def test_an_expression_too_deep_for_cpython_is_one_syntax_error() -> None:
    source = ("x = " + " + ".join(["1"] * 20_000) + "\n").encode()
    error = facts(source).syntax_error
    assert error is not None and error.code == "syntax-error"


@pytest.mark.parametrize("end", [b"\r", b"\r\n"])
def test_lines_ended_by_cr_read_as_the_interpreter_reads_them(end: bytes) -> None:
    """Classic Mac OS line ends (a lone CR) end lines for Python; they raised IndexError
    in the parser, and the file was reported unreadable."""
    lines = [b"import os", b"class C:", b"    def run(self):", b"        import json",
             b"        return json", b"x = C().run()"]
    plain = facts(b"\n".join(lines) + b"\n")
    ended = facts(end.join(lines) + end)
    assert ended.syntax_error is None
    assert [(f.module, f.line) for f in ended.imports] == [("os", 1), ("json", 4)]
    assert ended == plain


def test_null_bytes_are_one_error_at_their_line() -> None:
    error = facts(b"import a\nx = 1\x00\n").syntax_error
    assert error is not None and error.line == 2 and "null bytes" in error.message


def test_a_coding_cookie_is_honoured() -> None:
    source = "# -*- coding: latin-1 -*-\nimport a\nNAME = 'café'\n".encode("latin-1")
    assert modules(source) == [("a", 2)]


def test_non_utf8_without_a_cookie_is_one_error_at_the_bad_line() -> None:
    error = facts(b"import a\n\nNAME = 'caf\xe9'\n").syntax_error
    assert error is not None and error.line == 3 and "utf-8" in error.message


def test_an_unknown_encoding_is_one_error() -> None:
    error = facts(b"# coding: klingon\nimport a\n").syntax_error
    assert error is not None and error.code == "syntax-error"


def test_a_bom_crlf_and_form_feeds_parse() -> None:
    source = b"\xef\xbb\xbfimport a\r\n\x0c\r\nif True:\r\n    import b\r\n\x0cimport c\r\n"
    assert modules(source) == [("a", 1), ("b", 4), ("c", 5)]


def test_a_bom_with_crlf_on_the_libcst_path_keeps_lines() -> None:
    source = b"\xef\xbb\xbfimport a\r\ntype X = int\r\n\x0c\r\nimport b\r\n"
    assert modules(source) == [("a", 1), ("b", 4)]


def test_a_huge_generated_file_parses(tmp_path: Path) -> None:
    rows = "".join(f"    ({i}, 'name{i}', [{i}, {i + 1}, {{'k': {i}}}]),\n" for i in range(30_000))
    source = f"import a\nTABLE = [\n{rows}]\nimport b\n".encode()
    assert modules(source) == [("a", 1), ("b", 30_004)]


def test_the_cli_reports_1500_nested_parentheses_without_crashing(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import deep\n")
    (tmp_path / "deep.py").write_text("import os\nx = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    many = tmp_path / "many"
    many.mkdir()
    for i in range(30):  # enough files for the parallel workers
        (many / f"m{i}.py").write_text("x = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    (many / "__init__.py").write_text("".join(f"from . import m{i}\n" for i in range(30)))
    (tmp_path / "main.py").write_text("import deep\nimport many\n")
    jobpack = Path(sys.executable).with_name("jobpack")
    run = subprocess.run([str(jobpack), "analyze", "main.py", "--no-cache", "--json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "deep.py:2: error[syntax-error]: too many nested parentheses" in run.stderr
    diagnostics = json.loads(run.stdout)["diagnostics"]
    assert sorted(d["path"] for d in diagnostics if d["code"] == "syntax-error") == sorted(
        ["deep.py", *(f"many/m{i}.py" for i in range(30))])


def test_generated_lambdas_with_long_polynomials_parse() -> None:
    # The shape of sympy/polys/numberfields/resolvent_lookup.py (valid Python).
    terms = " + ".join(f"{i}*s1**{i % 7}*s2*s3" for i in range(2_000))
    lambdas = "".join(f"        lambda s1, s2, s3: ({terms}),\n" for _ in range(3))
    source = (f"__all__ = ['table']\nimport a\ntable = {{\n    (4, 0): [\n{lambdas}    ],\n}}\n"
              "import b\n").encode()
    found = facts(source)
    assert found.syntax_error is None
    assert [f.module for f in found.imports] == ["a", "b"]
    assert found.all_names == ("table",)
