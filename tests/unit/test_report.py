"""The human renderings: grouping, progress on a terminal and when piped."""

from __future__ import annotations

import io

from rich.console import Console

from jobpack.manifest import Diagnostic
from jobpack.report import counting, group_diagnostics, progress_reporter


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def test_diagnostics_group_by_code_and_message_pattern() -> None:
    items = [Diagnostic("a.py", n, "optional-import-missing", f"'mod{n}' is optional", "info")
             for n in range(5)]
    items.append(Diagnostic("b.py", 1, "dynamic-import", "a name that is not a literal"))
    groups = group_diagnostics(items)
    assert [(d.code, count) for d, count in groups] == [
        ("optional-import-missing", 5), ("dynamic-import", 1)]


def test_piped_progress_prints_a_plain_line_per_step() -> None:
    console, out = _console(terminal=False)
    with progress_reporter(console) as progress:
        for done in range(1, 2501):
            progress("reading files", done, None)
    assert out.getvalue() == "reading files: 1000\nreading files: 2000\n"


def test_piped_wheel_progress_counts_each_wheel() -> None:
    console, out = _console(terminal=False)
    with progress_reporter(console, every=1) as progress:
        step = counting(progress, "fetching wheels", 2)
        step("numpy")
        step("pandas")
    assert out.getvalue() == "fetching wheels: 1/2\nfetching wheels: 2/2\n"


def test_a_terminal_gets_a_progress_bar() -> None:
    console, out = _console(terminal=True)
    with progress_reporter(console) as progress:
        progress("reading installed distributions", 40, 80)
        console.file.flush()
    assert "reading installed distributions" in out.getvalue()
    assert "\x1b[" in out.getvalue()  # drawn (and cleared) with terminal control codes


def test_quiet_prints_no_progress() -> None:
    console, out = _console(terminal=True)
    with progress_reporter(console, quiet=True) as progress:
        progress("reading files", 5000, None)
    assert out.getvalue() == ""
