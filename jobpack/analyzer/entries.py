"""Turn what the user names as entry points into `Entry` values."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from jobpack.analyzer.walk.finder import Finder
from jobpack.analyzer.walk.walker import Entry
from jobpack.errors import EntryPointError
from jobpack.files import read_regular


def script_entry(path: Path, root: Path) -> Entry:
    """A script run as `python path`; its folder becomes sys.path[0]."""
    file = path if path.is_absolute() else root / path
    _check_script(file, str(path))
    if file.suffix == ".ipynb":  # refused here, in one line, if it is no notebook
        from jobpack.analyzer.notebooks import read_cells

        read_cells(read_regular(file, str(path)), str(path))
    file = Path(os.path.realpath(file))
    name = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.as_posix()
    return Entry(file=file, name=name)


def _check_script(file: Path, shown: str) -> None:
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EntryPointError("is a symbolic link that loops", path=shown) from None
        reason = "does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise EntryPointError(f"entry point {reason}", path=shown) from None
    if not stat.S_ISREG(mode):
        raise EntryPointError("entry point is not a regular file", path=shown)


def module_entry(module: str, root: Path, site: tuple[Path, ...] = ()) -> Entry:
    """The file `python -m module` runs from `root` (a package runs its `__main__`);
    `site` are further sys.path folders: those of editable installs of the job's own
    packages (a src layout's `src`)."""
    finder = Finder()
    parts = module.split(".")
    search: tuple[Path, ...] = (root, *site)
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


def parse_entry(text: str, root: Path, site: tuple[Path, ...] = ()) -> Entry:
    """`main.py`, `pkg/run.py` or `-m pkg.mod` (searched in `root`, then `site`)."""
    if text.startswith("-m "):
        return module_entry(text[3:].strip(), root, site)
    return script_entry(Path(text), root)


def default_root(entries: list[str], cwd: Path) -> Path:
    """The folder Python puts first on sys.path: the first script's folder (the working
    folder for `-m`), widened to hold every other script, so the archive's paths never
    depend on where jobpack was started from."""
    folders = []
    for entry in entries:
        if entry.startswith("-m "):
            folders.append(cwd)
            continue
        _check_script(cwd / entry, entry)
        folders.append(Path(os.path.realpath(cwd / entry)).parent)
    if not folders:
        return Path(os.path.realpath(cwd))
    first = Path(os.path.realpath(folders[0]))
    if all(Path(os.path.realpath(f)).is_relative_to(first) for f in folders):
        return first
    return Path(os.path.commonpath([os.path.realpath(f) for f in folders]))


def local_path_entry(file: Path, root: Path) -> Entry:
    """A `.py` file of `local-paths`, walked for what it imports: a module of its package
    when its folder is a package importable from `root` (so `from . import x` in an
    `__init__.py` is no script's relative import), else a script."""
    name = file.relative_to(root).as_posix()
    parts: list[str] = [] if file.name == "__init__.py" else [file.stem]
    folder = file.parent
    while (folder / "__init__.py").is_file() and folder != root:
        parts.insert(0, folder.name)
        folder = folder.parent
    if folder != root or not parts or (file.name == "__init__.py" and file.parent == root):
        return Entry(file=file, name=name)
    module = ".".join(parts)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0] or None
    if package is None:
        return Entry(file=file, name=name)
    return Entry(file=file, name=name, module=module, package=package)


ENTRY_COMMANDS = frozenset({"analyze", "why", "build", "graph", "trace"})


def module_arguments(argv: list[str], *, commands: frozenset[str] = ENTRY_COMMANDS,
                     ) -> list[str]:
    """Command-line words with every `-m pkg.mod` (`-mpkg.mod`) turned into one
    `-m pkg.mod` entry point after `--`, so an option parser takes it for an entry point
    rather than an unknown option `-m`. Only for `commands` (those whose positional
    words are entry points; others pass `--` words to the job); words after an existing
    `--` are left as they are, and so are a `trace` script's own arguments."""
    command = next((w for w in argv if not w.startswith("-")), None)
    if command not in commands:
        return list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    kept: list[str] = []
    modules: list[str] = []
    index = 0
    while index < end:
        word = argv[index]
        if command == "trace" and word.endswith((".py", ".ipynb")):  # trace runs ONE entry: what
            kept.extend(argv[index:end])  # follows a script is the script's arguments
            break
        if word == "-m" and index + 1 < end:
            modules.append(f"-m {argv[index + 1]}")
            index += 2
            continue
        if word.startswith("-m") and len(word) > 2 and not word.startswith("-m-"):
            modules.append(f"-m {word[2:].strip()}")
        else:
            kept.append(word)
        index += 1
    if not modules:
        return list(argv)
    return [*kept, "--", *modules, *argv[end + 1:]]
