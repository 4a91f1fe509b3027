"""Benchmark the runner: first and warm runs of a job from a jobpack archive, against a pex
built from the same pins, measured in the same run on the same interpreter.

    python benchmarks/bench_runner.py                 # small job + scikit-learn job
    python benchmarks/bench_runner.py --skip-ml --repeat 5

The small job imports pyyaml, attrs, python-dateutil and a local package; the ML job fits
a scikit-learn model and saves a matplotlib plot. "first" runs start with an empty
environment cache (jobpack) or PEX_ROOT (pex), in an empty folder, with a bare python3;
"warm" runs reuse them; "plain" runs the job's script with a venv's python that has the
pins installed (the floor neither tool can beat). jobpack's first run is measured twice:
with the bytecode it ships by default, and from an archive built with --no-bytecode.
Medians of --repeat runs.

The tools (pex, the jobs' venvs) are installed from the package index once, into
~/.cache/jobpack-bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jobpack.publish import build_entry

CACHE = Path.home() / ".cache" / "jobpack-bench"
# The bare interpreter both archives run on (not the venv running this script).
PYTHON = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")

@dataclass(frozen=True)
class Job:
    requirements: list[str]
    files: dict[str, str]


SMALL = Job(
    requirements=["pyyaml", "attrs", "python-dateutil"],
    files={
        "main.py": "import localpkg\nprint(localpkg.run())\n",
        "localpkg/__init__.py": (
            "import attrs, yaml\nfrom dateutil import parser\n\n"
            "@attrs.define\nclass Point:\n    x: int\n    y: int\n\n"
            "def run():\n    when = parser.parse('2024-01-02T03:04:05')\n"
            "    return yaml.safe_dump({'p': attrs.asdict(Point(1, 2)), 'y': when.year})\n"),
    },
)
ML = Job(
    requirements=["scikit-learn", "matplotlib"],
    files={
        "main.py": (
            "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
            "from sklearn.datasets import make_classification\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "X, y = make_classification(n_samples=200, random_state=0)\n"
            "model = LogisticRegression().fit(X, y)\n"
            "plt.plot(model.coef_[0]); plt.savefig('coef.png')\n"
            "print('score', round(model.score(X, y), 3))\n"),
    },
)


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=cwd)


def _cached_venv(name: str, packages: list[str]) -> Path:
    """A venv with `packages`, built once under CACHE (in place, published by its
    completion marker under a lock: jobpack's one locked build)."""
    def build(folder: Path) -> None:
        _run([PYTHON, "-m", "venv", str(folder)])
        _run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", *packages])

    return build_entry(CACHE, name, build, in_place=True)


def _job(root: Path, spec: Job) -> Path:
    job = root / "job"
    for rel, text in spec.files.items():
        (job / rel).parent.mkdir(parents=True, exist_ok=True)
        (job / rel).write_text(text)
    return job


def _pins(venv: Path) -> list[str]:
    frozen = _run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"]).stdout
    return [line for line in frozen.splitlines()
            if "==" in line and not line.startswith(("pip==", "setuptools==", "wheel=="))]


def _build(job: Path, venv: Path, out: Path, pex: Path) -> tuple[Path, Path, Path]:
    """The jobpack archive (with and without bytecode) and the pex, from the same pins."""
    archive, plain = out / "job.jobpack.zip", out / "job-no-bytecode.jobpack.zip"
    for path, extra in ((archive, []), (plain, ["--no-bytecode"])):
        _run([sys.executable, "-m", "jobpack", "build", "main.py", "--python",
              str(venv / "bin" / "python"), "--wheels", *extra, "-o", str(path)], cwd=job)
    pex_file = out / "job.pex"
    _run([str(pex / "bin" / "python"), "-m", "pex", *_pins(venv), "-D", str(job), "-e", "main",
          "--python", PYTHON, "-o", str(pex_file)])
    return archive, plain, pex_file


Timing = tuple[float, float]  # wall seconds, CPU seconds (user + sys, children included)


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(repeat: int, once: Callable[[], Timing]) -> Timing:
    runs = [once() for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure(spec: Job, name: str, repeat: int) -> dict[str, Timing]:
    venv = _cached_venv(f"job-{name}", spec.requirements)
    pex = _cached_venv("pex", ["pex"])
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as temp:
        root = Path(temp)
        job = _job(root, spec)
        archive, plain_archive, pex_file = _build(job, venv, root, pex)
        base_env = {"PATH": "/usr/bin:/bin", "HOME": str(root)}

        def jobpack_run(cache: Path, which: Path = archive) -> Timing:
            work = Path(tempfile.mkdtemp(dir=root))
            return _timed([PYTHON, str(which), "--env-cache", str(cache)], work, base_env)

        def pex_run(pex_root: Path) -> Timing:
            work = Path(tempfile.mkdtemp(dir=root))
            return _timed([PYTHON, str(pex_file)], work, {**base_env, "PEX_ROOT": str(pex_root)})

        def fresh() -> Path:
            return Path(tempfile.mkdtemp(dir=root))

        results = {
            "jobpack_first": _median(repeat, lambda: jobpack_run(fresh())),
            "no_bytecode_first": _median(repeat, lambda: jobpack_run(fresh(), plain_archive)),
            "pex_first": _median(repeat, lambda: pex_run(fresh())),
        }
        warm_cache, warm_root = fresh(), fresh()
        jobpack_run(warm_cache)
        pex_run(warm_root)
        results["jobpack_warm"] = _median(repeat, lambda: jobpack_run(warm_cache))
        results["pex_warm"] = _median(repeat, lambda: pex_run(warm_root))
        results["plain"] = _median(repeat, lambda: _timed(
            [str(venv / "bin" / "python"), "main.py"], job, base_env))
        results["archive_mb"] = (archive.stat().st_size / 1e6,
                                 plain_archive.stat().st_size / 1e6)
    return results


def report(name: str, r: dict[str, Timing]) -> None:
    print(f"{name}: archive {r['archive_mb'][0]:.1f} MB ({r['archive_mb'][1]:.1f} MB with "
          "--no-bytecode); wall s (CPU s), medians")
    for kind, what in ((0, "wall"), (1, "CPU")):
        first, warm = r["jobpack_first"][kind], r["jobpack_warm"][kind]
        pex_first, pex_warm, plain = r["pex_first"][kind], r["pex_warm"][kind], r["plain"][kind]
        print(f"  {what:4}: first jobpack {first:.2f} / pex {pex_first:.2f} = "
              f"{first / pex_first:.2f}x (--no-bytecode {r['no_bytecode_first'][kind]:.2f}); "
              f"warm jobpack {warm:.2f} / pex {pex_warm:.2f} = "
              f"{warm / pex_warm:.2f}x; plain {plain:.2f}, warm overhead jobpack "
              f"{warm - plain:+.2f} pex {pex_warm - plain:+.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-ml", action="store_true")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    results = {"small": measure(SMALL, "small", args.repeat)}
    report("small job (pyyaml, attrs, python-dateutil + local package)", results["small"])
    if not args.skip_ml:
        results["ml"] = measure(ML, "ml", args.repeat)
        report("scikit-learn + matplotlib job", results["ml"])
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
