"""What the image provides: listings, interpreters, and the pins they take off the archive."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.provided import (
    ImageDistribution,
    ProvidedSet,
    read_interpreter,
    read_listing,
    read_provided,
)
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.errors import EnvironmentInspectionError, RequirementsFileError
from jobpack.manifest import Requirement
from tests.unit.analyzer.test_requirements import T311, dist, job_imports

FREEZE = """\
# a pip freeze of the image, as `pip freeze > image.txt` writes it
numpy==1.24.2
torch==2.1.0+cu121
nvidia-*
triton===2.1.0
requests>=2
dbus-python @ file:///build/dbus-python-1.3.2
-e git+https://example.org/tool.git@0123abc#egg=tool
"""


def test_a_pip_freeze_listing_gives_names_and_the_images_versions(tmp_path: Path) -> None:
    listing = tmp_path / "image.txt"
    listing.write_text(FREEZE)
    image = read_listing(listing)
    versions = {item.name: item.version for item in image.items}
    assert versions == {"numpy": "1.24.2", "torch": "2.1.0+cu121", "nvidia-*": "",
                        "triton": "2.1.0", "requests": "", "dbus-python": "", "tool": ""}
    assert image.get("nvidia-cublas-cu12") == ImageDistribution("nvidia-*", "",
                                                                 f"{listing}:4")
    assert image.get("Torch") is not None and image.get("pandas") is None
    assert image.get("numpy").source == f"{listing}:2"  # type: ignore[union-attr]


def test_a_line_that_names_no_distribution_is_one_error_with_its_line(tmp_path: Path) -> None:
    listing = tmp_path / "image.txt"
    listing.write_text("numpy==1.24.2\nthis is not a requirement\n")
    with pytest.raises(RequirementsFileError) as caught:
        read_listing(listing)
    assert caught.value.line == 2 and "not a distribution" in str(caught.value)
    with pytest.raises(RequirementsFileError, match="no such file"):
        read_listing(tmp_path / "absent.txt")


def test_an_interpreter_lists_its_distributions_without_importing_them(tmp_path: Path) -> None:
    image = read_interpreter(sys.executable)
    pytest_entry = image.get("pytest")
    assert pytest_entry is not None and pytest_entry.version == pytest.__version__
    assert pytest_entry.source == sys.executable
    with pytest.raises(EnvironmentInspectionError, match="--provided-python"):
        read_interpreter(str(tmp_path / "no-python"))
    assert not read_provided()


TORCH = dist("torch", "sympy>=1.13", "nvidia-cublas-cu12; platform_system == 'Linux'",
             "filelock", version="2.13.0")
ACCELERATE = dist("accelerate", "torch>=2.0", "numpy", version="1.0.0")


def _resolve(image: ProvidedSet, *dists: InstalledDistribution,
             imports: tuple[str, ...] = ("torch",),
             ) -> tuple[dict[str, Requirement], list[tuple[str, str]]]:
    pins, diagnostics = resolve_requirements(job_imports(*imports), DistributionIndex(dists),
                                             T311, provided=image)
    return {r.name: r for r in pins}, [(d.code, d.message) for d in diagnostics]


def _image(**versions: str) -> ProvidedSet:
    return ProvidedSet(tuple(ImageDistribution(n.replace("_", "-"), v, "image.txt:1")
                             for n, v in versions.items()))


def test_a_provided_pin_is_recorded_and_what_only_it_needs_is_left_to_the_image() -> None:
    everything = (TORCH, ACCELERATE, dist("numpy"), dist("sympy", "mpmath"), dist("mpmath"),
                  dist("nvidia-cublas-cu12"), dist("filelock"))
    pins, said = _resolve(_image(torch="2.13.0", nvidia_cublas_cu12=""), *everything,
                          imports=("torch", "accelerate"))
    assert sorted(pins) == ["accelerate", "numpy", "torch"]
    torch = pins["torch"]
    assert (torch.tier, torch.version, torch.image_version) == (
        "provided", "2.13.0", "2.13.0")
    assert pins["numpy"].tier == "required"
    assert ("left-to-image", "provided by the image, not shipped: torch; also left to it, since "
            "only those need them: filelock, mpmath, nvidia-cublas-cu12, sympy") in said


def test_a_pin_the_job_needs_besides_the_provided_one_still_ships() -> None:
    pins, _ = _resolve(_image(torch="2.13.0"), TORCH, dist("sympy", "mpmath"), dist("mpmath"),
                       dist("nvidia-cublas-cu12"), dist("filelock"),
                       imports=("torch", "sympy"))
    assert sorted(pins) == ["mpmath", "sympy", "torch"]


@pytest.mark.parametrize(("image", "why"), [
    ("3.0.0", "another major version"),
    ("2.13.0+cu121", "another build (+cu121 against no label)"),
    ("2.5.1", None),
])
def test_the_images_version_is_compared_with_the_analysed_one(image: str, why: str | None
                                                               ) -> None:
    _, said = _resolve(_image(torch=image), TORCH, dist("sympy"), dist("filelock"),
                       dist("nvidia-cublas-cu12"))
    found = [m for c, m in said if c == "provided-mismatch"]
    if why is None:
        assert not found
    else:
        assert found == [f"torch: the image has {image} (image.txt:1) but 2.13.0 was "
                         f"analysed: {why}; the job runs on the image's"]


def test_a_shipped_pin_whose_range_the_image_misses_is_a_warning() -> None:
    _, said = _resolve(_image(torch="1.13.1"), TORCH, ACCELERATE, dist("numpy"),
                       dist("sympy"), dist("filelock"), dist("nvidia-cublas-cu12"),
                       imports=("accelerate",))
    assert ("provided-conflict", "accelerate requires torch>=2.0 but the image has torch "
            "1.13.1 (image.txt:1)") in said


def test_a_provided_distribution_not_installed_here_satisfies_what_requires_it() -> None:
    pins, said = _resolve(_image(torch="2.1.0+cu121"), ACCELERATE, dist("numpy"),
                          imports=("accelerate",))
    assert sorted(pins) == ["accelerate", "numpy", "torch"]
    torch = pins["torch"]
    assert (torch.tier, torch.version, torch.image_version, torch.required_by) == (
        "provided", "", "2.1.0+cu121", ("accelerate",))
    assert not [c for c, _ in said if c == "requirement-not-installed"]
