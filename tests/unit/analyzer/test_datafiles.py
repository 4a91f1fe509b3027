"""The files a job reads ship beside its code, or are reported: missing, too big, excluded."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.api import Analysis

TRAIN = """\
import json
from pathlib import Path

import yaml

HERE = Path(__file__).parent
params = yaml.safe_load(open("params.yaml"))["train"]
exec(open("configurator.py").read())


def load():
    with open(HERE / "data" / "iris.csv") as stream:
        return stream.read()


if __name__ == "__main__":
    print(json.dumps(params), len(load()))
"""


def project(folder: Path, cmd: str = "python train.py") -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "train.py").write_text(TRAIN)
    (folder / "configurator.py").write_text("import csv\n")
    (folder / "params.yaml").write_text("train: {seed: 1}\n")
    (folder / "data" / "iris.csv").write_text("a,b\n1,2\n")
    (folder / "config.yaml").write_text(f"cmd: {cmd}\n")
    return folder


def analyze(folder: Path, **options: object) -> Analysis:
    return jobpack.analyze(config=folder / "config.yaml", python=sys.executable,
                           no_cache=True, **options)  # type: ignore[arg-type]


def codes(analysis: Analysis) -> list[tuple[str | None, int | None, str]]:
    return [(d.path, d.line, d.code) for d in analysis.diagnostics]


def test_read_files_ship_with_who_reads_them_and_exec_code_is_walked(tmp_path: Path) -> None:
    analysis = analyze(project(tmp_path))
    manifest = analysis.manifest
    assert {f.path: f.read_by for f in manifest.data_files} == {
        "data/iris.csv": ("train.py:12",), "params.yaml": ("train.py:7",)}
    assert {f.path for f in manifest.local_files} == {"train.py", "configurator.py"}
    assert ("train.py", 7, "data-file") in codes(analysis)
    assert "csv" in {m.name for m in analysis.graph.find_modules("stdlib")}
    assert manifest.data_files[0].sha256 and manifest.data_files[0].size == 8


def test_a_missing_file_is_a_warning_and_ships_nothing(tmp_path: Path) -> None:
    folder = project(tmp_path)
    (folder / "params.yaml").unlink()
    analysis = analyze(folder)
    assert ("train.py", 7, "read-missing") in codes(analysis)
    assert [f.path for f in analysis.manifest.data_files] == ["data/iris.csv"]


def test_exclude_file_leaves_a_read_file_out(tmp_path: Path) -> None:
    analysis = analyze(project(tmp_path), exclude_files=["data"])
    assert [f.path for f in analysis.manifest.data_files] == ["params.yaml"]
    analysis = analyze(tmp_path, exclude_files=["*.yaml"])
    assert [f.path for f in analysis.manifest.data_files] == ["data/iris.csv"]


def test_cmd_arguments_naming_files_ship_but_outputs_do_not(tmp_path: Path) -> None:
    folder = project(tmp_path, "python train.py data/extra.txt --out=model.pkl")
    (folder / "data" / "extra.txt").write_text("x")
    (folder / "model.pkl").write_bytes(b"old")
    (folder / "config.yaml").write_text(
        "cmd: python train.py data/extra.txt --out=model.pkl\noutputs:\n  - model.pkl\n")
    analysis = analyze(folder)
    shipped = {f.path: f.read_by for f in analysis.manifest.data_files}
    assert shipped["data/extra.txt"] == ("config.yaml (cmd)",)
    assert "model.pkl" not in shipped


def test_a_big_file_or_folder_does_not_ship_and_names_its_inputs_entry(tmp_path: Path
                                                                       ) -> None:
    folder = project(tmp_path)
    with (folder / "data" / "iris.csv").open("wb") as stream:
        stream.truncate(101 * 2**20)  # sparse: costs no disk
    analysis = analyze(folder)
    (big,) = [d for d in analysis.diagnostics if d.code == "data-file-too-big"]
    assert (big.path, big.line) == ("train.py", 12)
    assert "inputs: [data/iris.csv]" in big.message
    assert [f.path for f in analysis.manifest.data_files] == ["params.yaml"]


def test_hydra_ships_its_config_folder_and_checks_the_config_name(tmp_path: Path) -> None:
    (tmp_path / "conf" / "db").mkdir(parents=True)
    (tmp_path / "conf" / "config.yaml").write_text("defaults:\n  - db: mysql\n")
    (tmp_path / "conf" / "db" / "mysql.yaml").write_text("driver: mysql\n")
    (tmp_path / "app.py").write_text(
        "import hydra\n\n@hydra.main(version_base=None, config_path='conf', "
        "config_name='config')\ndef app(cfg):\n    print(cfg)\n\n"
        "@hydra.main(config_path='conf', config_name='nope')\ndef other(cfg):\n    pass\n")
    (tmp_path / "config.yaml").write_text("cmd: python app.py\n")
    analysis = analyze(tmp_path)
    assert {f.path: f.read_by for f in analysis.manifest.data_files} == {
        "conf/config.yaml": ("app.py:3", "app.py:7"),
        "conf/db/mysql.yaml": ("app.py:3", "app.py:7")}
    assert ("app.py", 7, "read-missing") in codes(analysis)


def test_a_rootutils_marker_ships(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / ".project-root").write_text("")
    (tmp_path / "src" / "train.py").write_text(
        "import rootutils\nrootutils.setup_root(__file__, indicator='.project-root')\n")
    (tmp_path / "config.yaml").write_text("cmd: python src/train.py\n")
    analysis = analyze(tmp_path)
    assert [f.path for f in analysis.manifest.data_files] == [".project-root"]


def test_a_relative_read_above_the_job_folder_is_a_warning(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    (tmp_path / "shared.csv").write_text("x")
    (job / "main.py").write_text("open('../shared.csv')\nopen('/etc/hostname')\n")
    (job / "config.yaml").write_text("cmd: python main.py\n")
    analysis = analyze(job)
    assert ("main.py", 1, "read-outside-root") in codes(analysis)
    assert ("main.py", 2, "read-outside-root") not in codes(analysis)  # absolute: the VM's
    assert analysis.manifest.data_files == ()


def test_the_archive_carries_the_data_files_beside_the_code(tmp_path: Path) -> None:
    folder = project(tmp_path / "job")
    result = jobpack.build(analyze(folder), tmp_path / "job.jobpack.zip")
    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        assert {"src/params.yaml", "src/data/iris.csv", "src/configurator.py"} <= names
        assert archive.read("src/params.yaml") == b"train: {seed: 1}\n"


def test_a_data_file_edited_after_the_analysis_is_refused_by_the_build(tmp_path: Path
                                                                       ) -> None:
    folder = project(tmp_path / "job")
    analysis = analyze(folder)
    (folder / "params.yaml").write_text("train: {seed: 2}\n")
    with pytest.raises(jobpack.JobpackError, match=r"params\.yaml"):
        jobpack.build(analysis, tmp_path / "job.jobpack.zip")


def test_hydra_config_in_the_scripts_own_folder_ships_its_yaml_only(tmp_path: Path) -> None:
    (tmp_path / "outputs" / "2026-01-01" / ".hydra").mkdir(parents=True)
    (tmp_path / "outputs" / "2026-01-01" / ".hydra" / "config.yaml").write_text("old: 1\n")
    (tmp_path / "config.yaml").write_text("cmd: python app.py\n")
    (tmp_path / "notes.txt").write_text("not config")
    (tmp_path / "app.py").write_text(
        "import hydra\n@hydra.main(config_path='.', config_name='config')\n"
        "def app(cfg):\n    pass\n")
    analysis = analyze(tmp_path)
    assert [f.path for f in analysis.manifest.data_files] == ["config.yaml"]
