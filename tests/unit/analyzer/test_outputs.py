"""Declared outputs that do not exist here: folder or file, decided before the job runs."""

from __future__ import annotations

from pathlib import Path

from jobpack.analyzer.datafiles import Read
from jobpack.analyzer.outputs import settle_outputs
from jobpack.manifest import DataPath


def settle(root: Path, names: list[str], reads: list[Read]) -> dict[str, bool]:
    outputs, _ = settle_outputs([DataPath(n) for n in names], root, reads, "config.yaml")
    return {o.path: o.folder for o in outputs}


def test_a_write_inside_a_missing_output_makes_it_a_folder_and_says_where(
        tmp_path: Path) -> None:
    reads = [Read(tmp_path / "art.v1" / "m.pkl", "write", "train.py", 7),
             Read(tmp_path / "runs", "mkdir", "train.py", 3),
             Read(tmp_path / "results", "write", "train.py", 9)]
    outputs, said = settle_outputs([DataPath("art.v1"), DataPath("runs"),
                                    DataPath("results")], tmp_path, reads, "config.yaml")
    assert [o.folder for o in outputs] == [True, True, False]  # results: written as a file
    assert [(d.code, d.path, d.line) for d in said] == [
        ("output-folder", "train.py", 7), ("output-folder", "train.py", 3)]
    assert "writes art.v1/m.pkl, inside it" in said[0].message


def test_with_no_evidence_the_name_decides(tmp_path: Path) -> None:
    outputs, said = settle_outputs([DataPath("models"), DataPath("result.json"),
                                    DataPath("model", "OUTPUT")], tmp_path, [], "config.yaml")
    # `- model: OUTPUT` (DataSphere's own example) writes a file named by ${OUTPUT}
    assert [o.folder for o in outputs] == [True, False, False]
    assert [(d.code, d.path) for d in said] == [("output-folder", "config.yaml")]


def test_an_output_the_cmd_names_is_left_to_the_cmd(tmp_path: Path) -> None:
    """`mv figures figures-txt` (spm1d_io's cmd): an empty figures-txt made first would
    have `mv` move figures into it."""
    outputs, said = settle_outputs([DataPath("figures-txt")], tmp_path, [], "config.yaml",
                                   "python a.py && mv figures figures-txt && python b.py")
    assert not outputs[0].folder and not said


def test_what_exists_here_or_the_config_says_is_kept(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("a file, oddly named")
    (tmp_path / "out.d").mkdir()
    reads = [Read(tmp_path / "models" / "x", "write", "train.py", 1)]
    assert settle(tmp_path, ["models", "out.d"], reads) == {"models": False, "out.d": False}
    outputs, _ = settle_outputs([DataPath("x.d", None, True)], tmp_path, [], None)
    assert outputs[0].folder


def test_a_variable_bound_output_is_judged_like_a_bare_one(tmp_path: Path) -> None:
    """`- models: MODEL_DIR`: the code writing inside it, its variable or the option that
    passes it can make it a folder; the name alone cannot (DataSphere's `- model: OUTPUT`
    is a file moved there)."""
    reads = [Read(tmp_path / "ckpt" / "last.pt", "write", "train.py", 4)]
    outputs = [DataPath("models", "MODEL_DIR"), DataPath("ckpt", "CKPT"),
               DataPath("logs", "OUT"), DataPath("runs", "OUTDIR"),
               DataPath("model", "OUTPUT"), DataPath("direction", "DIRECTION"),
               DataPath("best.pt", "BEST_DIR")]
    cmd = ("python train.py --save ${MODEL_DIR} --log-dir ${OUT} --runs=${OUTDIR} "
           "--result ${OUTPUT} --d ${DIRECTION} --best ${BEST_DIR}")
    settled, said = settle_outputs(outputs, tmp_path, reads, "config.yaml", cmd)
    assert [o.path for o in settled if o.folder] == ["models", "ckpt", "logs", "runs"]
    assert [d.line or d.path for d in said] == ["config.yaml", 4, "config.yaml",
                                                "config.yaml"]
    assert "its variable MODEL_DIR names a folder" in said[0].message
    assert "cmd passes it as --log-dir" in said[2].message
