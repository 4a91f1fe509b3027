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
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from jobpack.analyzer.facts.model import FileFacts, FileNote
from jobpack.diagnostics import SYNTAX_ERROR
from jobpack.publish import die_with_parent, usable_cores
from jobpack.target import Target

ParseFn = Callable[[bytes, Target], FileFacts]
BACKLOG = 4  # files a worker may hold: what it parses while no one reads its answers
_FAILED = "failed"


def _serve(conn: Connection, target: Target, parse: ParseFn, parent: int) -> None:
    die_with_parent(parent)  # a killed jobpack leaves no parser behind
    faulthandler.disable()  # a crash is reported by the main process, as one diagnostic
    # A thread reads what is sent while this one parses, so the main process, which
    # sends the next batch before this one is done, never blocks on a full pipe while
    # this worker is blocked sending it answers.
    inbox: queue.SimpleQueue[list[tuple[int, bytes]] | None] = queue.SimpleQueue()
    threading.Thread(target=_read, args=(conn, inbox), daemon=True).start()
    while True:
        batch = inbox.get()
        if batch is None:
            return
        for index, source in batch:
            try:
                conn.send((index, parse(source, target)))
            except Exception:  # the main process retries this file itself
                conn.send((index, _FAILED))


def _read(conn: Connection, inbox: queue.SimpleQueue[list[tuple[int, bytes]] | None]
          ) -> None:
    while True:
        try:
            batch: list[tuple[int, bytes]] | None = conn.recv()
        except (EOFError, OSError):
            batch = None
        inbox.put(batch)
        if batch is None:
            return


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
    """Parse sources in up to `workers` processes, started on first use and kept.

    `submit` hands sources over and returns at once (a ticket each), so the walker can go
    on visiting while the workers parse what it will visit next; `collect` takes what is
    done, waiting for the tickets it is asked for. `parse` is both at once."""

    def __init__(self, target: Target, workers: int, parse: ParseFn,
                 retry: Callable[[bytes], FileFacts]) -> None:
        # never more processes than cores: JOBPACK_WORKERS=300 would fork 300 of them
        self.size = max(1, min(workers, usable_cores()))
        self.target, self.parse_fn, self.retry = target, parse, retry
        self.workers: list[_Worker] = []
        self.crashes = 0  # workers lost so far (tests and benchmarks read it)
        self._queue: deque[int] = deque()  # tickets no worker holds yet
        self._sources: dict[int, bytes] = {}  # each ticket's source, until it is done
        self._done: dict[int, FileFacts] = {}  # finished, not yet collected
        self._next = 0

    def parse(self, sources: list[bytes]) -> list[FileFacts]:
        tickets = self.submit(sources)
        done = self.collect(tickets)
        return [done[ticket] for ticket in tickets]

    def submit(self, sources: list[bytes], urgent: bool = True) -> list[int]:
        """Queue `sources` for the workers (they start on them at once); their tickets.
        `urgent` ones go before those queued already (someone is about to wait for them)."""
        tickets = list(range(self._next, self._next + len(sources)))
        self._next += len(sources)
        self._sources.update(zip(tickets, sources, strict=True))
        if urgent:
            self._queue.extendleft(reversed(tickets))
        else:
            self._queue.extend(tickets)
        while len(self.workers) < min(self.size, len(self._sources)):
            self.workers.append(_Worker(self.target, self.parse_fn))
        self._feed_idle()
        return tickets

    def collect(self, wanted: Iterable[int] = (), *, any_of: bool = False
                ) -> dict[int, FileFacts]:
        """What has finished since the last call, by ticket; waits until every ticket in
        `wanted` has (`any_of`: one of them; none: only what is ready now). A ticket
        collected before is not waited for again."""
        missing = {ticket for ticket in wanted
                   if ticket in self._sources or ticket in self._done}
        self._gather(block=False)
        while missing and (missing.isdisjoint(self._done) if any_of
                           else missing - self._done.keys()):
            self._gather(block=True)
        done, self._done = self._done, {}
        return done

    def hurry(self, tickets: Iterable[int]) -> None:
        """Move `tickets` that no worker holds yet to the front of the queue."""
        wanted = set(tickets).intersection(self._queue)
        if wanted:
            self._queue = deque([*(t for t in self._queue if t in wanted),
                                 *(t for t in self._queue if t not in wanted)])

    def _gather(self, block: bool) -> None:
        busy = [w for w in self.workers if w.held]
        if busy:
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                         timeout=None if block else 0)
            for worker in busy:
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._collect(worker)
        self._feed_idle()

    def _feed_idle(self) -> None:
        # a worker is sent its next batch before it is done with this one, so it does
        # not wait for the main process to read its answers (which waits when it walks)
        batch = max(1, min(16, len(self._queue) // (self.size * 4)))
        for worker in list(self.workers):
            while len(worker.held) < BACKLOG and self._queue:
                self._feed(worker, batch)

    def _feed(self, worker: _Worker, batch: int) -> None:
        chunk = [self._queue.popleft() for _ in range(min(batch, len(self._queue)))]
        if not worker.process.is_alive():  # died while idle: nothing of ours was on it
            worker.conn.close()
            worker = self.workers[self.workers.index(worker)] = _Worker(self.target,
                                                                        self.parse_fn)
        worker.held.extend(chunk)
        worker.conn.send([(ticket, self._sources[ticket]) for ticket in chunk])

    def _finish(self, ticket: int, facts: FileFacts) -> None:
        self._done[ticket] = facts
        del self._sources[ticket]

    def _collect(self, worker: _Worker) -> None:
        try:
            while worker.held and worker.conn.poll():
                ticket, facts = worker.conn.recv()
                worker.held.remove(ticket)
                self._finish(ticket, self.retry(self._sources[ticket])
                             if isinstance(facts, str) else facts)
            if not worker.held or worker.process.is_alive():
                return
        except (EOFError, OSError):
            pass
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """The worker died: its current file is settled here, the rest go to a new one."""
        worker.process.join()
        code = worker.process.exitcode or 0
        culprit = worker.held.popleft()
        self.crashes += 1
        self._finish(culprit, _crash_note(-code) if code < 0
                     else self.retry(self._sources[culprit]))
        leftover = list(worker.held)
        worker.held.clear()
        worker.conn.close()
        fresh = _Worker(self.target, self.parse_fn)
        self.workers[self.workers.index(worker)] = fresh
        if leftover:
            fresh.held.extend(leftover)
            fresh.conn.send([(ticket, self._sources[ticket]) for ticket in leftover])

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
