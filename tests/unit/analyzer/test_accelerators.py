"""Torch, JAX and TensorFlow builds against DataSphere's GPU and CPU configurations, and
local builds (`+cu121`) that PyPI does not serve."""

from __future__ import annotations

import pytest

from jobpack.analyzer.pins.accelerators import (
    accelerator_diagnostics,
    build_of,
    index_diagnostics,
    instance_kind,
)
from jobpack.layout import build_kind, local_label, serving_index
from jobpack.manifest import PipOptions, Requirement


def pin(name: str, version: str, **kwargs: str) -> Requirement:
    return Requirement(name=name, version=version, direct=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "kind"), [
    ("g1.1", "gpu"), ("g1.4", "gpu"), ("g2.1", "gpu"), ("g2.8", "gpu"), ("gt4.1", "gpu"),
    ("g2.mig", "gpu"), ("c1.4", "cpu"), ("c1.80", "cpu"), ("c2.16", "cpu"), ("x9", None),
])
def test_datasphere_configurations(name: str, kind: str | None) -> None:
    assert instance_kind(name) == kind


def test_local_labels_and_the_index_that_serves_them() -> None:
    assert (local_label("2.3.0+cu121"), build_kind("2.3.0+cu121")) == ("cu121", "cu")
    assert build_kind("2.3.0+rocm6.1") == "rocm" and build_kind("2.3.0") == ""
    assert serving_index("2.3.0+cpu") == "https://download.pytorch.org/whl/cpu"
    assert serving_index("2.3.0+rocm6.1") == "https://download.pytorch.org/whl/rocm6.1"
    assert serving_index("1.0+local") is None


@pytest.mark.parametrize(("requirement", "names", "build"), [
    (pin("torch", "2.13.0+cpu"), {"torch"}, "cpu"),
    (pin("torch", "2.3.0+cu121"), {"torch"}, "gpu"),
    (pin("torch", "2.5.1"), {"torch", "nvidia-cublas-cu12"}, "gpu"),  # PyPI's Linux torch
    (pin("torch", "2.5.1"), {"torch"}, "cpu"),  # installed without CUDA libraries
    (pin("torch", "2.5.1", tier="provided"), {"torch"}, None),  # a sparse image listing
    (pin("torch", "2.13.0+cpu", tier="provided", image_version="2.1.0+cu121"), {"torch"},
     "gpu"),  # the image's build counts, not the analysed one
    (pin("torch", "2.13.0+cpu", tier="provided"), {"torch"}, None),  # unknown in the image
    (pin("torch", "2.13.0+cpu", tier="provided"), {"torch", "nvidia-*", "triton"}, "gpu"),
    (pin("jaxlib", "0.4.30"), {"jax", "jaxlib"}, "cpu"),
    (pin("jaxlib", "0.4.30"), {"jaxlib", "jax-cuda12-plugin"}, "gpu"),
    (pin("tensorflow-cpu", "2.16.1"), set(), "cpu"),
    (pin("tensorflow", "2.16.1"), {"tensorflow"}, None),  # uses a system CUDA when found
    (pin("tensorflow", "2.16.1"), {"tensorflow", "nvidia-cudnn-cu12"}, "gpu"),
])
def test_the_build_of_a_framework(requirement: Requirement, names: set[str],
                                  build: str | None) -> None:
    assert build_of(requirement, frozenset(names)) == build


def test_a_cpu_torch_headed_for_a_gpu_machine_is_a_warning() -> None:
    [found] = accelerator_diagnostics([pin("torch", "2.13.0+cpu")], ["g1.1"])
    assert found.code == "cpu-build-on-gpu" and found.level == "warning"
    assert found.message.startswith("torch 2.13.0+cpu is a CPU-only build but "
                                    "cloud-instance-type g1.1 is a GPU machine")
    assert not accelerator_diagnostics([pin("torch", "2.13.0+cpu")], ["c1.4"])
    assert not accelerator_diagnostics([pin("torch", "2.13.0+cpu")], [])


def test_a_cuda_torch_headed_for_a_cpu_machine_is_a_warning() -> None:
    pins = [pin("torch", "2.5.1"), pin("nvidia-cublas-cu12", "12.4.5.8")]
    [found] = accelerator_diagnostics(pins, ["c1.8"])
    assert found.code == "cuda-build-on-cpu"
    assert "cloud-instance-type c1.8 has no GPU" in found.message
    assert not accelerator_diagnostics(pins, ["g2.1"])
    # the image's torch, named by a pip freeze of the image with its CUDA libraries
    provided = [pin("torch", "2.5.1", tier="provided", image_version="2.5.1")]
    [image] = accelerator_diagnostics(provided, ["c1.4"], ["torch", "nvidia-cudnn-cu12"])
    assert image.message.startswith("the image's torch 2.5.1 is a CUDA build")


def test_a_local_build_without_an_index_names_the_pytorch_index() -> None:
    [found] = index_diagnostics([pin("torch", "2.3.0+cu121"), pin("numpy", "1.26.4")],
                                PipOptions())
    assert found.code == "local-version-index"
    assert "https://download.pytorch.org/whl/cu121" in found.message
    configured = PipOptions(extra_index_urls=("https://download.pytorch.org/whl/cu121",))
    assert not index_diagnostics([pin("torch", "2.3.0+cu121")], configured)
    assert not index_diagnostics([pin("torch", "2.3.0+cu121", tier="provided")], PipOptions())
