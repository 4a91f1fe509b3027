"""`--on-demand NAME`: the user puts a distribution in the optional tier, with what only it
makes required, on real distributions (jobpack's own: typer requires rich, which requires
markdown-it-py and pygments; markdown-it-py requires mdurl)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jobpack

TYPER_JOB = "import typer\nprint(typer.__name__)\n"
RICH_STACK = {"rich", "markdown-it-py", "mdurl", "pygments"}


def _tiers(folder: Path, source: str, on_demand: tuple[str, ...] = ()
           ) -> tuple[dict[str, str], jobpack.Analysis]:
    (folder / "main.py").write_text(source)
    analysis = jobpack.analyze([folder / "main.py"], python=sys.executable,
                               cache_dir=folder / "cache", on_demand=on_demand)
    return {r.name: r.tier for r in analysis.manifest.requirements}, analysis


def test_a_distribution_and_what_only_it_makes_required_go_to_the_optional_tier(
        tmp_path: Path) -> None:
    before, _ = _tiers(tmp_path, TYPER_JOB)
    assert {before[n] for n in RICH_STACK} == {"required"}, before
    after, analysis = _tiers(tmp_path, TYPER_JOB, ("Rich",))  # any spelling of the name
    assert set(after) == set(before)  # still pinned: nothing is left out
    assert {n for n, tier in after.items() if tier == "optional"} == RICH_STACK
    assert after["typer"] == "required"
    [note] = [d for d in analysis.diagnostics if d.code == "on-demand"]
    assert note.message == ("--on-demand rich: in the optional tier, installed when the job "
                            "first imports it; so are markdown-it-py, mdurl, pygments, which "
                            "only it made required")


def test_what_is_required_another_way_stays_required(tmp_path: Path) -> None:
    after, _ = _tiers(tmp_path, "import pygments\n" + TYPER_JOB, ("rich",))
    assert after["pygments"] == "required"  # the job imports it itself
    assert {after[n] for n in ("rich", "markdown-it-py", "mdurl")} == {"optional"}


def test_a_name_the_job_does_not_need_is_a_warning(tmp_path: Path) -> None:
    before, _ = _tiers(tmp_path, TYPER_JOB)
    after, analysis = _tiers(tmp_path, TYPER_JOB, ("no-such-thing",))
    assert after == before
    [warning] = [d for d in analysis.diagnostics if d.code == "on-demand-unknown"]
    assert warning.level == "warning"
    assert "no-such-thing" in warning.message


def test_why_says_the_tier_comes_from_on_demand(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(TYPER_JOB)

    def why(name: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jobpack", "why", name, "main.py", "--python",
             sys.executable, "--on-demand", "rich", "--cache-dir", str(tmp_path / "cache")],
            cwd=tmp_path, capture_output=True, text=True, check=True)
        return done.stdout

    assert "rich is in the optional tier: --on-demand named it" in why("rich")
    assert ("pygments is in the optional tier: only what --on-demand named (rich) makes it "
            "required") in why("pygments")


def test_pins_a_requirements_file_declares_are_not_moved_and_it_says_so(
        tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import yaml\n")
    (tmp_path / "requirements.txt").write_text("pyyaml\n")
    (tmp_path / "config.yaml").write_text(
        "cmd: python main.py\nenv:\n  python:\n    type: manual\n"
        "    requirements-file: requirements.txt\n")
    analysis = jobpack.analyze(config=tmp_path / "config.yaml", python=sys.executable,
                               cache_dir=tmp_path / "cache", exclude=["pyyaml"],
                               on_demand=["pyyaml"])
    assert [(r.name, r.tier) for r in analysis.manifest.requirements] == [
        ("pyyaml", "required")]
    [warning] = [d for d in analysis.diagnostics if d.code == "not-applied"]
    assert warning.message == (
        "--exclude pyyaml, --on-demand pyyaml: not applied: requirements.txt "
        "(env.python.requirements-file) declares the requirements; edit it there")


def test_pins_a_pep_723_block_declares_are_not_moved_and_it_says_so(tmp_path: Path) -> None:
    block = '# /// script\n# dependencies = ["pyyaml"]\n# ///\n'
    tiers, analysis = _tiers(tmp_path, block + "import yaml\n", ("pyyaml",))
    assert tiers == {"pyyaml": "required"}
    [warning] = [d for d in analysis.diagnostics if d.code == "not-applied"]
    assert warning.message.startswith("--on-demand pyyaml: not applied: main.py's PEP 723 "
                                      "block declares the requirements")
    _, plain = _tiers(tmp_path, block + "import yaml\n")
    assert not [d for d in plain.diagnostics if d.code == "not-applied"]


def test_what_the_image_provides_is_left_to_it_not_installed_on_demand(
        tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(TYPER_JOB)
    (tmp_path / "image.txt").write_text("rich==99.0\n")
    analysis = jobpack.analyze([tmp_path / "main.py"], python=sys.executable,
                               cache_dir=tmp_path / "cache", on_demand=["rich", "mdurl"],
                               provided=[tmp_path / "image.txt"])
    tiers = {r.name: r.tier for r in analysis.manifest.requirements}
    assert tiers["rich"] == "provided" and "mdurl" not in tiers  # left to the image
    codes = [d.code for d in analysis.diagnostics]
    assert "left-to-image" in codes
    assert "on-demand" not in codes and "on-demand-unknown" not in codes


def test_a_lone_name_is_one_name_and_an_unknown_one_is_named_as_written(
        tmp_path: Path) -> None:
    # the library's list arguments take a single string too (it was split into letters:
    # `exclude="rich"` warned of `r`, `i`, `c` and `h`)
    (tmp_path / "main.py").write_text(TYPER_JOB)
    analysis = jobpack.analyze(str(tmp_path / "main.py"), python=sys.executable,
                               cache_dir=tmp_path / "cache", on_demand="Rich",
                               exclude="../Not_Here.py")
    tiers = {r.name: r.tier for r in analysis.manifest.requirements}
    assert tiers["rich"] == "optional" and tiers["typer"] == "required"
    assert [d.message for d in analysis.diagnostics if d.code.endswith("-unknown")] == [
        "--exclude '../Not_Here.py': the job needs no distribution of that name"]
