"""Torch, JAX and TensorFlow builds against the machine they are headed for.

A framework pin is a CUDA (or ROCm) build when its version carries a `+cu121` /
`+rocm6.1` label or when NVIDIA's `nvidia-*` distributions come with it; a CPU build when
it says `+cpu`, is `tensorflow-cpu`, or (torch, jaxlib) comes without any of that. The
config's `cloud-instance-type(s)` name the machine: DataSphere's GPU configurations start
with `g` (g1.1 V100, g2.1 A100, gt4.1 T4, g2.mig), its CPU ones with `c` (c1.4, c1.8).
A CPU build on a GPU type wastes the GPU; a CUDA build on a CPU type ships gigabytes of
CUDA for nothing. Both are warnings; so is a pin with a local version label when no index
that serves it is configured (PyPI serves none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from jobpack.diagnostics import (
    CPU_BUILD_ON_GPU,
    CUDA_BUILD_ON_CPU,
    IMAGE_NOT_PROVIDED,
    LOCAL_VERSION_INDEX,
)
from jobpack.layout import PYTORCH_INDEX, build_kind, local_label, serving_index
from jobpack.manifest import Diagnostic, PipOptions, Requirement

if TYPE_CHECKING:
    from jobpack.analyzer.job import Job
    from jobpack.analyzer.pins.provided import ProvidedSet
    from jobpack.analyzer.pins.resolve import Resolution

_GPU_KINDS = {"cu", "cuda", "rocm"}
_JAX_GPU = re.compile(r"^(jax-cuda\d+-(plugin|pjrt)|jax-rocm\d+-(plugin|pjrt))$")


def instance_kind(name: str) -> str | None:
    """'gpu' or 'cpu' for a DataSphere configuration name; None when it is not one."""
    lowered = name.strip().lower()
    if re.match(r"^g[a-z]*\d", lowered):
        return "gpu"
    if re.match(r"^c\d", lowered):
        return "cpu"
    return None


def build_of(requirement: Requirement, names: frozenset[str]) -> str | None:
    """'gpu', 'cpu' or None (cannot tell) for a torch, jax(lib) or tensorflow pin, given
    the names of everything that ships or the image provides beside it."""
    # the image's build is what runs; a listing that names no version says nothing of it
    version = (requirement.image_version or "") if requirement.tier == "provided" \
        else requirement.version
    kind = build_kind(version)
    if kind in _GPU_KINDS:
        return "gpu"
    if kind == "cpu" or requirement.name == "tensorflow-cpu":
        return "cpu"
    cuda = any(n.startswith("nvidia-") for n in names)
    if requirement.name in {"torch", "tensorflow"} and cuda:
        return "gpu"
    if requirement.name == "jaxlib":
        return "gpu" if cuda or any(_JAX_GPU.match(n) for n in names) else "cpu"
    if requirement.name == "torch" and requirement.tier != "provided":
        return "cpu"  # installed without its CUDA libraries: a CPU (or foreign) build
    return None


def accelerator_diagnostics(requirements: Sequence[Requirement],
                            instance_types: Sequence[str],
                            image_names: Iterable[str] = ()) -> list[Diagnostic]:
    """A warning per framework whose build does not fit the configured instance types."""
    names = frozenset({r.name for r in requirements} | set(image_names))
    found = []
    for requirement in requirements:
        if requirement.name not in {"torch", "jaxlib", "tensorflow", "tensorflow-cpu"}:
            continue
        build = build_of(requirement, names)
        for instance in instance_types:
            wanted = instance_kind(instance)
            if build is None or wanted is None or wanted == build:
                continue
            found.append(_mismatch(requirement, build, instance))
            break
    return found


def _mismatch(requirement: Requirement, build: str, instance: str) -> Diagnostic:
    version = requirement.image_version or requirement.version
    what = f"{requirement.name} {version}".strip()
    where = "the image's " if requirement.tier == "provided" else ""
    if build == "cpu":
        return CPU_BUILD_ON_GPU.note(
            f"{where}{what} is a CPU-only build but cloud-instance-type {instance} is a GPU "
            f"machine: the job will not use the GPU; install a CUDA build (e.g. from "
            f"{PYTORCH_INDEX}/cu121) or use a CPU configuration")
    return CUDA_BUILD_ON_CPU.note(
        f"{where}{what} is a CUDA build but cloud-instance-type {instance} has no GPU: its "
        f"CUDA libraries ship and install for nothing; install the CPU build "
        f"({PYTORCH_INDEX}/cpu) or use a GPU configuration")


def index_diagnostics(requirements: Sequence[Requirement], pip: PipOptions
                      ) -> list[Diagnostic]:
    """A pin with a local version label (`torch==2.3.0+cu121`) that no configured index
    can serve: PyPI never does. Named with the PyTorch index that does, when known."""
    if pip.index_url or pip.extra_index_urls or pip.find_links:
        return []  # the job names its own index; pip finds out
    found = []
    for requirement in requirements:
        if requirement.tier == "provided" or not local_label(requirement.version):
            continue
        found.append(LOCAL_VERSION_INDEX.note(f"{requirement.name}=={requirement.version}: "
                                f"{unserved(requirement.version)}"))
    return found


def unserved(version: str) -> str:
    """Why PyPI cannot serve a local-labelled version, and what to configure instead."""
    index = serving_index(version)
    where = f"the PyTorch index {index}" if index else "the index that built it"
    return (f"a local build PyPI does not serve; add {where} to env.python.pip."
            f"extra-index-urls (or --extra-index-url in a requirements-file), or leave it "
            f"to the image with --provided")


def machine_diagnostics(job: Job, resolution: Resolution, image: ProvidedSet
                        ) -> list[Diagnostic]:
    """What the analysis says about the machine and image the job is headed for."""
    config = job.config
    types = config.instance_types if config is not None else ()
    names = [i.name for i in image.items]  # `nvidia-*` in a listing counts too
    found = accelerator_diagnostics(resolution.requirements, types, names)
    found += index_diagnostics(resolution.requirements, resolution.pip)
    if config is not None and config.docker and not image and resolution.requirements:
        found.append(IMAGE_NOT_PROVIDED.at(
            config.file.name, None, "env.docker: what the image already has ships and "
            "installs again; name it with --provided FILE (a pip freeze of the image) or "
            "--provided-python PATH"))
    return found
