"""The job's own functions that only an undecidable branch calls: their imports are pinned
in the optional tier (`jobpack/analyzer/walk/branches.py`, docs/reachability.md)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.analyzer.walk.branches import branch_only_names, mark_branch_only
from jobpack.analyzer.walk.walker import Entry, Walker
from jobpack.report import how_it_runs
from jobpack.target import Target

T311 = Target(3, 11)
NANOGPT = Path(__file__).resolve().parents[2] / "torchjobs" / "jobs" / "nanogpt"


def test_nanogpt_calls_from_pretrained_only_in_a_branch_its_config_decides() -> None:
    # karpathy/nanoGPT's train.py (unmodified): `elif init_from.startswith('gpt2'):
    # model = GPT.from_pretrained(init_from, override_args)`; model.py's from_pretrained
    # imports transformers inside the method
    names = branch_only_names([NANOGPT / "train.py", NANOGPT / "model.py"], T311,
                              frozenset({"train", "model", "configurator"}))
    assert "from_pretrained" in names
    # called at module level, outside any branch: runs for sure
    assert "configure_optimizers" not in names
    # GPT2LMHeadModel.from_pretrained inside it is transformers' (`transformers:...`), and
    # `model = GPT(config)` there names GPT outside any branch
    assert "GPT" not in names and "crop_block_size" in names


def _write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(dedent(text), encoding="utf-8")


def test_main_guards_and_decided_tests_are_no_undecidable_branch(tmp_path: Path) -> None:
    _write(tmp_path, {"main.py": """
        import sys
        def decided(): ...
        def never(): ...
        def guarded(): ...
        def chosen(): ...
        if sys.version_info >= (3, 8):
            decided()
        else:
            never()
        if __name__ == "__main__":
            guarded()
            if sys.argv[1] == "x":
                chosen()
        """})
    assert branch_only_names([tmp_path / "main.py"], T311) == {"never", "chosen"}


JOB = {
    "main.py": """
        import sys
        import helper
        helper.train()
        if sys.argv[1] == "pretrained":
            helper.pretrained()
        """,
    "helper.py": """
        def train():
            import depfit
        def pretrained():
            import lib
        """,
}


def _dist(name: str) -> InstalledDistribution:
    return InstalledDistribution(name, "1.0", (), (), frozenset({name}), None, (),
                                 True, False, (), frozenset({name}), None)


def test_an_import_of_a_function_only_a_branch_calls_is_optional(tmp_path: Path) -> None:
    site, root = tmp_path / "site", tmp_path / "job"
    _write(site, {"lib.py": "", "depfit.py": ""})
    _write(root, JOB)
    walker = Walker(root, T311, FactsStore(T311, None),
                    lambda name: name if (site / f"{name}.py").is_file() else None,
                    site_paths=(site,))
    result = walker.walk([Entry(root / "main.py", "main.py")])
    mark_branch_only(result.graph, result.local_files, T311)
    index = DistributionIndex([_dist("lib"), _dist("depfit")])
    pins, _ = resolve_requirements(result.graph, index, T311)
    assert {pin.name: pin.tier for pin in pins} == {"depfit": "required", "lib": "optional"}
    site_of_lib, = result.graph.get_import_sites("helper", "lib")
    assert how_it_runs(site_of_lib) == \
        "in function pretrained, called only in an undecidable branch"
