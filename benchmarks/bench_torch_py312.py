"""The torch job's whole archive on a bare CPython 3.12 (issue #23), end to end, as a
user would run it: too heavy for CI (PyPI's torch for 3.12 on Linux x86_64 is the CUDA
build, several GB with its `nvidia-*` / `cuda-*` wheels), so a script to run by hand.

    python benchmarks/bench_torch_py312.py                 # torch 2.14.1, CPython 3.12
    python benchmarks/bench_torch_py312.py --torch 2.13.0 --keep

Steps, each timed (wall and CPU seconds, children included):
1. a venv of the bare CPython 3.12 (pyenv's, as `tests.support.pythons` finds it) with
   `torch==VERSION numpy` from the index, kept in ~/.cache/jobpack-bench/torch312-VERSION;
2. `jobpack build --config config.yaml --wheels --python VENV` of pytorch/examples'
   word_language_model (`fixtures/gpu`, BSD-3-Clause) into a new folder, with a new
   jobpack cache (cold: analysing torch, fetching its wheels, compiling their bytecode);
3. the archive run by the bare `python3.12 wlm.jobpack.zip --offline` under `unshare -n`
   (no network) with an empty environment cache and a minimal environment: it must
   install every wheel from the archive, train its epoch and write `model.pt`;
4. a one-line edit of `main.py` and `jobpack build` again (the dependency layers are
   reused: under a second is #23's target), then the new archive run on the same
   environment cache (a code-only change installs nothing).
Prints the archive's size, wheels and layers, each step's figures and the largest
process's peak RSS of each run (the job's, importing torch), and writes JSON (--json-out).
Needs root for `unshare -n`. Standard library and jobpack only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_rebuild_torch import edit, timed  # noqa: E402  (this script's folder is sys.path[0])

from jobpack.runner.verify import read_spec  # noqa: E402
from tests.support.pythons import find_python  # noqa: E402

CACHE = Path.home() / ".cache" / "jobpack-bench"


def venv(bare: Path, torch: str) -> tuple[Path, float]:
    """The kept venv with torch and numpy, and the seconds its install took (0 if kept)."""
    folder = CACHE / f"torch312-{torch}"
    python = folder / "bin" / "python"
    if python.exists():
        return python, 0.0
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([str(bare), "-m", "venv", str(building)], check=True)
    wall, _, _ = timed([str(building / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", f"torch=={torch}", "numpy"])
    building.rename(folder)
    return python, wall


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def run(bare: Path, archive: Path, envs: Path, out: Path, home: Path,
        ) -> tuple[float, float, int, str]:
    """The archive run offline by the bare interpreter: wall, CPU, peak RSS (MB) of the
    largest process, and the runner's stderr."""
    wall, cpu, done = timed(
        ["unshare", "-n", str(bare), str(archive), "--offline", "--env-cache", str(envs),
         "--output-dir", str(out)],
        cwd=home, env={"PATH": "/usr/bin:/bin", "HOME": str(home)})
    if "End of training" not in done.stdout or not list(out.glob("*/model.pt")):
        raise SystemExit(f"the job did not train or wrote no model.pt:\n{done.stdout[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return wall, cpu, peak, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch", default="2.14.1", help="the torch release (default 2.14.1)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json-out", type=Path,
                        default=Path(__file__).parent / "results" / "torch_py312.json")
    args = parser.parse_args()
    if shutil.which("unshare") is None or os.geteuid() != 0:
        raise SystemExit("running offline needs `unshare -n` and root")
    bare = find_python("3.12")
    if bare is None:
        raise SystemExit("no CPython 3.12 (pyenv under $PYENV_ROOT or python3.12 on PATH)")
    python, installed = venv(bare, args.torch)
    print(f"venv {python.parent.parent}: torch {args.torch}"
          + (f", installed in {installed:.1f} s" if installed else " (kept)"), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="jobpack-bench-py312-"))
    job = folder / "wlm"
    shutil.copytree(REPO / "fixtures" / "gpu", job)
    env = {**os.environ, "JOBPACK_CACHE_DIR": str(folder / "cache")}
    build = [sys.executable, "-m", "jobpack", "build", "--config", "config.yaml", "--python",
             str(python), "--wheels", "-o", "dist/"]
    figures: dict[str, object] = {"torch": args.torch, "python": str(bare),
                                  "cpus": os.cpu_count()}
    try:
        wall, cpu, _ = timed(build, cwd=job, env=env)
        archive = job / "dist" / "wlm.jobpack.zip"
        with zipfile.ZipFile(archive) as opened:
            spec = read_spec(opened)
        size = archive.stat().st_size
        figures["build"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "bytes": size,
                            "wheels": len(spec.wheels), "layers": len(spec.layers)}
        print(f"build (cold jobpack cache): {wall:.1f} s ({cpu:.1f} s CPU): {size:,} bytes, "
              f"{len(spec.wheels)} wheels in {len(spec.layers)} dependency layers", flush=True)

        envs, home = folder / "envs", folder / "home"
        home.mkdir()
        wall, cpu, peak, stderr = run(bare, archive, envs, folder / "out1", home)
        installing = [line for line in stderr.splitlines() if "installing" in line]
        figures["first_run"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                                "peak_rss_mb": peak, "environment_bytes": size_of(envs),
                                "install": installing[-1:]}
        print(f"first run, bare {bare.name}, offline, empty environment cache: {wall:.1f} s "
              f"({cpu:.1f} s CPU), peak RSS {peak} MB; environment {size_of(envs):,} bytes",
              flush=True)
        print("  " + "\n  ".join(installing), flush=True)

        edit(job / "main.py", time.time_ns())
        wall, cpu, _ = timed(build, cwd=job, env=env)
        figures["rebuild"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        print(f"rebuild after a one-line edit: {wall:.2f} s ({cpu:.2f} s CPU)", flush=True)
        wall, cpu, peak, stderr = run(bare, archive, envs, folder / "out2", home)
        if "installing" in stderr:
            raise SystemExit(f"a code-only change reinstalled:\n{stderr[-2000:]}")
        figures["code_only_run"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
        print(f"run of the edited archive (nothing installed): {wall:.1f} s "
              f"({cpu:.1f} s CPU)", flush=True)
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    figures["load_average"] = os.getloadavg()
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written: {args.json_out}")


if __name__ == "__main__":
    main()
