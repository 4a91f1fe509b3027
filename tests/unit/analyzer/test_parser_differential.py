"""Differential test: both parsers give identical `FileFacts` on a large real corpus.

The corpus is the standard library of the running Python, the site-packages of the test
environment and this project, compared on one process per core (libcst reads about 20x
slower than `ast`). Every file of this project is compared, and a deterministic sample of
one file in 3 of the others (about 1,500 here; the whole 4,459 take 11 minutes of CPU,
a quarter of CI's budget): `JOBPACK_DIFFERENTIAL_SAMPLE=1` compares them all, `=N` one
in N. Files the running Python does not parse are
skipped (the libcst path owns those).
"""

from __future__ import annotations

import ast
import hashlib
import multiprocessing
import os
import site
import sysconfig
from dataclasses import asdict
from pathlib import Path

import libcst as cst
import pytest

import jobpack
from jobpack.analyzer.facts.model import FileFacts
from jobpack.analyzer.facts.parse_ast import ALIASED_IMPORTER, facts_from_ast
from jobpack.analyzer.facts.parse_cst import facts_from_cst
from jobpack.target import Target

RUNNING = Target(*__import__("sys").version_info[:2])
_PROJECT = Path(jobpack.__file__).resolve().parent.parent


def _corpus() -> list[tuple[str, Path]]:
    sample = int(os.environ.get("JOBPACK_DIFFERENTIAL_SAMPLE") or 3)
    roots = [("stdlib", Path(sysconfig.get_paths()["stdlib"])),
             *(("site-packages", Path(p)) for p in site.getsitepackages())]
    files: list[tuple[str, Path]] = []
    for label, root in roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if label == "stdlib" and rel.startswith("site-packages/"):
                continue
            digest = hashlib.sha256(rel.encode()).digest()[0]
            if digest % sample == 0:
                files.append((f"{label}/{rel}", path))
    for folder in ("jobpack", "tests", "benchmarks"):
        files += [(f"project/{p.relative_to(_PROJECT).as_posix()}", p)
                  for p in sorted((_PROJECT / folder).rglob("*.py"))]
    return files


def both(source: bytes, target: Target) -> tuple[FileFacts, FileFacts, FileFacts | None] | None:
    """(ast fast path, ast visiting everything, libcst) facts, or None if `ast` refuses;
    the libcst part is None where libcst cannot read what CPython accepts."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    # As `parse_facts` does on the fast path: pruned unless an aliased importer is there.
    fast = facts_from_ast(tree, target, source,
                          full=ALIASED_IMPORTER.search(source) is not None)
    full = facts_from_ast(tree, target, source, full=True)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return fast, full, None  # e.g. `(name): int`, which libcst 1.9 does not parse
    return fast, full, facts_from_cst(module, target, deep=True, source=source)


def _compare(item: tuple[str, Path]) -> tuple[str, str | None]:
    """("same" | "differs" | "unreadable" | "skipped", the difference) for one file."""
    name, path = item
    results = both(path.read_bytes(), RUNNING)
    if results is None:
        return "skipped", None
    fast, full, from_cst = results
    if from_cst is None:
        return "unreadable", None
    if fast == full == from_cst:
        return "same", None
    return "differs", (f"{name}:\n  ast fast {asdict(fast)}\n  ast full {asdict(full)}"
                       f"\n  libcst   {asdict(from_cst)}")


@pytest.mark.slow  # minutes of CPU (libcst over every file of the corpus); CI runs it
def test_both_parsers_agree_on_the_corpus() -> None:
    corpus = _corpus()
    assert len(corpus) > 300
    with multiprocessing.get_context("fork").Pool() as pool:
        outcomes = pool.map(_compare, corpus, chunksize=16)
    kinds = [kind for kind, _ in outcomes]
    compared = len(corpus) - kinds.count("skipped")
    differing = [text for kind, text in outcomes if kind == "differs"]
    unreadable = [name for (name, _), kind in zip(corpus, kinds, strict=True)
                  if kind == "unreadable"]
    assert compared > 250
    assert not differing, "\n".join(str(text) for text in differing[:5])
    # libcst's own gaps (files CPython reads that it does not) are rare and not ours:
    # the fast path reads those files.
    assert len(unreadable) <= max(3, compared // 100), unreadable


@pytest.mark.parametrize("source", [
    "x = {__import__('a'): __import__('b'), __import__('c'): 1}\n",
    "y = __import__('p') if c else __import__('q')\n",
    "@dec(__import__('a'))\ndef f(x=__import__('b')) -> __import__('c'):\n    import d\n",
    "class K(__import__('a').Base, metaclass=__import__('b').M):\n    import c\n",
    "f = lambda m=__import__('a'): __import__('b')\n",
    "from importlib import import_module as load\ndef g():\n    return load('late')\n",
    "import importlib.util\nimportlib.import_module('via_submodule_import')\n",
    "__all__ = ['a']\n__all__ += ('b',)\n__all__.extend(['c', *rest])\n__all__.append('d')\n",
    "__all__: list[str] = ['annotated']\n",
    "try:\n    import a\nexcept (ImportError, OSError):\n    import b\nelse:\n    import c\n",
    "if sys.version_info >= (3, 8) and (sys.platform == 'linux' or flag):\n    import a\n",
    "if TYPE_CHECKING and a and b and c and d and e and f and g and h and i:\n    import z\n",
    "x = (\n    importlib\n    .import_module('split')\n)\nimport importlib\n",
    "match cmd:\n    case 'go' if __import__('guard'):\n        import inside\n",
    "if True:\n    pass\nelif __import__('cond'):\n    import b\n",
    "from . import (\n    a,\n    b as c,\n)\nfrom .. import *\n",
    "def f():\n    x = __import__(name)\n    __import__('.rel')\n    import_module('.r', __package__)\n",
])
def test_both_parsers_agree_on_tricky_shapes(source: str) -> None:
    results = both(source.encode(), RUNNING)
    assert results is not None
    fast, full, from_cst = results
    assert from_cst is not None
    assert fast == full == from_cst


def test_a_long_concatenation_is_read_without_regenerating_its_text() -> None:
    # as pydoc_data/topics.py: libcst regenerates code one operand deeper each time
    source = ("topics = " + " + ".join(["'a'"] * 600) + "\n").encode()
    result = both(source, RUNNING)
    assert result is not None and result[2] is not None
    assert result[0] == result[1] == result[2]
