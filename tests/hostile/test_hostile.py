"""Every hostile input of issue #10: one clear line, no traceback, no hang, no signal
death, a failing exit where the input is wrong, and nothing of the user's changed."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.hostile.cases import ALL as FIRST
from tests.hostile.cases_faults import FAULT_CASES
from tests.hostile.harness import NONZERO, Case, command, fill, make_files, run, snapshot

ALL = FIRST + FAULT_CASES


def test_there_are_at_least_a_hundred_cases_with_unique_names() -> None:
    names = [case.id for case in ALL]
    assert len(names) >= 140
    assert len(set(names)) == len(names)


def _params() -> list[object]:
    return [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=False,
            reason=case.xfail)] if case.xfail else []) for case in ALL]


@pytest.mark.parametrize("case", _params())
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    job, out = tmp_path / "job", tmp_path / "out"
    job.mkdir()
    out.mkdir()
    fill_in = functools.partial(_fill, job=job, out=out, tmp=tmp_path)
    make_files(job, case.files, fill_in)
    env = {k: fill_in(v) for k, v in case.env.items()}
    cwd = Path(fill_in(case.cwd))
    for step in case.setup:
        done = run(command(step, job, out, tmp_path), job, env)
        assert done.returncode == 0, f"setup {step} failed:\n{done.stdout}\n{done.stderr}"
    before = snapshot(job)
    result = run(command(case.argv, job, out, tmp_path), cwd, env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    if case.exit == NONZERO:
        assert result.returncode > 0, output
        assert output.strip(), "a failure must say why"
    else:
        assert result.returncode == case.exit, output
    for fragment in case.fragments:
        assert fill_in(fragment) in output, output
    for fragment in case.absent:
        assert fill_in(fragment) not in output, output
    after = snapshot(job)
    changed = [name for name, state in before.items()
               if after.get(name) != state and name not in case.writes]
    assert changed == [], f"the user's files changed: {changed}"
    if case.check is not None:
        case.check(job, out)


def _fill(text: str, *, job: Path, out: Path, tmp: Path) -> str:
    return fill(text, job, out, tmp)
