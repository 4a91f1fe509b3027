"""Run `func` over items on a few forked processes, each taking the next item when idle.

Installing wheels is inflating and writing files; on two cores, two processes halve it
where threads only fight over the GIL. Children are forked (Linux, the runner's home), so
nothing is pickled on the way in; each result comes back over a pipe. The first failure
stops everything: the children are terminated and the error is raised in the caller, who
removes the half-built environment.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypeVar

from jobpack.publish import die_with_parent, usable_cores

from .errors import RunnerError

T = TypeVar("T")
R = TypeVar("R")


def map_in_processes(func: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`[func(item) for item in items]`, on up to `workers` forked processes (in this one
    when `workers` < 2; never more than the usable cores). Items are handed out in order,
    so put the biggest first."""
    workers = min(workers, usable_cores())
    if workers < 2 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [func(item) for item in items]
    context = multiprocessing.get_context("fork")
    results: dict[int, R] = {}
    children: list[tuple[Any, Connection]] = []
    queue = list(range(len(items)))[::-1]
    busy: dict[Connection, int] = {}
    parent = os.getpid()
    try:
        for _ in range(min(workers, len(items))):
            mine, theirs = context.Pipe()
            child = context.Process(target=_serve, args=(theirs, func, items, parent), daemon=True)
            child.start()
            theirs.close()
            children.append((child, mine))
            busy[mine] = queue.pop()
            mine.send(busy[mine])
        while busy:
            for conn in wait(list(busy)):
                assert isinstance(conn, Connection)
                try:
                    ok, value = conn.recv()
                except EOFError:
                    raise RunnerError(f"a worker died while handling item {busy[conn]}"
                                      ) from None
                if not ok:
                    raise RunnerError(value)
                results[busy.pop(conn)] = value
                if queue:
                    busy[conn] = queue.pop()
                    conn.send(busy[conn])
    except BaseException:
        _stop(children, at_once=True)
        raise
    _stop(children, at_once=False)
    return [results[index] for index in range(len(items))]


def _serve(conn: Connection, func: Callable[[T], R], items: Sequence[T], parent: int
           ) -> None:
    # The parent handles Ctrl-C and SIGTERM and stops its children; a child just ends
    # (first thing: the parent may stop it while it is still starting).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A child holds the parent's descriptors (the environment's lock among them): killed
    # with SIGKILL, the parent could not stop it, and it would keep the lock for ever.
    die_with_parent(parent)
    while True:
        try:
            index = conn.recv()
        except EOFError:
            return
        if index is None:
            return
        try:
            conn.send((True, func(items[index])))
        except RunnerError as exc:
            conn.send((False, str(exc)))
        except Exception as exc:  # reported once, in the parent, as one line
            where = traceback.extract_tb(exc.__traceback__)[-1]
            conn.send((False, f"{type(exc).__name__}: {exc} ({Path(where.filename).name}"
                              f":{where.lineno})"))


def _stop(children: list[tuple[Any, Connection]], at_once: bool) -> None:
    """Let idle children end; with `at_once` (an error or an interruption), stop them
    mid-item: what they were writing is in a folder the caller removes."""
    for child, conn in children:
        if at_once:
            child.terminate()
        else:
            try:
                conn.send(None)
            except OSError:
                child.terminate()
    for child, conn in children:
        child.join()
        conn.close()
