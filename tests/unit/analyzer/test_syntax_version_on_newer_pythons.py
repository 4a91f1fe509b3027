"""On Python 3.12+ the fast path's own `ast` reads 3.12 syntax, so the syntax-version
check must find it in that tree too. Runs the parser under the real newer interpreters
(pyenv's, as on CI) in a subprocess; skips only outside CI when they are missing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import packaging
import pytest

import jobpack
from tests.support.pythons import python_or_skip

PYTHONS = ("3.12", "3.13")
CASES = {  # source, whether it needs 3.12 (PEP 701 or PEP 695)
    "same quotes": ('x = f"{d["k"]}"\n', True),
    "backslash": ("x = f\"{'\\n'.join(p)}\"\n", True),
    "comment and newline": ('x = f"{1 # c\n}"\n', True),
    "newline in a single-quoted field": ('x = f"{a +\n b}"\n', True),
    "nested same quotes": ('x = f"{f"{y}"}"\n', True),
    "type statement": ("type X = int\n", True),
    "generic def": ("def f[T](x: T) -> T:\n    return x\n", True),
    "nested format spec": ('x = f"{a!r:>{w}}"\n', False),
    "quote inside a triple-quoted f-string": ('x = f"""{d["k"]}"""\n', False),
    "concatenated, different quotes": ("x = f'{a}' f\"{b['k']}\"\n", False),
    "nested other quotes": ("x = f\"{f'{y}'}\"\n", False),
    "a dict in a field": ('x = f"{ {1: 2}[1] }"\n', False),
    "multi-line triple-quoted": ('x = f"""\n{a\n + b}\n"""\n', False),
}
_SCRIPT = """
import json, sys
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.target import Target
cases = json.loads(sys.stdin.read())
out = {}
for name, source in cases.items():
    facts = parse_facts(("import a\\n" + source).encode(), Target(3, 11))
    out[name] = [facts.syntax_error is None, [(n.line, n.code) for n in facts.notes],
                 [f.module for f in facts.imports]]
print(json.dumps(out))
"""


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_the_ast_tree_of_a_newer_python_is_checked_too(version: str) -> None:
    python = python_or_skip(version)
    # jobpack's parser needs only `packaging` besides the standard library (pure Python).
    path = os.pathsep.join([str(Path(jobpack.__file__).parent.parent),
                            str(Path(packaging.__file__).parent.parent)])
    run = subprocess.run([str(python), "-c", _SCRIPT], env={**os.environ, "PYTHONPATH": path},
                         input=json.dumps({k: v[0] for k, v in CASES.items()}),
                         capture_output=True, text=True, check=True, timeout=120)
    results = json.loads(run.stdout)
    for name, (_, newer) in CASES.items():
        parsed, notes, imports = results[name]
        assert parsed and imports == ["a"], name
        expected = [[2, "syntax-newer-than-target"]] if newer else []
        assert notes == expected, name
