"""Benchmark the runner: first and warm runs of a job from a jobpack archive, against a pex
built from the same pins, measured in the same run on the same interpreter.

    python benchmarks/bench_runner.py                 # small job + scikit-learn job
    python benchmarks/bench_runner.py --skip-ml --repeat 5
    python benchmarks/bench_runner.py --skip-small --torch   # + the torch job's install

The small job imports pyyaml, attrs, python-dateutil and a local package; the ML job fits
a scikit-learn model and saves a matplotlib plot. "first" runs start with an empty
environment cache (jobpack) or PEX_ROOT (pex), in an empty folder, with a bare python3;
"warm" runs reuse them; "plain" runs the job's script with a venv's python that has the
pins installed (the floor neither tool can beat). jobpack's first run is measured twice:
with the bytecode it ships by default, and from an archive built with --no-bytecode.
Medians of --repeat runs.

The install phase alone is measured against uv: the bare interpreter runs the runner
from the archive's own zip to check the dependency layers, then install the wheels into a
fresh venv as a first run does (`install_wheels`: the wheel-set check and the install),
timed with its CPU (user + sys, the workers included), with nothing watching it; the peak
RSS of its biggest process comes from the kernel (ru_maxrss, as for uv), and its process
tree's summed peak RSS while installing is sampled in one more run, not timed (a 10 ms
sampler costs about 8% of a core, which only the runner would pay). Both archives are
measured: the default one, and the --no-bytecode one, which writes what uv writes (uv
compiles no bytecode unless asked). Beside them, in the same loop, `uv pip install
--offline --no-deps` of the same wheels into a fresh venv, with an empty uv cache (a
first install on a fresh VM: uv inflates each wheel into its cache, then links the files
into the venv; the runner's counterpart) and with a cache an earlier install filled (uv
only links: the counterpart of the runner reusing its environment cache, which costs
nothing). The rebuild after a one-line code change is timed too (`jobpack build` over the
previous archive, layers from the cache), and its bytes compared with a clean build's.

The tools (pex, uv, the jobs' venvs) are installed from the package index once, into
~/.cache/jobpack-bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
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

# torch: the CPU wheel (pinned: a bare `torch` is a multi-GB CUDA build); install phase only
TORCH = Job(
    requirements=["torch==2.13.0", "numpy==2.2.6"],
    files={"main.py": "import torch\nprint('sum', torch.ones(3).sum().item())\n"},
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


def _jobpack_build(job: Path, venv: Path, path: Path, *extra: str) -> float:
    start = time.perf_counter()
    _run([sys.executable, "-m", "jobpack", "build", "main.py", "--python",
          str(venv / "bin" / "python"), "--wheels", *extra, "-o", str(path)], cwd=job)
    return time.perf_counter() - start


def _build(job: Path, venv: Path, out: Path, pex: Path) -> tuple[Path, Path, Path]:
    """The jobpack archive (with and without bytecode) and the pex, from the same pins."""
    archive, plain = out / "job.jobpack.zip", out / "job-no-bytecode.jobpack.zip"
    for path, extra in ((archive, []), (plain, ["--no-bytecode"])):
        _jobpack_build(job, venv, path, *extra)
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


def _phases(stderr: str) -> dict[str, float]:
    """Seconds of the runner's phases, from its `jobpack: ...: done in X s` lines."""
    found = {}
    for line in stderr.splitlines():
        match = re.match(r"jobpack: (checking|installing) .*: done in ([0-9.]+) s", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """Resident kB of a process's descendants (not its own): summed, and the biggest."""
    total, biggest, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match and current != pid:
            total += int(match.group(1))
            biggest = max(biggest, int(match.group(1)))
    return total, biggest


# The runner's install phase alone, run by the bare interpreter from the archive itself
# (its zip is on sys.path: the runner that travels, not this checkout's): the layers'
# check, then `install_wheels` (the wheel-set check and the install, as a first run does
# them) into a fresh venv, timed with the CPU of the process and its workers.
_INSTALL = """\
import json, resource, sys, time, venv, zipfile
from pathlib import Path
archive, target = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, archive)
from jobpack.runner.environment import _scheme
from jobpack.runner.layers import Layers
from jobpack.runner.verify import read_spec
from jobpack.runner.wheels import install_wheels
with zipfile.ZipFile(archive) as opened:
    spec = read_spec(opened)
layers = Layers(Path(archive), spec, [])
started = time.perf_counter()
layers.check()
check = time.perf_counter() - started
venv.EnvBuilder(with_pip=False, symlinks=True).create(str(target))
sizes = {name: record.size for name, (_, record) in spec.layer_files().items()}
def cpu():
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + kids.ru_utime + own.ru_stime + kids.ru_stime
before, started = cpu(), time.perf_counter()
install_wheels(list(spec.wheels), _scheme(target, target, "venv"), layers.open, sizes)
print(json.dumps([check, time.perf_counter() - started, cpu() - before]))
"""


@dataclass(frozen=True)
class Install:
    check: float  # the layers' sha256, seconds
    wall: float  # install_wheels, seconds
    cpu: float  # its CPU (user + sys, workers included)
    biggest_kb: int  # peak RSS of the biggest process (the kernel's ru_maxrss)


def _waited(process: subprocess.Popen[bytes]) -> resource.struct_rusage:
    """Wait for `process`; its rusage (its waited descendants included: ru_maxrss is the
    peak RSS of the biggest of them, measured by the kernel, no sampling)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


def _install_phase(archive: Path, root: Path, env: dict[str, str]) -> Install:
    """The runner's install phase as a first run has it (`_INSTALL`), with nothing
    watching it: a sampler polling /proc every 10 ms costs about 8% of a core, which on
    two cores the runner's workers would pay and uv, never sampled, would not. The peak
    RSS of its biggest process comes from the kernel when it ends."""
    target = Path(tempfile.mkdtemp(dir=root)) / "venv"
    with tempfile.TemporaryFile() as err, subprocess.Popen(
            [PYTHON, "-c", _INSTALL, str(archive), str(target)], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=err) as process:
        assert process.stdout is not None
        out = process.stdout.read().decode()
        usage = _waited(process)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"the install failed: {stderr}")
    check, wall, cpu = json.loads(out.splitlines()[-1])
    return Install(check, wall, cpu, usage.ru_maxrss)


def _summed_rss_kb(archive: Path, root: Path, env: dict[str, str]) -> int:
    """Peak RSS of the runner's process tree summed while it installs (the workers run
    beside the parent), sampled every 10 ms in a run of its own, not timed."""
    target = Path(tempfile.mkdtemp(dir=root)) / "venv"
    command = [PYTHON, "-c", _MEASURE, PYTHON, "-c", _INSTALL, str(archive), str(target)]
    summed = 0
    with tempfile.NamedTemporaryFile("w+") as err, subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err) as process:
        log = Path(err.name)
        while process.poll() is None:
            text = log.read_text()
            if "jobpack: installing" in text and not re.search(r"installing .*: done", text):
                summed = max(summed, _tree_rss_kb(process.pid)[0])
            time.sleep(0.01)
    if process.returncode != 0:
        raise RuntimeError(f"the install failed: {log.read_text()}")
    return summed


_MEASURE = ("import subprocess, sys\n"
            "sys.exit(subprocess.run(sys.argv[1:]).returncode)\n")


def _wheels_of(archive: Path, root: Path) -> Path:
    """The archive's wheels, taken out into a folder (for uv)."""
    from jobpack.runner.layers import Layers
    from jobpack.runner.verify import read_spec

    wheels = Path(tempfile.mkdtemp(dir=root))
    with zipfile.ZipFile(archive) as opened:
        spec = read_spec(opened)
    layers = Layers(archive, spec, [])
    for wheel in spec.wheels:
        with layers.open(wheel.file) as source, (wheels / wheel.filename).open("wb") as sink:
            shutil.copyfileobj(source, sink)
    return wheels


def _uv_install(wheels: Path, root: Path, uv: Path, cache: Path) -> Install:
    """`uv pip install --offline --no-deps` of `wheels` into a fresh venv with the uv
    cache `cache`: empty, uv inflates every wheel into it then links the files into the
    venv (a first install, as on a fresh VM: what the runner does); filled by an earlier
    install of the same wheels, it only links (no layers to check: `check` is 0)."""
    target = Path(tempfile.mkdtemp(dir=root)) / "venv"
    _run([PYTHON, "-m", "venv", "--without-pip", str(target)])
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    with subprocess.Popen([str(uv / "bin" / "uv"), "pip", "install", "--offline", "--no-deps",
                           "--python", str(target / "bin" / "python"),
                           *map(str, sorted(wheels.glob("*.whl")))], cwd=root, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        usage = _waited(process)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError("uv pip install failed")
    return Install(0.0, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def _rebuild(job: Path, venv: Path, archive: Path) -> tuple[float, bool]:
    """Seconds to rebuild after a one-line change, over the previous archive; whether its
    bytes are a clean build's (--no-cache, into another file)."""
    (job / "main.py").write_text((job / "main.py").read_text() + "print('one more line')\n")
    seconds = _jobpack_build(job, venv, archive)
    clean = archive.with_name("clean.jobpack.zip")
    _jobpack_build(job, venv, clean, "--no-cache")
    same = archive.read_bytes() == clean.read_bytes()
    clean.unlink()
    return seconds, same


def _install_yardsticks(archives: dict[str, Path], root: Path, env: dict[str, str],
                        uv: Path, repeat: int) -> dict[str, Timing]:
    """The runner's install phase (of each archive: with the bytecode it ships by default,
    and built with --no-bytecode: uv writes no bytecode, so that one is like with like)
    and uv's install of the same wheels with an empty and with a filled cache, each
    `repeat` times, alternating (so a change in the machine's load falls on all); then,
    untimed, one run of each archive sampled for its process tree's summed RSS."""
    wheels = _wheels_of(archives["default"], root)
    warm = Path(tempfile.mkdtemp(dir=root))
    _uv_install(wheels, root, uv, warm)  # fills the cache: later installs only link
    runs: dict[str, list[Install]] = {name: [] for name in archives}
    cold: list[Install] = []
    linked: list[Install] = []
    load = os.getloadavg()[0]
    for _ in range(repeat):
        for name, archive in archives.items():
            runs[name].append(_install_phase(archive, root, env))
        cold.append(_uv_install(wheels, root, uv, Path(tempfile.mkdtemp(dir=root))))
        linked.append(_uv_install(wheels, root, uv, warm))
    found = {"uv_cold": _medians([(c.wall, c.cpu) for c in cold]),
             "uv_warm": _medians([(w.wall, w.cpu) for w in linked]),
             "load": (load, os.getloadavg()[0])}
    for name, done in runs.items():
        found[f"runner_{name}"] = _medians([(r.wall, r.cpu) for r in done])
    found["check"] = (statistics.median(r.check for r in runs["default"]), 0.0)
    everything = [r for done in runs.values() for r in done]
    summed = max(_summed_rss_kb(archive, root, env) for archive in archives.values())
    found["max_rss_mb"] = (max(r.biggest_kb for r in everything) / 1024, summed / 1024)
    found["uv_rss_mb"] = (max(c.biggest_kb for c in cold) / 1024,
                          max(w.biggest_kb for w in linked) / 1024)
    return found


def _medians(runs: list[Timing]) -> Timing:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure(spec: Job, name: str, repeat: int, install_only: bool = False
            ) -> dict[str, Timing]:
    venv = _cached_venv(f"job-{name}", spec.requirements)
    pex = _cached_venv("pex", ["pex"])
    uv = _cached_venv("uv", ["uv"])
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as temp:
        root = Path(temp)
        job = _job(root, spec)
        base_env = {"PATH": "/usr/bin:/bin", "HOME": str(root)}
        if install_only:
            archive, plain = root / "job.jobpack.zip", root / "plain.jobpack.zip"
            _jobpack_build(job, venv, archive)
            _jobpack_build(job, venv, plain, "--no-bytecode")
            results = {"archive_mb": (archive.stat().st_size / 1e6, plain.stat().st_size / 1e6)}
            results.update(_install_yardsticks({"default": archive, "no_bytecode": plain},
                                               root, base_env, uv, repeat))
            return results
        archive, plain_archive, pex_file = _build(job, venv, root, pex)

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
        results.update(_install_yardsticks(
            {"default": archive, "no_bytecode": plain_archive}, root, base_env, uv, repeat))
        seconds, same = _rebuild(job, venv, archive)
        results["rebuild"] = (seconds, float(same))
    return results


def report(name: str, r: dict[str, Timing]) -> None:
    if "jobpack_first" in r:
        _report_runs(name, r)
    else:
        print(f"{name}: archive {r['archive_mb'][0]:.1f} MB ({r['archive_mb'][1]:.1f} MB "
              "with --no-bytecode); install phase only")
    (wall, cpu), (plain, plain_cpu) = r["runner_default"], r["runner_no_bytecode"]
    (uv, uv_cpu), (linked, linked_cpu) = r["uv_cold"], r["uv_warm"]
    print(f"  install phase, wall s (CPU s): runner {wall:.2f} ({cpu:.2f}), from the "
          f"--no-bytecode archive {plain:.2f} ({plain_cpu:.2f}) / uv pip install --offline "
          f"--no-deps, empty cache {uv:.2f} ({uv_cpu:.2f}) = {wall / uv:.2f}x "
          f"({plain / uv:.2f}x like with like, no bytecode; CPU {cpu / uv_cpu:.2f}x, "
          f"{plain_cpu / uv_cpu:.2f}x); uv with its cache filled (links only) "
          f"{linked:.2f} ({linked_cpu:.2f}); the layers' sha256 {r['check'][0]:.2f} s "
          f"before; peak RSS: biggest process {r['max_rss_mb'][0]:.0f} MB (uv "
          f"{r['uv_rss_mb'][0]:.0f} MB), the runner's process tree summed "
          f"{r['max_rss_mb'][1]:.0f} MB (sampled in a run of its own); load average "
          f"{r['load'][0]:.1f} -> {r['load'][1]:.1f} over the timed runs")
    if "rebuild" in r:
        print(f"  rebuild after a one-line change: {r['rebuild'][0]:.2f} s wall (a whole "
              f"jobpack build, analysis included); same bytes as a clean build: "
              f"{bool(r['rebuild'][1])}")


def _report_runs(name: str, r: dict[str, Timing]) -> None:
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
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--install-only", action="store_true",
                        help="only the install phase against uv (no pex, no rebuild)")
    parser.add_argument("--torch", action="store_true",
                        help="also the torch (CPU 2.13.0) job's install phase against uv")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    results = {}
    if not args.skip_small:
        results["small"] = measure(SMALL, "small", args.repeat, args.install_only)
        report("small job (pyyaml, attrs, python-dateutil + local package)", results["small"])
    if not args.skip_ml:
        results["ml"] = measure(ML, "ml", args.repeat, args.install_only)
        report("scikit-learn + matplotlib job", results["ml"])
    if args.torch:
        results["torch"] = measure(TORCH, "torch", args.repeat, install_only=True)
        report("torch (CPU) job", results["torch"])
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
