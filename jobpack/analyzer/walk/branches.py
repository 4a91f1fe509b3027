"""The job's own functions that only an undecidable branch calls (issue #20).

The job's own code is wholly reachable: every import in every one of its functions is
pinned. But where the job's code names a function only inside a module-level `if` whose
test the rule cannot decide (`elif init_from.startswith('gpt2'): model =
GPT.from_pretrained(...)` in nanoGPT's train.py, chosen by a command-line or config
value), the imports inside that function run only on that path. They stay pinned, in the
*optional* tier: the runner installs such a distribution the first time the job imports
it (`docs/reachability.md`, "Tiers"), so the path that takes the branch still works.

Read from the job's own files only (entry points and local modules: few and small), with
the running interpreter's `ast`: a file it cannot read (newer syntax, a notebook) turns
the rule off for the whole job, which keeps every import required. A name counts as
*branch-only* when every job file writes it only inside such branches: anywhere else
(module level, any function body, a decided branch, `if __name__ == "__main__":`) makes
it run for sure, as far as the rule can tell.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from jobpack.analyzer.facts.conditions import evaluate, is_main_test, is_type_checking
from jobpack.analyzer.facts.names import split_names
from jobpack.analyzer.facts.parse_ast import to_cond
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.walk.reach import is_dunder
from jobpack.target import Target

Span = tuple[int, int, bool]  # first line, last line, shares the header's line (never)
_HALVES = re.compile(r"=?>")  # `:Cls>:name` (an instance), `pkg:name=>other` (re-export)


def branch_spans(body: Iterable[ast.stmt], target: Target) -> list[Span]:
    """The line spans of the module-level branches whose test the rule cannot decide.
    A decided test's running branch and a `__main__` guard's body are searched deeper."""
    spans: list[Span] = []
    for node in body:
        if not isinstance(node, ast.If):
            continue
        test = to_cond(node.test)
        if is_main_test(test):
            spans += branch_spans(node.body, target) + branch_spans(node.orelse, target)
            continue
        truth = None if is_type_checking(test) else evaluate(test, target)
        for branch, runs in ((node.body, truth), (node.orelse, None if truth is None
                                                  else not truth)):
            if runs:
                spans += branch_spans(branch, target)
            elif branch:
                spans.append((branch[0].lineno, branch[-1].end_lineno or branch[-1].lineno,
                              False))
    return spans


def _attributes(tokens: Iterable[str], own: frozenset[str]) -> set[str]:
    """The names tokens may call in the job's own code: bare (`model.from_pretrained` on
    an unknown object), the file's own (`:GPT`) or qualified by a job module
    (`model:GPT`); not `transformers:from_pretrained`. `:GPT>:model` (an instance kept
    in a variable) is both halves."""
    found: set[str] = set()
    for token in tokens:
        for half in _HALVES.split(token):
            if "/" in half:  # exact: `/GPT` (its own), `model/GPT.from_pretrained`, `.m/f`
                module, _, path = half.rstrip("@!").partition("/")
                if not module or module.startswith(".") or module.partition(".")[0] in own:
                    found.update(path.split("."))
                continue
            package, _, name = half.rstrip("!").rpartition(":")
            if name and (not package or package in own):
                found.add(name)
    return found


def branch_only_names(files: Iterable[Path], target: Target,
                      own: frozenset[str] = frozenset()) -> frozenset[str]:
    """Names the job's files (whose top-level modules are `own`) write only inside
    undecidable module-level branches."""
    inside: set[str] = set()
    outside: set[str] = set()
    for file in files:
        try:
            source = file.read_bytes()
            tree = ast.parse(source, str(file))
        except (OSError, SyntaxError, ValueError):
            return frozenset()  # unreadable here: every import stays required
        spans = branch_spans(tree.body, target)
        module, per_span = split_names(source, spans)
        outside |= _attributes(module.split(), own)
        for names in per_span:
            inside |= _attributes(names.split(), own)
    return frozenset(inside - outside)


def mark_branch_only(graph: ImportGraph, local_files: Mapping[str, Path],
                     target: Target) -> None:
    """Make optional each import inside a job function only a branch-only name calls."""
    own = [m.name for m in graph.modules_view.values() if m.kind in ("entry", "local")]
    lazy = [(importer, imported, site) for importer in own
            for imported in graph.find_modules_directly_imported_by(importer)
            for site in graph.get_import_sites(importer, imported)
            if site.function and not site.optional]
    if not lazy:
        return
    if any(file.suffix not in (".py", ".pyi") for file in local_files.values()):
        return  # a notebook or a compiled module: names the rule does not read
    # the job's top-level modules: local ones by module name (`sks` of `src/sks/...`),
    # scripts by file name (`train` of `train.py`)
    tops = frozenset({name.partition(".")[0] for name in own}
                     | {Path(rel).parts[0].removesuffix(".py") for rel in local_files})
    names = branch_only_names(local_files.values(), target, tops)
    for importer, imported, site in lazy:
        called = site.function.rpartition(".")[2]
        if called in names and not is_dunder(called):
            graph.replace_site(importer, imported, site,
                               replace(site, optional=True, branch=True))
