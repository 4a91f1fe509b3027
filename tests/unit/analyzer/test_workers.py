"""A parse worker that dies costs only its file: real processes, real signals."""

from __future__ import annotations

import os
import signal
import threading
import time

from jobpack.analyzer.facts.model import FileFacts, FileNote, ImportFact
from jobpack.analyzer.facts.workers import WorkerPool
from jobpack.publish import usable_cores
from jobpack.target import Target

TARGET = Target(3, 11)


def _parse(source: bytes, target: Target) -> FileFacts:
    """Stands in for the parser: files say how to misbehave."""
    if source.startswith(b"SEGV"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if source.startswith(b"KILL"):
        os.kill(os.getpid(), signal.SIGKILL)
    if source.startswith(b"EXIT"):
        os._exit(3)
    if source.startswith(b"RAISE"):
        raise RecursionError("too deep for a worker")
    if source.startswith(b"BIG"):  # an answer bigger than a pipe holds
        return FileFacts(imports=(ImportFact("big", 1),), bindings="x" * 2_000_000)
    return FileFacts(imports=(ImportFact(source.decode(), 1),))


def _retry(source: bytes) -> FileFacts:
    return FileFacts(notes=(FileNote(1, "retried", source.decode()),))


def test_a_dying_worker_costs_only_its_file() -> None:
    sources = [f"m{i}".encode() for i in range(60)]
    sources[5], sources[17], sources[30], sources[44] = b"SEGV", b"KILL", b"EXIT", b"RAISE"
    pool = WorkerPool(TARGET, 2, _parse, _retry)
    try:
        results = pool.parse(sources)
        again = pool.parse([b"after"])  # the pool is still usable
    finally:
        pool.close()
    assert len(results) == 60
    for index, facts in enumerate(results):
        if index in (5, 17):
            assert facts.syntax_error is not None
            assert "crashed" in facts.syntax_error.message
            assert ("SIGSEGV" if index == 5 else "SIGKILL") in facts.syntax_error.message
        elif index in (30, 44):
            assert facts.notes[0].code == "retried"  # exit or exception: retried in-process
        else:
            assert facts.imports[0].module == f"m{index}"
    assert pool.crashes == 3
    assert again[0].imports[0].module == "after"


def test_results_keep_the_order_of_the_sources() -> None:
    sources = [f"file{i}".encode() for i in range(200)]
    pool = WorkerPool(TARGET, 2, _parse, _retry)
    try:
        results = pool.parse(sources)
    finally:
        pool.close()
    assert [r.imports[0].module for r in results] == [f"file{i}" for i in range(200)]


def test_a_huge_worker_count_is_capped_by_the_usable_cores() -> None:
    pool = WorkerPool(TARGET, 300, _parse, _retry)  # JOBPACK_WORKERS=300
    try:
        assert pool.size == usable_cores()
        pool.parse([b"import os\n"] * 40)
        assert len(pool.workers) <= usable_cores()
    finally:
        pool.close()


def test_submitted_sources_are_parsed_while_the_caller_goes_on() -> None:
    pool = WorkerPool(TARGET, 2, _parse, _retry)
    try:
        tickets = pool.submit([f"s{i}".encode() for i in range(50)], urgent=False)
        assert pool.workers  # started at once, before anyone waits
        done: dict[int, FileFacts] = {}
        deadline = time.monotonic() + 60
        while len(done) < 50 and time.monotonic() < deadline:
            done |= pool.collect()  # never waits
            time.sleep(0.01)
    finally:
        pool.close()
    assert [done[t].imports[0].module for t in tickets] == [f"s{i}" for i in range(50)]


def test_waiting_for_any_of_several_returns_once_one_is_done() -> None:
    pool = WorkerPool(TARGET, 1, _parse, _retry)
    try:
        tickets = pool.submit([f"s{i}".encode() for i in range(400)], urgent=False)
        pool.hurry(tickets[-1:])  # asked for now: ahead of the 399 queued before it
        done = pool.collect(tickets[-1:], any_of=True)
        rest = pool.collect(tickets)
    finally:
        pool.close()
    assert tickets[-1] in done
    assert len(done) < 100
    assert len(done) + len(rest) == 400


def test_big_answers_do_not_deadlock_a_worker_that_holds_a_backlog() -> None:
    """The main process sends a worker its next files before reading its answers; the
    worker reads them while it is blocked sending an answer bigger than the pipe holds."""
    sources = [b"BIG" + b"#" * 2_000_000 for _ in range(12)]
    results: list[FileFacts] = []
    pool = WorkerPool(TARGET, 2, _parse, _retry)
    thread = threading.Thread(target=lambda: results.extend(pool.parse(sources)),
                              daemon=True)
    thread.start()
    thread.join(timeout=120)
    hung = thread.is_alive()
    if not hung:
        pool.close()
    assert not hung
    assert [r.imports[0].module for r in results] == ["big"] * 12
