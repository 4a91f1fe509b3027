"""Benchmark the analysis of a torch + transformers job (issue #20), cold and warm, and
a rebuild with `--wheels` after a one-line edit of the job (issue #23), with the cost of
merely importing torch and transformers timed in the same run as the yardstick (what any
tool that imports the job's libraries pays at least).

    python benchmarks/bench_analyze_torch.py                  # builds the tests' torch venv
    python benchmarks/bench_analyze_torch.py --python VENV/bin/python --runs 3
    python benchmarks/bench_analyze_torch.py --rebuild        # also `build --wheels`

The job is a copy of `tests/torchjobs/jobs/finetune/main.py` (torch, transformers'
Trainer, datasets, numpy), in a new folder each round, in the venv of
`tests/torchjobs/requirements.txt`. Cold: empty jobpack caches (facts, distribution index,
library-walk memo; the OS page cache is not dropped). Warm: the same caches again (the
library walk's memo does not depend on the project folder, so a new folder replays it).
Edited: warm, after a one-line edit of the job that moves every line below it
(a comment line put above a changed literal): the walk's memo is reused. Named: warm,
after an edit that makes the job call a torch function it did not name before
(`torch.special.erf`): the roots of the library walk change, so it walks again, reading
the distributions' facts tables (nothing is parsed). `--cache DIR` keeps one cache across
rounds and runs (no cold figure; after the first run, the named edit replays a memo).
With --rebuild: a first `jobpack build --wheels` (downloads the wheels once, not timed),
another one-line edit, the timed rebuild over the first archive, and a check that it has
the same bytes as an archive of the same code built with the memo off
(JOBPACK_WALK_MEMO=0). Each measurement
runs in a fresh interpreter (jobpack's bytecode compiled first, as installed): wall
seconds, the process' CPU seconds, and (`*_all_cpu_s`) those of its children too (the
parser's worker processes, the interpreter inspection).
Prints one line per round and writes JSON (--json-out). Standard library and jobpack only.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JOB = REPO / "tests" / "torchjobs" / "jobs" / "finetune" / "main.py"

_ANALYSE = textwrap.dedent("""
    import json, resource, sys, time
    start, cpu = time.perf_counter(), time.process_time()
    import jobpack
    entry, python, cache = sys.argv[1:4]
    analysis = jobpack.analyze([entry], python=python, cache_dir=cache)
    own = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": time.perf_counter() - start, "cpu": own,
                      "all_cpu": own + children.ru_utime + children.ru_stime,
                      "pins": len(analysis.manifest.requirements)}))
""")


def torch_python(given: str | None) -> str:
    if given:
        return given
    sys.path.insert(0, str(REPO))
    from tests.support.cached_venv import ensure_venv

    return str(ensure_venv("torch", REPO / "tests" / "torchjobs" / "requirements.txt"))


def analyse(python: str, cache: Path, job: Path = JOB) -> dict[str, float]:
    env = {**os.environ, "JOBPACK_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", _ANALYSE, str(job), python, str(cache)],
                         check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def fresh() -> int:
    """A number no earlier edit used: an edit the facts cache has seen before (a fixed
    number, with `--cache` kept between runs) would measure a cache hit, not an edit."""
    return time.time_ns()


def edit(job: Path, number: int) -> None:
    """A one-line edit: a changed literal, under a new comment line that moves it."""
    lines = job.read_text().splitlines(keepends=True)
    [at] = [n for n, line in enumerate(lines) if 'print("eval' in line]
    lines[at: at + 1] = [f"    # edit {number}\n",
                         f'    print("eval {number}", trainer.evaluate())\n']
    job.write_text("".join(lines))


def name_more(job: Path) -> None:
    """An edit that refers to a library function the job did not name before."""
    lines = job.read_text().splitlines(keepends=True)
    [at] = [n for n, line in enumerate(lines) if "torch.manual_seed(0)" in line]
    lines.insert(at + 1, "    print(torch.special.erf(torch.zeros(1)))\n")
    job.write_text("".join(lines))


def build(python: str, cache: Path, job: Path, out: Path, memo: bool = True,
          ) -> tuple[float, float, str]:
    """`jobpack build --wheels` of `job` into `out`: wall and CPU seconds, the archive's
    sha256."""
    env = {**os.environ, "JOBPACK_CACHE_DIR": str(cache),
           "JOBPACK_WALK_MEMO": "1" if memo else "0"}
    out.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jobpack", "build", job.name, "--wheels",
                    "--python", python, "-o", str(out)], cwd=job.parent, check=True,
                   capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    [archive] = out.glob("*.jobpack.zip")
    return wall, cpu, hashlib.sha256(archive.read_bytes()).hexdigest()


def import_seconds(python: str) -> tuple[float, float]:
    """`import torch, transformers` in a fresh `python`: wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([python, "-c", "import torch, transformers"], check=True,
                   capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def one_round(python: str, cache: Path | None = None, rebuild: bool = False,
              ) -> dict[str, float]:
    """One round; `cache` given: a warm cache kept between rounds (no cold figure)."""
    folder = Path(tempfile.mkdtemp(prefix="jobpack-bench-torch-"))
    job = folder / "job" / JOB.name
    job.parent.mkdir()
    shutil.copy2(JOB, job)
    try:
        row: dict[str, float] = {}
        if cache is None:
            cold = analyse(python, folder / "cache", job)
            row["cold_s"], row["cold_cpu_s"] = cold["seconds"], cold["cpu"]
            row["cold_all_cpu_s"] = cold["all_cpu"]
        warm = analyse(python, cache or folder / "cache", job)
        edit(job, fresh())
        edited = analyse(python, cache or folder / "cache", job)
        name_more(job)
        named = analyse(python, cache or folder / "cache", job)
        row.update({"warm_s": warm["seconds"], "warm_cpu_s": warm["cpu"],
                    "edited_s": edited["seconds"], "edited_cpu_s": edited["cpu"],
                    "edited_all_cpu_s": edited["all_cpu"],
                    "named_s": named["seconds"], "named_cpu_s": named["cpu"],
                    "pins": warm["pins"]})
        if rebuild:
            row.update(rebuilt(python, cache or folder / "cache", job, folder))
        row["import_torch_transformers_s"], row["import_torch_transformers_cpu_s"] = \
            import_seconds(python)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    row = {k: round(v, 2) for k, v in row.items()}
    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return row


def rebuilt(python: str, cache: Path, job: Path, folder: Path) -> dict[str, float]:
    """A first build (not timed), a one-line edit, the timed rebuild into the same
    folder (as a user rebuilds), and the same code built with the memo off into another:
    the two archives must be the same bytes."""
    build(python, cache, job, folder / "out")
    edit(job, fresh())
    wall, cpu, digest = build(python, cache, job, folder / "out")  # over the first one
    _, _, plain = build(python, cache, job, folder / "plain", memo=False)
    if digest != plain:
        raise SystemExit(f"the rebuilt archive differs from an unmemoised build: "
                         f"{digest} != {plain}")
    return {"rebuild_s": wall, "rebuild_cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="a venv's interpreter with torch and transformers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true",
                        help="also time `build --wheels` after a one-line edit")
    parser.add_argument("--cache", type=Path,
                        help="a jobpack cache kept between runs: warm figures only")
    parser.add_argument("--json-out", type=Path,
                        default=Path(__file__).parent / "results" / "analyze_torch.json")
    args = parser.parse_args()
    python = torch_python(args.python)
    # an installed jobpack has its bytecode; without it (PYTHONDONTWRITEBYTECODE, a fresh
    # checkout) every measured process would compile jobpack first
    compileall.compile_dir(REPO / "jobpack", quiet=1)
    import_seconds(python)  # the first import compiles nothing (no bytecode is written),
    # but it fills the page cache for both sides alike
    rows = [one_round(python, args.cache, args.rebuild) for _ in range(args.runs)]
    best = {key: min(float(r[key]) for r in rows) for key in rows[0]}
    print("best: " + "  ".join(f"{k}={v}" for k, v in best.items()))
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({"python": sys.version.split()[0],
                                         "cpus": os.cpu_count(),
                                         "load_average": os.getloadavg(), "runs": rows,
                                         "best": best}, indent=2) + "\n")
    print(f"written: {args.json_out}")


if __name__ == "__main__":
    main()
