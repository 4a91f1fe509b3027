"""Write real, installable wheels for tests (no network, no build backend)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WheelSpec:
    name: str
    version: str = "1.0"
    files: dict[str, str] = field(default_factory=dict)  # path in site-packages -> text
    requires: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    tag: str = "py3-none-any"
    purelib: bool = True
    extra_dist_info: dict[str, str] = field(default_factory=dict)

    @property
    def dist_info(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.dist-info"

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-{self.tag}.whl"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def write_wheel(spec: WheelSpec, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    metadata = ["Metadata-Version: 2.1", f"Name: {spec.name}", f"Version: {spec.version}"]
    metadata += [f"Provides-Extra: {extra}" for extra in spec.extras]
    metadata += [f"Requires-Dist: {req}" for req in spec.requires]
    wheel = [
        "Wheel-Version: 1.0", "Generator: jobpack-tests",
        f"Root-Is-Purelib: {'true' if spec.purelib else 'false'}", f"Tag: {spec.tag}",
    ]
    contents = dict(spec.files)
    contents[f"{spec.dist_info}/METADATA"] = "\n".join(metadata) + "\n"
    contents[f"{spec.dist_info}/WHEEL"] = "\n".join(wheel) + "\n"
    for name, text in spec.extra_dist_info.items():
        contents[f"{spec.dist_info}/{name}"] = text
    record_name = f"{spec.dist_info}/RECORD"
    lines = []
    path = folder / spec.filename
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in sorted(contents.items()):
            data = text.encode()
            archive.writestr(name, data)
            lines.append(f"{name},{_record_hash(data)},{len(data)}")
        lines.append(f"{record_name},,")
        archive.writestr(record_name, "\n".join(lines) + "\n")
    return path


def make_venv(folder: Path, *, with_pip: bool = True) -> Path:
    venv.EnvBuilder(with_pip=with_pip, clear=True).create(folder)
    return folder / "bin" / "python"


def pip_install(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "--quiet", "--no-index", *args],
        check=True, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"},
    )


def site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


__all__ = ["WheelSpec", "make_venv", "pip_install", "site_packages", "write_wheel", "sys"]
