"""The machine a job will run on: Linux x86_64 and one CPython version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag

from jobpack.errors import TargetError
from jobpack.layout import same_python

PLATFORM = "linux_x86_64"
_GLIBC_MINORS = range(39, 4, -1)  # manylinux_2_39 down to manylinux_2_5
OLDEST = (3, 8)  # the oldest Python the runner runs on
_VERSION = re.compile(r"^(3)\.(\d{1,2})(?:\.(\d{1,3}))?$")


@dataclass(frozen=True, order=True)
class Target:
    """A target Python on Linux x86_64: `3.11.7`, or `3.11` when no micro version is known
    (the target was asked as X.Y and no interpreter of that X.Y was analysed).

    Decided once (`for_job`), then carried as this value from the analysis to the archive:
    markers, pip's `--python-version` and the manifest all see the same version."""

    major: int
    minor: int
    micro: int | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse `3.11` or `3.11.4`; anything else is a `TargetError`."""
        match = _VERSION.match(text.strip())
        if match is None:
            raise TargetError(f"invalid target Python version {text!r} (expected e.g. 3.11)")
        micro = match.group(3)
        return cls.of((int(match.group(1)), int(match.group(2)),
                       *(() if micro is None else (int(micro),))))

    @classmethod
    def of(cls, version: tuple[int, ...]) -> Target:
        """The target of an interpreter's `version_info` (X.Y or X.Y.Z and more); a
        `TargetError` when the runner cannot run there."""
        target = cls(version[0], version[1], version[2] if len(version) > 2 else None)
        if (target.major, target.minor) < OLDEST:
            hint = " (did you mean 3.10?)" if target.minor == 1 else ""
            raise TargetError(f"target Python {target.full_version} is not supported{hint}: "
                              f"the archive's runner needs Python {OLDEST[0]}.{OLDEST[1]} "
                              "or newer")
        return target

    @classmethod
    def for_job(cls, asked: Target | None, analysed: Target) -> Target:
        """The target of a job: `asked` (`--target-python`, else the config's version),
        else the analysed interpreter's; an X.Y that is the analysed interpreter's takes
        its micro version (3.11 analysed by 3.11.7 is 3.11.7)."""
        if asked is None or (asked.micro is None and asked.runs(analysed)):
            return analysed
        return asked

    def runs(self, other: Target | tuple[int, ...]) -> bool:
        """Whether a Python of version `other` is this target's Python: the same X.Y
        (micro versions share bytecode, ABI and the standard library)."""
        version = (other.major, other.minor) if isinstance(other, Target) else other
        return same_python(self.python, version)

    @property
    def python(self) -> str:
        """`X.Y`: what a standard-library list, a wheel tag or requires-python speaks of."""
        return f"{self.major}.{self.minor}"

    @property
    def full_version(self) -> str:
        """`X.Y.Z` (or `X.Y` when no micro is known): the manifest's target, pip's
        `--python-version`, what a report names."""
        return self.python if self.micro is None else f"{self.python}.{self.micro}"

    @property
    def platform(self) -> str:
        return PLATFORM

    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 marker environment of the target machine."""
        micro = 0 if self.micro is None else self.micro
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.{micro}",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.{micro}",
            "python_version": self.python,
            "sys_platform": "linux",
        }

    def wheel_tags(self) -> frozenset[Tag]:
        """Every wheel tag the target's CPython on Linux x86_64 installs."""
        return _wheel_tags(self.major, self.minor)

    def accepts_wheel_tag(self, text: str) -> bool:
        """Whether a wheel tagged `text` (`cp311-cp311-manylinux_2_17_x86_64`, possibly
        compressed: `py2.py3-none-any`) installs on the target."""
        try:
            return not parse_tag(text).isdisjoint(self.wheel_tags())
        except ValueError:
            return False


def platform_tags() -> list[str]:
    """Platform tags a Linux x86_64 VM accepts, most specific first."""
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in _GLIBC_MINORS]
    return [*platforms, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
            PLATFORM]


@cache
def _wheel_tags(major: int, minor: int) -> frozenset[Tag]:
    platforms = platform_tags()
    return frozenset((*cpython_tags((major, minor), platforms=platforms),
                      *compatible_tags((major, minor), platforms=platforms)))


# Built into every CPython: found before sys.path, so a local file never shadows them.
BUILTIN = frozenset(
    {"sys", "builtins", "_imp", "_io", "_thread", "_warnings", "_weakref", "marshal", "posix"}
)


@cache
def _top_level_names(version: str) -> frozenset[str]:
    from stdlib_list import stdlib_list

    names = {name.partition(".")[0] for name in stdlib_list(version)}
    return frozenset(names | {"__future__", "__main__"} | BUILTIN)


def is_stdlib(module: str, target: Target) -> bool:
    """Whether the top-level package of `module` ships with the target's Python."""
    version = target.python
    try:
        names = _top_level_names(version)
    except ValueError:  # a version stdlib-list does not know yet: take the newest it knows
        names = _top_level_names("3.14")
    return module.partition(".")[0] in names
