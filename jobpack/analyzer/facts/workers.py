"""Parse many files in worker processes, where a worker that dies costs only its file.

Each worker answers file by file, so when one dies (a signal, an exit, an exception it
could not report) the file it was on is known: that file is retried here in-process on a
thread with a large stack (when the worker raised) or reported as one `syntax-error`
(when a signal killed it, which an in-process retry would repeat on jobpack itself); the
other files it held go back to the queue and a fresh worker takes over. No
`BrokenProcessPool`, no traceback, no hang.
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from jobpack.analyzer.facts.model import FileFacts, FileNote
from jobpack.diagnostics import SYNTAX_ERROR
from jobpack.publish import die_with_parent, usable_cores
from jobpack.target import Target

ParseFn = Callable[[bytes, Target], FileFacts]
_FAILED = "failed"


def _serve(conn: Connection, target: Target, parse: ParseFn, parent: int) -> None:
    die_with_parent(parent)  # a killed jobpack leaves no parser behind
    faulthandler.disable()  # a crash is reported by the main process, as one diagnostic
    while True:
        batch: list[tuple[int, bytes]] | None = conn.recv()
        if batch is None:
            return
        for index, source in batch:
            try:
                conn.send((index, parse(source, target)))
            except Exception:  # the main process retries this file itself
                conn.send((index, _FAILED))


class _Worker:
    def __init__(self, target: Target, parse: ParseFn) -> None:
        # fork is cheap and inherits the imported parser (jobpack's workers run on Linux).
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, target, parse, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.held: deque[int] = deque()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class WorkerPool:
    """`parse(sources)` in up to `workers` processes, started on first use and kept."""

    def __init__(self, target: Target, workers: int, parse: ParseFn,
                 retry: Callable[[bytes], FileFacts]) -> None:
        # never more processes than cores: JOBPACK_WORKERS=300 would fork 300 of them
        self.size = max(1, min(workers, usable_cores()))
        self.target, self.parse_fn, self.retry = target, parse, retry
        self.workers: list[_Worker] = []
        self.crashes = 0  # workers lost so far (tests and benchmarks read it)

    def parse(self, sources: list[bytes]) -> list[FileFacts]:
        results: list[FileFacts | None] = [None] * len(sources)
        queue = deque(range(len(sources)))
        batch = max(1, min(16, len(sources) // (self.size * 4)))
        while len(self.workers) < min(self.size, len(sources)):
            self.workers.append(_Worker(self.target, self.parse_fn))
        for worker in self.workers:
            self._feed(worker, queue, sources, batch)
        while any(w.held for w in self.workers):
            busy = [w for w in self.workers if w.held]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._collect(worker, results, sources)
            for worker in list(self.workers):
                if not worker.held:
                    self._feed(worker, queue, sources, batch)
        assert all(facts is not None for facts in results)
        return [facts for facts in results if facts is not None]

    def _feed(self, worker: _Worker, queue: deque[int], sources: list[bytes],
              batch: int) -> None:
        chunk = [queue.popleft() for _ in range(min(batch, len(queue)))]
        if not chunk:
            return
        if not worker.process.is_alive():  # died while idle: nothing of ours was on it
            worker.conn.close()
            worker = self.workers[self.workers.index(worker)] = _Worker(self.target,
                                                                        self.parse_fn)
        worker.held.extend(chunk)
        worker.conn.send([(index, sources[index]) for index in chunk])

    def _collect(self, worker: _Worker, results: list[FileFacts | None],
                 sources: list[bytes]) -> None:
        try:
            while worker.held and worker.conn.poll():
                index, facts = worker.conn.recv()
                worker.held.remove(index)
                results[index] = self.retry(sources[index]) if isinstance(facts, str) else facts
            if not worker.held or worker.process.is_alive():
                return
        except (EOFError, OSError):
            pass
        self._replace(worker, results, sources)

    def _replace(self, worker: _Worker, results: list[FileFacts | None],
                 sources: list[bytes]) -> None:
        """The worker died: its current file is settled here, the rest go to a new one."""
        worker.process.join()
        code = worker.process.exitcode or 0
        culprit = worker.held.popleft()
        self.crashes += 1
        if code < 0:
            results[culprit] = _crash_note(-code)
        else:
            results[culprit] = self.retry(sources[culprit])
        leftover = list(worker.held)
        worker.held.clear()
        worker.conn.close()
        fresh = _Worker(self.target, self.parse_fn)
        self.workers[self.workers.index(worker)] = fresh
        if leftover:
            fresh.held.extend(leftover)
            fresh.conn.send([(index, sources[index]) for index in leftover])

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []


def _crash_note(signum: int) -> FileFacts:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return FileFacts(syntax_error=FileNote.of(
        SYNTAX_ERROR, 1, f"the parser crashed on this file ({name}); jobpack cannot read "
        "its imports"))
