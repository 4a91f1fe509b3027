"""Work handed to forked processes: results in order, one-line failures, no orphans."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest

from jobpack.runner.errors import RunnerError
from jobpack.runner.main import interrupt_in
from jobpack.runner.processes import map_in_processes


def _pid_and_square(item: int) -> tuple[int, int]:
    return os.getpid(), item * item


def test_results_come_back_in_the_items_order_from_several_processes() -> None:
    results = map_in_processes(_pid_and_square, list(range(12)), workers=2)
    assert [square for _, square in results] == [i * i for i in range(12)]
    pids = {pid for pid, _ in results}
    assert len(pids) == 2 and os.getpid() not in pids


def test_one_worker_runs_in_this_process() -> None:
    results = map_in_processes(_pid_and_square, [1, 2, 3], workers=1)
    assert results == [(os.getpid(), 1), (os.getpid(), 4), (os.getpid(), 9)]


def _fail_on_three(item: int) -> int:
    if item == 3:
        raise RunnerError("cannot install three.whl: broken")
    if item == 4:
        raise ValueError("not a number")
    return item


def test_a_runner_error_in_a_worker_is_raised_here_with_its_message() -> None:
    with pytest.raises(RunnerError, match=r"^cannot install three\.whl: broken$"):
        map_in_processes(_fail_on_three, [1, 2, 3], workers=2)


def test_another_exception_becomes_one_line_naming_where() -> None:
    with pytest.raises(RunnerError, match=r"^ValueError: not a number \(test_processes\.py:\d+\)$"):
        map_in_processes(_fail_on_three, [1, 4], workers=2)


def _die(item: int) -> int:
    if item == 2:
        os._exit(7)
    return item


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(RunnerError, match="a worker died while handling item 1"):
        map_in_processes(_die, [1, 2, 3, 4], workers=2)


def _wait_forever(ready: Any) -> None:
    ready.set()
    time.sleep(60)


def test_a_worker_stopped_before_it_sets_its_own_handler_ends_without_a_traceback(
        capfd: pytest.CaptureFixture[str]) -> None:
    """The runner's SIGTERM handler raises `Interrupted` in the runner; a worker forked
    from it, stopped while still inheriting that handler (another worker filled the
    disk), just ends by the signal: no `Interrupted` traceback in the job's output."""
    context = multiprocessing.get_context("fork")
    previous = signal.signal(signal.SIGTERM, interrupt_in(os.getpid()))
    try:
        ready = context.Event()
        child = context.Process(target=_wait_forever, args=(ready,))
        child.start()
        assert ready.wait(30)
        os.kill(child.pid or 0, signal.SIGTERM)
        child.join(30)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert child.exitcode == -signal.SIGTERM
    assert "Traceback" not in capfd.readouterr().err
