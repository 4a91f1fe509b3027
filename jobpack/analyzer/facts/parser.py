"""Read one source file into `FileFacts`: the running interpreter's `ast` when it accepts
the file (C speed), libcst when it does not (syntax newer than the running Python).

Nothing is executed. A file CPython itself refuses (more than 200 nested parentheses, an
undecodable byte, a null byte) is one `syntax-error` at its line; syntax newer than the
target is a `syntax-newer-than-target` note from either tree (`syntax_version`).
"""

from __future__ import annotations

import ast
import gc
import io
import re
import sys
import threading
import tokenize
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from jobpack.analyzer.facts.model import FileFacts, FileNote
from jobpack.analyzer.facts.parse_ast import ALIASED_IMPORTER, facts_from_ast
from jobpack.analyzer.facts.syntax_version import ast_checker, python2_note
from jobpack.diagnostics import SYNTAX_ERROR, suppressed_codes
from jobpack.target import Target

T = TypeVar("T")
BIG_STACK = 512 * 1024 * 1024  # virtual: only the pages a deep parse touches are used
RAISED_RECURSION_LIMIT = 50_000
MAX_CST_NESTING = 5_000  # deeper brackets: CPython refuses anyway (its limit is 200)
_REFUSALS = ("too many nested parentheses", "too many levels of indentation",
             "too many statically nested blocks", "too complex", "(unicode error)",
             "encoding problem", "unknown encoding", "null bytes", "unexpected EOF")
_BRACKETS = re.compile(rb"[^()\[\]{}]+")
_SUPPRESSION_HINT = b"jobpack:"  # cheap test before tokenizing for comments


# what the interpreter reads as a line break besides LF and CRLF: line numbers stay the same
_LONE_CR = re.compile(rb"\r(?!\n)")


def parse_facts(source: bytes, target: Target) -> FileFacts:
    """The import facts of `source`; a file that does not parse yields `syntax_error`."""
    if b"\r" in source:  # a line ended by a lone CR (classic Mac OS) ends a line for Python
        source = _LONE_CR.sub(b"\n", source)
    facts = _parse_collected(source, target)
    if _SUPPRESSION_HINT in source and facts.syntax_error is None:
        facts = replace(facts, suppressions=suppressions(source))
    return facts


def suppressions(source: bytes) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The `# jobpack: ignore[code]` comments of `source`, by line (real comments only:
    the same text inside a string silences nothing)."""
    found: list[tuple[int, tuple[str, ...]]] = []
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT and (codes := suppressed_codes(token.string)):
                found.append((token.start[0], tuple(sorted(codes))))
    except (tokenize.TokenError, SyntaxError):
        return ()  # it parsed, so this is rare; nothing is silenced then
    return tuple(found)


def _parse_collected(source: bytes, target: Target) -> FileFacts:
    collecting = gc.isenabled()
    # A syntax tree has no reference cycles; the cycle collector would only walk the
    # hundreds of thousands of nodes `ast` allocates, again and again (about 20%).
    gc.disable()
    try:
        return _parse(source, target)
    except RecursionError:
        try:
            return run_with_big_stack(lambda: _parse(source, target))
        except RecursionError:
            return _error(1, "nested too deeply to analyse")
    finally:
        if collecting:
            gc.enable()


def run_with_big_stack(func: Callable[[], T]) -> T:
    """`func()` in a thread with a large stack and a raised recursion limit, for trees
    deeper than the main thread's stack allows (the caller waits for it)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous, RAISED_RECURSION_LIMIT))
        try:
            results.append(func())
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)
        finally:
            sys.setrecursionlimit(previous)

    size = threading.stack_size(BIG_STACK)
    try:
        thread = threading.Thread(target=run, name="jobpack-deep-parse", daemon=True)
        thread.start()
    finally:
        threading.stack_size(size)
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def _parse(source: bytes, target: Target) -> FileFacts:
    if b"\0" in source:
        line = source.count(b"\n", 0, source.index(b"\0")) + 1
        return _error(line, "source code cannot contain null bytes")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return _fallback(source, target, exc)
    except (ValueError, RecursionError, MemoryError) as exc:
        # CPython's own parser gave up (too deep for it): the target would refuse it too.
        return _error(1, f"CPython cannot parse this file: {_one_line(exc)}")
    older = (target.major, target.minor) < sys.version_info[:2]
    # Only a target older than the running Python can lack syntax its `ast` accepted.
    check = ast_checker(target, source) if older else None
    full = older or ALIASED_IMPORTER.search(source) is not None
    return facts_from_ast(tree, target, source, full=full, check=check)


def _fallback(source: bytes, target: Target, exc: SyntaxError) -> FileFacts:
    """`ast` refused the file: newer syntax (libcst reads it), or a real error."""
    message = exc.msg or "invalid syntax"
    if any(refusal in message for refusal in _REFUSALS):
        return FileFacts(syntax_error=_refusal(source, exc, message))
    facts = None
    if _nesting(source) <= MAX_CST_NESTING:
        facts = run_with_big_stack(lambda: _facts_with_libcst(source, target))
    if facts is not None:
        return facts
    note = python2_note(exc, target) or FileNote.of(SYNTAX_ERROR, exc.lineno or 1, message)
    return FileFacts(syntax_error=note)


def _facts_with_libcst(source: bytes, target: Target) -> FileFacts | None:
    import libcst as cst

    from jobpack.analyzer.facts.parse_cst import facts_from_cst
    from jobpack.analyzer.facts.syntax_cst import CstChecker

    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, UnicodeError, LookupError, SyntaxError, ValueError):
        return None
    except BaseException as exc:
        # libcst's native parser reports some inputs with a Rust panic (a BaseException).
        if type(exc).__name__ != "PanicException":
            raise
        return None
    check = CstChecker(target, module)
    facts = facts_from_cst(module, target, deep=True, check=check, source=source)
    # Nothing newer than the running Python: its refusal was a real error.
    return facts if check.newest > sys.version_info[:2] else None


def _nesting(source: bytes) -> int:
    """The deepest bracket nesting, counting brackets in strings too (an upper bound)."""
    depth = deepest = 0
    for char in _BRACKETS.sub(b"", source):
        if char in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _refusal(source: bytes, exc: SyntaxError, message: str) -> FileNote:
    line = exc.lineno or 1
    if "unicode error" in message or "decode" in message:
        line = _undecodable_line(source) or line
    return FileNote.of(SYNTAX_ERROR, line, message)


def _undecodable_line(source: bytes) -> int | None:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except UnicodeDecodeError as error:
        return source.count(b"\n", 0, error.start) + 1
    except (SyntaxError, LookupError):
        return None
    return None


def _error(line: int, message: str) -> FileFacts:
    return FileFacts(syntax_error=FileNote.of(SYNTAX_ERROR, line, message))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
