"""A parse worker that dies costs only its file: real processes, real signals."""

from __future__ import annotations

import os
import signal

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
