"""Precision on held-out galleries (issue #20): real example scripts of projects outside
the conformance corpus, never used to choose a reachability rule, measured on both sides.

    python benchmarks/bench_precision_gallery.py                       # lmfit's examples
    python benchmarks/bench_precision_gallery.py --gallery networkx
    python benchmarks/bench_precision_gallery.py --gallery statsmodels
    python benchmarks/bench_precision_gallery.py --gallery scikit-image  # or pywavelets, ...
    python benchmarks/bench_precision_gallery.py --only doc_model_gaussian

Each gallery is a folder of example scripts in a project's sdist from PyPI (`examples/`
unless said; the sdist fetched as a file, its sha256 checked against the index's):
- lmfit 1.3.4 (BSD-3-Clause; 49 scripts and the data files they read): curve fitting on
  numpy and scipy with asteval, uncertainties and dill, most scripts plotting with
  matplotlib;
- networkx 3.6.1 (BSD-3-Clause; 88 scripts in topic folders, with the data files beside
  them): graph algorithms, most drawing with matplotlib, some with scipy, pandas or
  scikit-learn;
- statsmodels 0.15.0 (BSD-3-Clause; the 79 scripts of `examples/python`, its
  documentation's notebooks as scripts): regression, time series and state-space models on
  pandas, some plotting with matplotlib, a few reading data from the web (which fail here
  and are left out);
- PyWavelets 1.9.0 (MIT; the 21 scripts of `demo/`; 1.10 needs Python 3.12): discrete,
  stationary and continuous wavelet transforms, wavelet packets and multiresolution
  analysis of the signals and images pywt bundles, most plotting with matplotlib; one
  needs pyqtgraph, one image files named on its command line, one indexes with a list of
  slices (an error since numpy 1.23);
- joblib 1.4.2 (BSD-3-Clause; 8 scripts, the last sdist with `examples/`): caching with
  `Memory` and parallel loops with `Parallel` on numpy, one plotting with matplotlib and
  measuring memory with psutil; the venv holds dask's `distributed`, whose backend joblib
  registers lazily (its one example starts a cluster without a main guard and fails);
- scikit-image 0.26.0 (BSD-3-Clause; the 141 scripts of `doc/examples` in topic folders):
  filtering, segmentation, feature detection, registration and transforms of the images
  skimage bundles, plotting with matplotlib, a few with plotly, pandas, scikit-learn or
  PyWavelets; the 19 that fetch their images through pooch fail offline and are left out;
- shapely 2.2.0 (BSD-3-Clause; the 27 scripts of `docs/code`, the figures of its manual,
  with the `figures.py` helper they import beside each): geometry operations drawn with
  matplotlib; one downloads GeoJSON from the web.
The venv holds more than the scripts import (pandas, pyarrow, requests, scikit-learn,
...), so that what jobpack pins for nothing can show. Each script runs once in its own
folder (with the data files of its folder) under the runtime import recorder: the
distributions owning a module it imported are the truth, pip's closure of those (their
`Requires-Dist` without extras, markers for the target) what it needs
(`tests/conformance/closure.py`). A truth distribution jobpack does not pin is *missed*;
a pin outside the closure (either tier) ships *for nothing*. A script that fails on its
own (a package the venv lacks, such as emcee or pygraphviz, data from the web, a file
another example writes first, or more than `--timeout` seconds) is left out and named;
lmfit's `doc_confidence_chi2_maps` (minutes of 2-D confidence maps) runs only with --only.

The sdists and the venvs are kept in ~/.cache/jobpack-bench/ (0.3 to 23 MB and 750 to
900 MB a gallery).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conformance.closure import Precision, measure, summary

CACHE = Path.home() / ".cache" / "jobpack-bench"


@dataclass(frozen=True)
class Gallery:
    project: str  # the pinned sdist whose `examples/` are measured
    others: tuple[str, ...]  # what the venv holds beside the project
    data: tuple[str, ...] | None = None  # data files' suffixes (None: all of the folder)
    slow: frozenset[str] = frozenset()  # left out unless named with --only
    folder: str = "examples"  # the sdist's folder of example scripts
    modules: frozenset[str] = frozenset()  # the folder's helpers: beside each, unmeasured


GALLERIES = {
    # pandas aside, imported by none of its examples
    "lmfit": Gallery("lmfit==1.3.4", ("matplotlib", "pandas", "pyarrow", "requests",
                                      "scikit-learn", "sympy"), (".dat", ".csv"),
                     # computes 2-D confidence maps for over 8 minutes on a loaded machine
                     frozenset({"doc_confidence_chi2_maps"})),
    "networkx": Gallery("networkx==3.6.1", ("matplotlib", "scipy", "pandas", "pyarrow",
                                            "requests", "scikit-learn", "sympy")),
    # the notebooks of its documentation as scripts; `examples/incomplete` is left out
    "statsmodels": Gallery("statsmodels==0.15.0",
                           ("matplotlib", "seaborn", "pyarrow", "requests", "scikit-learn",
                            "sympy", "networkx"), folder="examples/python"),
    # the last release for Python 3.11 (1.10 needs 3.12); its examples are in `demo/`
    "pywavelets": Gallery("PyWavelets==1.9.0", ("matplotlib", "scipy", "pandas", "pyarrow",
                                                "requests", "scikit-learn", "sympy",
                                                "networkx"), folder="demo"),
    # the last release whose sdist holds `examples/` (1.5.0 dropped it)
    "joblib": Gallery("joblib==1.4.2", ("matplotlib", "pandas", "pyarrow", "psutil",
                                        "distributed", "requests", "scikit-learn", "sympy")),
    "scikit-image": Gallery("scikit-image==0.26.0",
                            ("matplotlib", "pandas", "pyarrow", "plotly", "seaborn",
                             "scikit-learn", "PyWavelets", "pooch", "requests", "sympy"),
                            folder="doc/examples"),
    # `figures.py` holds the drawing helpers the scripts import
    "shapely": Gallery("shapely==2.2.0", ("matplotlib", "scipy", "pandas", "pyarrow",
                                          "requests", "scikit-learn", "sympy", "networkx"),
                       folder="docs/code", modules=frozenset({"figures"})),
}


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "-q", "--disable-pip-version-check", *args],
                   check=True)


def examples_of(gallery: Gallery, folder: Path) -> Path:
    """The sdist's folder of examples (`examples/`), downloaded once."""
    name, _, version = gallery.project.partition("==")
    examples = folder / f"{name}-{version}" / gallery.folder
    if not examples.is_dir():
        archive = _sdist(name, version, folder)
        with tarfile.open(archive) as sdist:
            # the archive's own top folder may be spelt otherwise (`scikit_image-0.26.0`)
            members = [m for m in sdist.getmembers()
                       if m.name.partition("/")[2].startswith(f"{gallery.folder}/")]
            for member in members:
                member.name = f"{name}-{version}/{member.name.partition('/')[2]}"
            sdist.extractall(folder, members, filter="data")
    return examples


def _sdist(name: str, version: str, folder: Path) -> Path:
    """The project's sdist from the package index, its sha256 checked. Fetched as a file:
    `pip download --no-binary` would build its metadata, and statsmodels' needs a
    compiler toolchain."""
    index = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(index) as answer:
        files = json.load(answer)["releases"][version]
    (found,) = [u for u in files if u["packagetype"] == "sdist"]
    path = folder / str(found["filename"])
    if not path.exists():
        # some answers give the file's address relative to the index's
        with urllib.request.urlopen(urllib.parse.urljoin(index, found["url"])) as answer:
            data = answer.read()
        if hashlib.sha256(data).hexdigest() != found["digests"]["sha256"]:
            raise SystemExit(f"{found['filename']}: sha256 differs from the index's")
        path.write_bytes(data)
    return path


def venv(gallery: Gallery, folder: Path) -> Path:
    python = folder / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        _pip(python, "install", gallery.project, *gallery.others)
    return python


def jobs(gallery: Gallery, examples: Path, work: Path, only: set[str]) -> list[Path]:
    """One folder per script, holding it, the data files of its own folder and the helper
    modules the gallery names."""
    found = []
    for script in sorted(examples.rglob("*.py")):
        if script.stem in gallery.modules or (
                script.stem not in only if only else script.stem in gallery.slow):
            continue
        data = [p for p in sorted(script.parent.iterdir()) if p.is_file() and (
            p.stem in gallery.modules if p.suffix == ".py"
            else gallery.data is None or p.suffix in gallery.data)]
        job = work / script.stem
        job.mkdir(parents=True, exist_ok=True)
        for file in (script, *data):
            (job / file.name).write_bytes(file.read_bytes())
        found.append(job / script.name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gallery", choices=sorted(GALLERIES), default="lmfit")
    parser.add_argument("--only", nargs="*", default=[], help="script stems to measure")
    parser.add_argument("--work", type=Path, help="default: ~/.cache/jobpack-bench/"
                        "gallery-NAME")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds a script may run before it is left out")
    args = parser.parse_args()
    gallery = GALLERIES[args.gallery]
    work: Path = args.work or CACHE / f"gallery-{args.gallery}"
    work.mkdir(parents=True, exist_ok=True)
    python = venv(gallery, work)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    rows: list[Precision] = []
    failed = []
    for script in jobs(gallery, examples_of(gallery, work), work / "jobs", set(args.only)):
        row = measure(script, str(python), env, work / "cache", timeout=args.timeout)
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
