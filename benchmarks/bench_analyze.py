"""Benchmark `jobpack.analyze`: cold (parallel and sequential) and warm, per tree size.

    python benchmarks/bench_analyze.py                      # 100, 1000, 5000 modules
    python benchmarks/bench_analyze.py --sizes 1500
    python benchmarks/bench_analyze.py --tree ~/code/proj --entry main.py

Prints one line per measurement and writes the same as JSON (--json-out). Every
measurement runs in a fresh interpreter, so import costs and peak RSS are honest.
Standard library and jobpack only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    start = time.perf_counter()
    import jobpack
    from jobpack.analyzer.facts.cache import FactsStore
    from jobpack.target import Target
    root, entry, cache, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    target = Target(*sys.version_info[:3])
    store = FactsStore(target, None if cache == "-" else __import__("pathlib").Path(cache),
                       workers=workers)
    analysis = jobpack.analyze([entry], root=root, facts_for=store)
    store.close()
    seconds = time.perf_counter() - start
    own, kids = (resource.getrusage(resource.RUSAGE_SELF),
                 resource.getrusage(resource.RUSAGE_CHILDREN))
    usage = max(own.ru_maxrss, kids.ru_maxrss)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "parsed": store.parsed,
                      "hits": store.hits,
                      "local_files": len(analysis.manifest.local_files),
                      "peak_rss_mib": usage / 1024}))
""")

_BODY = '''

class Model{i}:
    """A model with a few methods, as real code has."""

    def __init__(self, size: int = {i}) -> None:
        self.size = size
        self.items: list[int] = [n * 2 for n in range(size % 17)]

    def total(self) -> int:
        return sum(item for item in self.items if item % 3)

    def describe(self) -> str:
        return f"Model{i}(size={{self.size}}, total={{self.total()}})"


def helper_{i}(values: list[float], scale: float = 1.5) -> dict[str, float]:
    result: dict[str, float] = {{}}
    for index, value in enumerate(values):
        if value > 0:
            result[str(index)] = value * scale
        elif value < -1:
            result[str(index)] = -value
        else:
            continue
    return result
'''


def generate(root: Path, modules: int, seed: int = 7) -> Path:
    """A project of `modules` modules in packages of 20, with mixed import patterns."""
    rng = random.Random(seed)
    packages = max(1, modules // 20)
    names: list[str] = []
    siblings: dict[str, list[str]] = {}
    for p in range(packages):
        pkg = root / "app" / f"pkg{p}"
        pkg.mkdir(parents=True)
        count = min(20, modules - p * 20) if p < packages - 1 else modules - p * 20
        members = [f"mod{m}" for m in range(max(count - 1, 1))]
        (pkg / "__init__.py").write_text("".join(f"from . import {m}\n" for m in members))
        names += [f"app.pkg{p}.{m}" for m in members]
        siblings[f"app.pkg{p}"] = members
    (root / "app" / "__init__.py").write_text("")
    for index, name in enumerate(names):
        parts = name.split(".")
        other = rng.choice(names)
        sibling = rng.choice(siblings[".".join(parts[:-1])])  # cycles within a package
        lines = ["import os", "import json", "from typing import TYPE_CHECKING",
                 f"from . import {sibling}", f"import {'.'.join(other.split('.')[:-1])}",
                 "if TYPE_CHECKING:", f"    import {rng.choice(names)}",
                 "try:", "    import ujson as fastjson", "except ImportError:",
                 "    fastjson = json"]
        if index % 3 == 0:
            lines += ["import sys", "if sys.version_info >= (3, 11):", "    import tomllib"]
        lines.append(f"\n\ndef late_{index}():\n    from {'.'.join(other.split('.')[:-1])} "
                     f"import {other.split('.')[-1]}\n    return {other.split('.')[-1]}")
        path = root / Path(*parts[:-1]) / f"{parts[-1]}.py"
        path.write_text("\n".join(lines) + _BODY.format(i=index) * 3)
    main = root / "main.py"
    main.write_text("".join(f"import app.pkg{p}\n" for p in range(packages)) +
                    "\nif __name__ == '__main__':\n    print('ok')\n")
    return main


def measure(root: Path, entry: str, cache: str, workers: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(root), entry, cache,
                          str(workers)], check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def help_seconds(runs: int = 5) -> float:
    command = [sys.executable, "-c", "import sys; from jobpack.cli import main; "
               "sys.argv = ['jobpack', '--help']; main()"]
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def bench_tree(label: str, root: Path, entry: str, workers: int) -> dict[str, object]:
    cache = Path(tempfile.mkdtemp(prefix="jobpack-bench-cache-"))
    try:
        sequential = measure(root, entry, "-", 1)
        cold = measure(root, entry, str(cache), workers)
        warm = measure(root, entry, str(cache), workers)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    row: dict[str, object] = {
        "tree": label, "files": cold["local_files"], "files_parsed_cold": cold["parsed"],
        "cold_sequential_s": round(sequential["seconds"], 3),
        "cold_parallel_s": round(cold["seconds"], 3),
        "speedup": round(sequential["seconds"] / cold["seconds"], 2),
        "warm_s": round(warm["seconds"], 3), "files_parsed_warm": warm["parsed"],
        "files_per_s_cold": round(cold["parsed"] / cold["seconds"], 1),
        "peak_rss_mib_cold": round(cold["peak_rss_mib"], 1),
        "peak_rss_mib_warm": round(warm["peak_rss_mib"], 1),
    }
    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 5000])
    parser.add_argument("--tree", type=Path, help="benchmark a real tree instead")
    parser.add_argument("--entry", default="main.py", help="entry point within --tree")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json-out", type=Path,
                        default=Path(__file__).parent / "results" / "latest.json")
    args = parser.parse_args()
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                                  "help_s": round(help_seconds(), 3), "trees": []}
    print(f"jobpack --help: {results['help_s']} s", flush=True)
    trees: list[dict[str, object]] = []
    if args.tree is not None:
        trees.append(bench_tree(str(args.tree), args.tree.resolve(), args.entry, args.workers))
    else:
        for size in args.sizes:
            with tempfile.TemporaryDirectory(prefix=f"jobpack-bench-{size}-") as folder:
                generate(Path(folder), size)
                trees.append(bench_tree(f"synthetic-{size}", Path(folder), "main.py",
                                        args.workers))
    results["trees"] = trees
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {args.json_out}")


if __name__ == "__main__":
    main()
