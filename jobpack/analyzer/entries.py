"""Turn what the user names as entry points into `Entry` values."""

from __future__ import annotations

from pathlib import Path

from jobpack.analyzer.finder import Finder
from jobpack.analyzer.walker import Entry
from jobpack.errors import EntryPointError


def script_entry(path: Path, root: Path) -> Entry:
    """A script run as `python path`; its folder becomes sys.path[0]."""
    file = path if path.is_absolute() else root / path
    if not file.is_file():
        raise EntryPointError("entry point does not exist or is not a file", path=str(path))
    file = file.resolve()
    name = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.as_posix()
    return Entry(file=file, name=name)


def module_entry(module: str, root: Path) -> Entry:
    """The file `python -m module` runs from `root` (a package runs its `__main__`)."""
    finder = Finder()
    parts = module.split(".")
    search: tuple[Path, ...] = (root,)
    located = None
    for depth in range(1, len(parts) + 1):
        located = finder.find(".".join(parts[:depth]), search)
        if located is None:
            raise EntryPointError(f"no module {module!r} under {root}", key=f"-m {module}")
        search = located.search
    assert located is not None
    if located.is_package:
        main = next((s / "__main__.py" for s in located.search if (s / "__main__.py").is_file()),
                    None)
        if main is None:
            raise EntryPointError(f"{module!r} is a package without __main__.py",
                                  key=f"-m {module}")
        return Entry(file=main.resolve(), name=f"-m {module}", module=module, package=module)
    if located.file is None or located.file.suffix != ".py":
        raise EntryPointError(f"{module!r} is not a Python source module", key=f"-m {module}")
    package = module.rpartition(".")[0] or None
    return Entry(file=located.file.resolve(), name=f"-m {module}", module=module, package=package)


def parse_entry(text: str, root: Path) -> Entry:
    """`main.py`, `pkg/run.py` or `-m pkg.mod`."""
    if text.startswith("-m "):
        return module_entry(text[3:].strip(), root)
    return script_entry(Path(text), root)


def default_root(entries: list[str]) -> Path:
    """The working folder when every script lies inside it, else the first script's folder."""
    cwd = Path.cwd().resolve()
    scripts = [Path(e).resolve() for e in entries if not e.startswith("-m ")]
    if all(s.is_relative_to(cwd) for s in scripts):
        return cwd
    return scripts[0].parent
