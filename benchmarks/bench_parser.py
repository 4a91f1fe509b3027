"""Benchmark the per-file parse on a real tree: sympy 1.14's source, grimp as yardstick.

    python benchmarks/bench_parser.py                # sympy + the 1,500-module synthetic tree
    python benchmarks/bench_parser.py --runs 5       # best of 5 per measurement

sympy's sdist is downloaded with `pip download` and grimp is installed into its own venv,
both once, into ~/.cache/jobpack-bench (`$JOBPACK_BENCH_CACHE`), never into the repository.
In the same run it measures, each in a fresh interpreter and best of `--runs`:

- grimp building sympy's whole import graph (`grimp.build_graph("sympy")`, no cache);
- `jobpack.analyze` of a job whose `main.py` does `import sympy`: cold (no facts cache,
  parallel workers), cold sequential, and warm (facts cached);
- the same for the 1,500-module synthetic tree of `bench_analyze.py`;
- files/s of each parser path on sympy's files: the `ast` fast path, and the libcst
  fallback (on a fixed sample: it is ~10x slower).

Timers start before `import jobpack` / `import grimp` and exclude interpreter start-up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_analyze import generate, measure

from jobpack.publish import build_entry

SYMPY = "sympy==1.14.0"
CACHE = Path(os.environ.get("JOBPACK_BENCH_CACHE", Path.home() / ".cache" / "jobpack-bench"))
_GRIMP = (
    "import json, resource, sys, time\n"
    "start = time.perf_counter()\n"
    "import grimp\n"
    "graph = grimp.build_graph('sympy', cache_dir=None)\n"
    "seconds = time.perf_counter() - start\n"
    "own = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(json.dumps({'seconds': seconds, 'cpu_seconds': own.ru_utime + own.ru_stime,\n"
    "                  'modules': len(graph.modules)}))\n"
)


def cached(name: str, build: Callable[[Path], None]) -> Path:
    """`CACHE/name`, built once by `build(work folder)` and renamed into place under a
    lock (jobpack's one locked build)."""
    return build_entry(CACHE, name, build)


def sympy_tree() -> Path:
    def build(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", SYMPY, "-d", str(folder / "sdist")], check=True)
        archive = next((folder / "sdist").glob("sympy-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(folder / "src", filter="data")

    root = next((cached("sympy-1.14.0", build) / "src").glob("sympy-*"))
    main = root / "main.py"
    if not main.exists():
        main.write_text("import sympy\n")
    return root


def grimp_python() -> Path:
    def build(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "grimp"],
                       check=True)

    # A venv's python finds its prefix from its own path, so the renamed venv works.
    return cached("grimp-venv", build) / "bin" / "python"


def best(runs: int, func: Callable[[], dict[str, float]]) -> dict[str, float]:
    results = [func() for _ in range(runs)]
    return min(results, key=lambda r: r["seconds"])


def run_grimp(python: Path, root: Path) -> dict[str, float]:
    out = subprocess.run([str(python), "-c", _GRIMP], cwd=root, check=True,
                         capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def analyze_times(root: Path, runs: int, workers: int) -> dict[str, float]:
    cache = Path(tempfile.mkdtemp(prefix="jobpack-bench-cache-"))
    try:
        cold = best(runs, lambda: measure(root, "main.py", "-", workers))
        sequential = best(runs, lambda: measure(root, "main.py", "-", 1))
        measure(root, "main.py", str(cache), workers)  # fill the cache
        warm = best(runs, lambda: measure(root, "main.py", str(cache), workers))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"cold_s": cold["seconds"], "cold_sequential_s": sequential["seconds"],
            "warm_s": warm["seconds"], "cold_cpu_s": cold["cpu_seconds"],
            "warm_cpu_s": warm["cpu_seconds"], "files": cold["local_files"],
            "parsed": cold["parsed"], "warm_parsed": warm["parsed"]}


def parser_rates(root: Path, libcst_sample: int) -> dict[str, float]:
    """Files/s and MB/s of each parser path over sympy's (non-test) files, in-process."""
    import ast

    import libcst

    from jobpack.analyzer.facts.parse_cst import facts_from_cst
    from jobpack.analyzer.facts.parser import parse_facts
    from jobpack.target import Target

    target = Target(*sys.version_info[:2])
    sources = [p.read_bytes() for p in sorted((root / "sympy").rglob("*.py"))
               if "tests" not in p.parts]
    rates: dict[str, float] = {}

    def rate(name: str, batch: list[bytes], parse: Callable[[bytes], object]) -> None:
        start = time.process_time()
        for source in batch:
            parse(source)
        seconds = time.process_time() - start
        rates[f"{name}_files_per_s"] = len(batch) / seconds
        rates[f"{name}_mb_per_s"] = sum(map(len, batch)) / seconds / 1e6

    rate("ast_parse_only", sources, ast.parse)
    rate("ast_path", sources, lambda s: parse_facts(s, target))
    sample = sorted(sources, key=lambda s: hashlib.sha256(s).digest())[:libcst_sample]
    rate("libcst_path", sample,
         lambda s: facts_from_cst(libcst.parse_module(s), target, deep=True, source=s))
    rates["files"] = len(sources)
    rates["libcst_sample"] = len(sample)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--synthetic", type=int, default=1500)
    parser.add_argument("--libcst-sample", type=int, default=40)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    root, grimp = sympy_tree(), grimp_python()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    results: dict[str, object] = {}
    graph = best(args.runs, lambda: run_grimp(grimp, root))
    results["grimp"] = graph
    print(f"grimp build_graph(sympy): {graph['seconds']:.2f} s (CPU {graph['cpu_seconds']:.2f} s),"
          f" {graph['modules']:.0f} modules", flush=True)
    sympy = analyze_times(root, args.runs, args.workers)
    results["sympy"] = sympy
    print(f"jobpack sympy: cold {sympy['cold_s']:.2f} s ({sympy['cold_s'] / graph['seconds']:.1f}x"
          f" grimp; CPU {sympy['cold_cpu_s']:.2f} s, "
          f"{sympy['cold_cpu_s'] / graph['cpu_seconds']:.1f}x grimp's), cold sequential "
          f"{sympy['cold_sequential_s']:.2f} s, warm {sympy['warm_s']:.2f} s (CPU "
          f"{sympy['warm_cpu_s']:.2f} s), {sympy['files']:.0f} files", flush=True)
    with tempfile.TemporaryDirectory(prefix="jobpack-bench-synthetic-") as folder:
        generate(Path(folder), args.synthetic)
        synthetic = analyze_times(Path(folder), args.runs, args.workers)
    results["synthetic"] = synthetic
    print(f"jobpack synthetic-{args.synthetic}: cold {synthetic['cold_s']:.2f} s (CPU "
          f"{synthetic['cold_cpu_s']:.2f} s), cold sequential "
          f"{synthetic['cold_sequential_s']:.2f} s, warm {synthetic['warm_s']:.2f} s",
          flush=True)
    rates = parser_rates(root, args.libcst_sample)
    results["parsers"] = rates
    for name in ("ast_parse_only", "ast_path", "libcst_path"):
        print(f"{name}: {rates[f'{name}_files_per_s']:.0f} files/s, "
              f"{rates[f'{name}_mb_per_s']:.2f} MB/s (CPU time)", flush=True)
    results["load_after"] = os.getloadavg()[0]
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
