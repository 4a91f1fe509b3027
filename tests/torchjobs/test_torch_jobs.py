"""Issue #20's torch targets, measured on real jobs in a data scientist's venv (torch CPU,
transformers, datasets, accelerate, pandas, scikit-learn, matplotlib, networkx; built once
per machine by `tests/support/cached_venv.py`): each job runs once under the import
recorder, then is analysed statically. Missed: distributions the run imported that are not
pinned (must be 0). Beyond: pins outside pip's closure of what the run imported (target:
at most 2, and at most 5% of the closure's size).

The jobs (see SOURCES.md): pytorch/examples word_language_model and karpathy/nanoGPT's
train.py, verbatim, made tiny through their own arguments and config files; a Trainer
fine-tuning of a BertConfig-built model. The figures are printed (`-s`) whatever happens.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.trace import record_imports
from tests.support.cached_venv import cache_home, ensure_venv
from tests.torchjobs.measure import Measure, closure_of, measure

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
JOBS = HERE / "jobs"
# word_language_model is the GPU page's bundled example (fixtures/gpu): one copy of it.
FOLDERS = {"word_language_model": HERE.parent.parent / "fixtures" / "gpu"}
WORDS = ("the", "model", "reads", "a", "small", "corpus", "of", "made", "up", "words",
         "and", "learns", "which", "word", "comes", "next", "in", "every", "line")


@pytest.fixture(scope="session")
def torch_python() -> Path:
    return ensure_venv("torch", HERE / "requirements.txt")


def _word_language_model(job: Path) -> list[str]:
    rng = random.Random(0)
    for split, lines in (("train", 40), ("valid", 10), ("test", 10)):
        text = "".join(" ".join(rng.choice(WORDS) for _ in range(12)) + "\n"
                       for _ in range(lines))
        (job / "data" / "tiny").mkdir(parents=True, exist_ok=True)
        (job / "data" / "tiny" / f"{split}.txt").write_text(text)
    return ["python", "main.py", "--data", "data/tiny", "--epochs", "1", "--emsize", "8",
            "--nhid", "8", "--nlayers", "1", "--bptt", "5", "--batch_size", "2",
            "--dry-run", "--save", "model.pt"]


def _nanogpt(job: Path) -> list[str]:
    rng = random.Random(0)
    folder = job / "data" / "tiny"
    folder.mkdir(parents=True)
    for split, count in (("train", 2000), ("val", 500)):
        array("H", (rng.randrange(64) for _ in range(count))).tofile(
            (folder / f"{split}.bin").open("wb"))
    (folder / "meta.pkl").write_bytes(pickle.dumps({"vocab_size": 64}))
    return ["python", "train.py", "config/tiny.py"]


def _finetune(job: Path) -> list[str]:
    return ["python", "main.py", "--output", "out", "--steps", "2"]


JOB_SETUPS: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    "word_language_model": ("main.py", _word_language_model),
    "nanogpt": ("train.py", _nanogpt),
    "finetune": ("main.py", _finetune),
}


def run_and_measure(name: str, python: Path, tmp_path: Path) -> Measure:
    entry, setup = JOB_SETUPS[name]
    job = tmp_path / name
    shutil.copytree(FOLDERS.get(name, JOBS / name), job)
    argv = setup(job)
    environ = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
               "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    code, imported, _ = record_imports(argv, python=str(python), cwd=job, env=environ)
    assert code == 0, f"{name} failed when run directly"
    analysis = jobpack.analyze([job / entry], python=str(python), root=job,
                               cache_dir=cache_home() / "torch-facts")
    result = measure(analysis, imported)
    print("\n" + result.render(name))
    if "transformers" in result.beyond:  # nanoGPT: what transformers' closure weighs
        assert analysis.environment is not None
        index = DistributionIndex.from_paths(analysis.environment.distribution_paths)
        count, share = result.without(closure_of("transformers", analysis), index)
        print(f"{name} without transformers' closure: beyond {count} ({100 * share:.1f}%)")
    return result


@pytest.mark.parametrize("name", sorted(JOB_SETUPS))
def test_pins_against_the_runtime_truth(name: str, torch_python: Path,
                                           tmp_path: Path) -> None:
    result = run_and_measure(name, torch_python, tmp_path)
    assert not result.missed
    if name == "nanogpt":  # GPT.from_pretrained runs only under `elif init_from...`
        assert result.tiers["transformers"] == "optional"
    if len(result.beyond) > 2 or result.beyond_share > 0.05:
        pytest.xfail("issue #20: pins beyond the runtime closure exceed the target "
                     "(<= 2 and <= 5% of its size) until the analyzer's reachability "
                     f"rule lands: {result.render(name)}")
