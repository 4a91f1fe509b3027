"""Benchmark the rebuild of the torch job after a one-line code change (issue #23: under a
second, the same bytes as a clean build), with `python -c "import torch"` timed in the
same run as the yardstick (what any tool that imports the job's library pays at least).

    python benchmarks/bench_rebuild_torch.py                 # builds the tests' torch venv
    python benchmarks/bench_rebuild_torch.py --python VENV/bin/python --runs 5

The job is pytorch/examples' word_language_model (`fixtures/gpu`: imports torch and
numpy), copied to a new folder, analysed in the tests' torch venv (64 distributions, 33
pinned). A first `jobpack build --wheels` fills an empty jobpack cache (not timed); then,
`--runs` times, a one-line edit of `main.py` (a comment line put above a changed
literal, so every line below moves) and a timed `jobpack build --wheels` over the last
archive, as a user rebuilds. Each is a fresh `python -m jobpack` process: wall seconds
and CPU seconds (user + system, its children included: the interpreter inspection).
Last, a clean build of the edited tree (an empty jobpack cache but the same wheel
folder, so nothing is downloaded again) must give the same archive bytes as the last
rebuild, else the benchmark fails (`--no-clean-check` skips it; `--cache DIR` and
`--wheels DIR` keep a jobpack cache and a wheel folder between runs). jobpack's own
bytecode is compiled first (an installed jobpack has it; without it every run would
compile jobpack). Prints one line per rebuild, the medians and the load average, and
writes JSON (--json-out). Standard library and jobpack only.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JOB = REPO / "fixtures" / "gpu"


def torch_python(given: str | None) -> str:
    if given:
        return given
    sys.path.insert(0, str(REPO))
    from tests.support.cached_venv import ensure_venv

    return str(ensure_venv("torch", REPO / "tests" / "torchjobs" / "requirements.txt"))


def timed(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run `command`: wall and CPU seconds (children included), and what it printed; a
    failure ends the benchmark with the end of its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=3600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def build(python: str, job: Path, cache: Path, wheels: Path, out: Path,
          ) -> tuple[float, float, str]:
    """`jobpack build --wheels` of `job/main.py` into `out`: wall and CPU seconds, the
    archive's sha256."""
    env = {**os.environ, "JOBPACK_CACHE_DIR": str(cache)}
    out.mkdir(parents=True, exist_ok=True)
    wall, cpu, _ = timed([sys.executable, "-m", "jobpack", "build", "main.py", "--wheels",
                          "--python", python, "--wheel-cache", str(wheels), "-o",
                          str(out)], cwd=job, env=env)
    [archive] = out.glob("*.jobpack.zip")
    return wall, cpu, hashlib.sha256(archive.read_bytes()).hexdigest()


def edit(main: Path, number: int) -> None:
    """A one-line edit: a changed literal, under a new comment line that moves it."""
    lines = main.read_text().splitlines(keepends=True)
    [at] = [n for n, line in enumerate(lines) if line.startswith("parser.add_argument('--clip'")]
    lines[at: at + 1] = [f"# edit {number}\n",
                         f"parser.add_argument('--clip', type=float, default=0.{number + 25},\n"]
    main.write_text("".join(lines))


def rebuilds(python: str, runs: int, keep: Path | None, cache: Path | None = None,
             clean_check: bool = True) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="jobpack-bench-rebuild-"))
    job = folder / "job"
    shutil.copytree(JOB, job)
    wheels = keep or folder / "wheels"
    cache = cache or folder / "cache"
    try:
        first = build(python, job, cache, wheels, folder / "out")
        print(f"first build (cold caches, not a rebuild): {first[0]:.2f} s "
              f"({first[1]:.2f} s CPU)", flush=True)
        rows = []
        # numbers no earlier run used: with `--cache` kept between runs, a repeated edit
        # would find the edited file's facts cached and measure less than an edit costs
        base = time.time_ns()
        for number in range(1, runs + 1):
            edit(job / "main.py", base + number)
            wall, cpu, digest = build(python, job, cache, wheels, folder / "out")
            load = os.getloadavg()[0]
            rows.append({"rebuild_s": round(wall, 3), "rebuild_cpu_s": round(cpu, 3),
                         "load": round(load, 2)})
            print(f"rebuild {number}: {wall:.2f} s ({cpu:.2f} s CPU), load {load:.2f}",
                  flush=True)
        if clean_check:
            _, _, clean = build(python, job, folder / "clean-cache", wheels, folder / "clean")
            if clean != digest:
                raise SystemExit(f"the rebuilt archive differs from a clean build of the "
                                 f"same tree: {digest} != {clean}")
            print(f"the last rebuild and a clean build of the edited tree: sha256:{clean}")
        yardstick = [timed([python, "-c", "import torch"])[:2] for _ in range(runs)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"rows": rows, "import_torch": [(round(w, 3), round(c, 3)) for w, c in yardstick]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="a venv's interpreter with torch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--wheels", type=Path,
                        help="a wheel folder kept between runs (else downloaded each run)")
    parser.add_argument("--cache", type=Path,
                        help="a jobpack cache kept between runs (the first build is warm)")
    parser.add_argument("--no-clean-check", action="store_true",
                        help="skip the clean build that the last rebuild's bytes must equal")
    parser.add_argument("--json-out", type=Path,
                        default=Path(__file__).parent / "results" / "rebuild_torch.json")
    args = parser.parse_args()
    python = torch_python(args.python)
    compileall.compile_dir(REPO / "jobpack", quiet=1)
    found = rebuilds(python, args.runs, args.wheels, args.cache, not args.no_clean_check)
    rows = found["rows"]
    assert isinstance(rows, list)
    medians = {key: round(statistics.median(float(r[key]) for r in rows), 3)
               for key in ("rebuild_s", "rebuild_cpu_s")}
    yard = found["import_torch"]
    assert isinstance(yard, list)
    medians["import_torch_s"] = round(statistics.median(w for w, _ in yard), 3)
    medians["import_torch_cpu_s"] = round(statistics.median(c for _, c in yard), 3)
    load = os.getloadavg()
    print("median: " + "  ".join(f"{k}={v}" for k, v in medians.items())
          + f"  (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({"python": sys.version.split()[0],
                                         "cpus": os.cpu_count(), "load_average": load,
                                         **found, "median": medians}, indent=2) + "\n")
    print(f"written: {args.json_out}")


if __name__ == "__main__":
    main()
