"""Syntax newer than the target, looked for in the libcst tree (syntax the running Python
refused); the words and versions are `syntax_version`'s."""

from __future__ import annotations

from typing import Any

import libcst as cst

from jobpack.analyzer.facts.collector import Collector
from jobpack.analyzer.facts.syntax_version import (
    BARE_EXCEPT_TUPLE,
    EXCEPT_STAR,
    FSTRING,
    MATCH,
    STAR_ANNOTATION,
    STAR_SUBSCRIPT,
    TEMPLATE,
    TYPE_ALIAS,
    TYPE_PARAMS,
    Feature,
    Reporter,
    fstring_uses_pep701,
    python2_message,
)
from jobpack.diagnostics import SYNTAX_ERROR
from jobpack.target import Target


class CstChecker:
    """A `check` for `parse_cst.facts_from_cst`. `newest` tells afterwards whether the
    file needed libcst at all: if nothing in it is newer than the running Python, the
    running Python's refusal was a real syntax error that libcst let through."""

    def __init__(self, target: Target, module: cst.Module) -> None:
        self.reporter = Reporter(target)
        self.module = module

    @property
    def newest(self) -> tuple[int, int]:
        return self.reporter.newest

    def __call__(self, node: Any, out: Collector[Any]) -> None:
        if isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler):
            _cst_handler(node, out, self.reporter)
            return
        feature = _cst_feature(node, self.module)
        if feature is not None:
            self.reporter.report(out, node, feature)


def _cst_feature(node: Any, module: cst.Module) -> Feature | None:
    if isinstance(node, cst.Match):
        return MATCH
    if isinstance(node, cst.TryStar):
        return EXCEPT_STAR
    if isinstance(node, cst.TypeAlias):
        return TYPE_ALIAS
    if isinstance(node, cst.TemplatedString):
        return TEMPLATE
    if isinstance(node, cst.FunctionDef | cst.ClassDef) and node.type_parameters is not None:
        return TYPE_PARAMS
    if isinstance(node, cst.FunctionDef):
        star = node.params.star_arg
        if isinstance(star, cst.Param) and star.annotation is not None \
                and isinstance(star.annotation.annotation, cst.StarredElement):
            return STAR_ANNOTATION
    if isinstance(node, cst.Subscript) and any(
            isinstance(e.slice, cst.Index) and e.slice.star for e in node.slice):
        return STAR_SUBSCRIPT
    if isinstance(node, cst.FormattedString) and fstring_uses_pep701(module.code_for_node(node)):
        return FSTRING
    return None


def _cst_handler(node: cst.ExceptHandler | cst.ExceptStarHandler, out: Collector[Any],
                 reporter: Reporter) -> None:
    kind = node.type
    if not isinstance(kind, cst.Tuple) or kind.lpar:
        return
    last = kind.elements[-1].value
    if len(kind.elements) == 2 and isinstance(last, cst.Name) and last.value[:1].islower() \
            and reporter.version < BARE_EXCEPT_TUPLE[1]:
        reporter.newest = max(reporter.newest, BARE_EXCEPT_TUPLE[1])
        out.add_note(node, SYNTAX_ERROR, python2_message(
            f"`except X, {last.value}:`", reporter.target, f"write `except X as {last.value}:`"))
        return
    reporter.report(out, node, BARE_EXCEPT_TUPLE)
