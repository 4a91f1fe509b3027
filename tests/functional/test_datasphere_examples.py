"""The public DataSphere Jobs examples (fixtures/datasphere_examples, Apache-2.0, see
SOURCE.md), run through the installed `jobpack` as a user would: every config analyses
without an error, and what it says matches what each example is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.functional.test_cli import jobpack
from tests.functional.test_runner import run_archive

EXAMPLES = FIXTURES / "datasphere_examples"


def analyse(example: str, tmp_path: Path) -> dict[str, Any]:
    job = tmp_path / example
    shutil.copytree(EXAMPLES / example, job)
    result = jobpack("analyze", "--config", "config.yaml", "--json", cwd=job)
    assert result.returncode == 0, result.stderr
    manifest: dict[str, Any] = json.loads(result.stdout)
    assert not [d for d in manifest["diagnostics"] if d["level"] == "error"]
    return manifest


def codes(manifest: dict[str, Any]) -> set[str]:
    return {d["code"] for d in manifest["diagnostics"]}


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_every_real_config_analyses(example: str, tmp_path: Path) -> None:
    analyse(example, tmp_path)


def test_a_docker_image_job_ships_its_inputs_and_says_the_script_is_the_images(
        tmp_path: Path) -> None:
    manifest = analyse("nemo_docker_gpu", tmp_path)
    assert manifest["python"] == {"mode": "plain"}
    assert [f["path"] for f in manifest["inputs"]] == ["train.tsv", "dev.tsv"]
    [note] = [d for d in manifest["diagnostics"] if d["code"] == "image-entry-point"]
    assert "/workspace/nemo/examples/nlp/text_classification/" in note["message"]


def test_manual_requirements_answer_imports_not_installed_here(tmp_path: Path) -> None:
    # xllm, deepspeed and torch are in requirements.txt, not in this test venv
    manifest = analyse("deepspeed_manual", tmp_path)
    assert manifest["python"] == {"mode": "manual"}
    assert [r["name"] for r in manifest["requirements"]] == [
        "deepspeed", "packaging", "torch", "xllm"]
    assert "unresolved-import" not in codes(manifest)
    fully = analyse("fully_manual_py_env", tmp_path)
    assert [f["path"] for f in fully["local_files"]] == ["data.py", "main.py"]
    assert "unresolved-import" not in codes(fully)


def test_an_auto_job_finds_its_local_package_and_variables(tmp_path: Path) -> None:
    manifest = analyse("simple_python", tmp_path)
    assert [f["path"] for f in manifest["local_files"]] == [
        "lib/__init__.py", "lib/utils.py", "main.py"]
    assert manifest["cmd"] == "python main.py --data ${DATA} --result ${OUTPUT}"
    assert codes(manifest) == {"unresolved-import"}  # pandas: not in this test venv


def test_project_disk_and_dataset_variables_are_filled_at_run_time(tmp_path: Path) -> None:
    manifest = analyse("resources_usage", tmp_path)
    assert manifest["runtime_vars"] == ["CIFAR_10", "DS_PROJECT_HOME"]


def test_the_bash_example_runs_from_its_archive(tmp_path: Path) -> None:
    archive = tmp_path / "bash.zip"
    job = tmp_path / "simple_bash"
    shutil.copytree(EXAMPLES / "simple_bash", job)
    assert jobpack("build", "--config", "config.yaml", "-o", str(archive),
                   cwd=job).returncode == 0
    shutil.rmtree(job)
    ran = run_archive(archive, cwd=tmp_path, cache=tmp_path / "envs")
    assert ran.returncode == 0, ran.stderr
    [run] = (tmp_path / "jobpack-outputs").iterdir()
    assert (run / "output_text.txt").read_text().count("duck") >= 1
