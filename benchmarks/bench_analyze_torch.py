"""Benchmark the analysis of a torch + transformers job (issue #20), cold and warm, with
the cost of merely importing torch and transformers timed in the same run as the
yardstick (what any tool that imports the job's libraries pays at least).

    python benchmarks/bench_analyze_torch.py                  # builds the tests' torch venv
    python benchmarks/bench_analyze_torch.py --python VENV/bin/python --runs 3

The job is `tests/torchjobs/jobs/finetune/main.py` (torch, transformers' Trainer,
datasets, numpy) in the venv of `tests/torchjobs/requirements.txt`. Cold: empty jobpack
caches (facts and distribution index; the OS page cache is not dropped). Warm: the same
caches again. Each measurement runs in a fresh interpreter. Prints one line per
measurement and writes JSON (--json-out). Standard library and jobpack only.
"""

from __future__ import annotations

import argparse
import json
import os
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
    import json, sys, time
    start = time.perf_counter()
    import jobpack
    entry, python, cache = sys.argv[1:4]
    analysis = jobpack.analyze([entry], python=python, cache_dir=cache)
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "pins": len(analysis.manifest.requirements)}))
""")


def torch_python(given: str | None) -> str:
    if given:
        return given
    sys.path.insert(0, str(REPO))
    from tests.support.cached_venv import ensure_venv

    return str(ensure_venv("torch", REPO / "tests" / "torchjobs" / "requirements.txt"))


def analyse(python: str, cache: Path) -> dict[str, float]:
    env = {**os.environ, "JOBPACK_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", _ANALYSE, str(JOB), python, str(cache)],
                         check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def import_seconds(python: str) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-c", "import torch, transformers"], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def one_round(python: str) -> dict[str, float]:
    cache = Path(tempfile.mkdtemp(prefix="jobpack-bench-torch-"))
    try:
        cold = analyse(python, cache)
        warm = analyse(python, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    row = {"cold_s": round(cold["seconds"], 2), "warm_s": round(warm["seconds"], 2),
           "import_torch_transformers_s": round(import_seconds(python), 2),
           "pins": cold["pins"]}
    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="a venv's interpreter with torch and transformers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json-out", type=Path,
                        default=Path(__file__).parent / "results" / "analyze_torch.json")
    args = parser.parse_args()
    python = torch_python(args.python)
    import_seconds(python)  # the first import compiles nothing (no bytecode is written),
    # but it fills the page cache for both sides alike
    rows = [one_round(python) for _ in range(args.runs)]
    best = {key: min(float(r[key]) for r in rows) for key in rows[0]}
    print("best: " + "  ".join(f"{k}={v}" for k, v in best.items()))
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({"python": sys.version.split()[0],
                                         "cpus": os.cpu_count(), "runs": rows,
                                         "best": best}, indent=2) + "\n")
    print(f"written: {args.json_out}")


if __name__ == "__main__":
    main()
