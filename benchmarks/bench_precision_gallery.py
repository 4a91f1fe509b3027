"""Precision on a held-out gallery (issue #20): real example scripts of a project outside
the conformance corpus, never used to choose a reachability rule, measured on both sides.

    python benchmarks/bench_precision_gallery.py             # lmfit's examples
    python benchmarks/bench_precision_gallery.py --only doc_model_gaussian

The gallery is the `examples/` folder of lmfit's sdist from PyPI (lmfit 1.3.4,
BSD-3-Clause; 49 scripts and the data files they read): curve fitting on numpy and scipy
with asteval, uncertainties and dill, most scripts plotting with matplotlib. The venv
holds more than the scripts import (pandas, pyarrow, requests, scikit-learn, sympy), so
that what jobpack pins for nothing can show. Each script runs once in its own folder
(with the data files) under the runtime import recorder: the distributions owning a
module it imported are the truth, pip's closure of those (their `Requires-Dist` without
extras, markers for the target) what it needs (`tests/conformance/closure.py`). A truth
distribution jobpack does not pin is *missed*; a pin outside the closure (either tier)
ships *for nothing*. A script that fails on its own (a package the venv lacks, such as
emcee, or a file another example writes first) is left out and named;
`doc_confidence_chi2_maps` (minutes of 2-D confidence maps) runs only with --only.

The sdist and the venv are kept in ~/.cache/jobpack-bench/ (about 0.7 MB and 750 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conformance.closure import Precision, measure, summary

CACHE = Path.home() / ".cache" / "jobpack-bench"
PROJECT = "lmfit==1.3.4"
# what the venv holds beside the project: imported by none of its examples but pandas
OTHERS = ("matplotlib", "pandas", "pyarrow", "requests", "scikit-learn", "sympy")
# computes 2-D confidence maps for over 8 minutes on a loaded 2-core machine: left out
# unless named with --only
SLOW = frozenset({"doc_confidence_chi2_maps"})


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "-q", "--disable-pip-version-check", *args],
                   check=True)


def gallery(folder: Path) -> Path:
    """The sdist's `examples/` folder, downloaded once."""
    name, _, version = PROJECT.partition("==")
    examples = folder / f"{name}-{version}" / "examples"
    if not examples.is_dir():
        _pip(Path(sys.executable), "download", "--no-deps", "--no-binary", ":all:",
             "-d", str(folder), PROJECT)
        with tarfile.open(folder / f"{name}-{version}.tar.gz") as sdist:
            members = [m for m in sdist.getmembers() if "/examples/" in m.name]
            sdist.extractall(folder, members, filter="data")
    return examples


def venv(folder: Path) -> Path:
    python = folder / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        _pip(python, "install", PROJECT, *OTHERS)
    return python


def jobs(examples: Path, work: Path, only: set[str]) -> list[Path]:
    """One folder per script, holding it and every data file of the gallery."""
    data = [p for p in sorted(examples.iterdir()) if p.suffix in (".dat", ".csv")]
    found = []
    for script in sorted(examples.glob("*.py")):
        if script.stem not in only if only else script.stem in SLOW:
            continue
        job = work / script.stem
        job.mkdir(parents=True, exist_ok=True)
        for file in (script, *data):
            (job / file.name).write_bytes(file.read_bytes())
        found.append(job / script.name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="script stems to measure")
    parser.add_argument("--work", type=Path, default=CACHE / "gallery-lmfit")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    python = venv(args.work)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    rows: list[Precision] = []
    failed = []
    for script in jobs(gallery(args.work), args.work / "jobs", set(args.only)):
        row = measure(script, str(python), env, args.work / "cache")
        if row.returncode != 0:
            failed.append(script.stem)
            continue
        rows.append(row)
        print(row.row(), flush=True)
    print(f"left out (failed on their own): {failed}")
    if rows:
        print(summary(rows))


if __name__ == "__main__":
    main()
