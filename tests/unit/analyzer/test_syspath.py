"""Folders a file puts on sys.path: read statically by both parsers, then walked."""

from __future__ import annotations

import libcst
import pytest

from jobpack.analyzer.facts.parse_cst import facts_from_cst
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.analyzer.facts.syspath import Folder, PathExpr, folder_named
from jobpack.target import Target
from tests.unit.analyzer.helpers import FIXTURES, codes, local, run

TARGET = Target(3, 11)


@pytest.mark.parametrize(("expression", "folder"), [
    ('os.path.join(os.path.dirname(__file__), "..")', Folder("file", "..")),
    ("os.path.dirname(os.path.dirname(os.path.abspath(__file__)))", Folder("file", "..")),
    ('os.path.join(os.path.dirname(os.path.realpath(__file__)), "lib")', Folder("file", "lib")),
    ("str(Path(__file__).resolve().parents[1])", Folder("file", "..")),
    ("str(pathlib.Path(__file__).parent.parent)", Folder("file", "..")),
    ('Path(__file__).parent / "src"', Folder("file", "src")),
    ('Path(__file__).absolute().parent.joinpath("a", "b")', Folder("file", "a/b")),
    ('os.path.join(HERE, "vendor")', Folder("file", "vendor")),
    ('"src"', Folder("cwd", "src")),
    ('".."', Folder("cwd", "..")),
    ("os.getcwd()", Folder("cwd", ".")),
    ('"/opt/tools"', Folder("absolute", "/opt/tools")),
    ('os.path.join(os.path.dirname(__file__), "/opt")', Folder("absolute", "/opt")),
    ('os.environ["LIBS"]', None),
    ("sys.argv[1]", None),
    ('f"{ROOT}/x"', None),
    ("UNKNOWN", None),
])
def test_the_folder_is_read_with_os_path_and_pathlib_semantics(
        expression: str, folder: Folder | None) -> None:
    source = (f"import os, sys\nHERE = os.path.dirname(__file__)\n"
              f"sys.path.append({expression})\n").encode()
    facts = parse_facts(source, TARGET)
    found = [Folder(f.anchor, f.path) for f in facts.sys_paths]
    assert found == ([] if folder is None else [folder])


def test_insert_at_zero_goes_in_front_and_a_main_block_is_marked() -> None:
    source = (b"import sys\nsys.path.insert(0, 'a')\nsys.path.insert(1, 'b')\n"
              b"if __name__ == '__main__':\n    sys.path.append('c')\n")
    facts = parse_facts(source, TARGET)
    assert [(f.line, f.path, f.front, f.main) for f in facts.sys_paths] == [
        (2, "a", True, None), (3, "b", False, None), (5, "c", False, True)]


def test_a_module_level_string_name_is_remembered_by_both_parsers() -> None:
    # both parsers visit every module-level statement, even one naming nothing of interest
    source = (b"import sys\nif True:\n    ROOT = '/x'\nSRC = 'src'\nSRC = compute()\n"
              b"sys.path.append(ROOT)\nsys.path.append(SRC)\n")
    fast = parse_facts(source, TARGET)
    assert [(f.anchor, f.path) for f in fast.sys_paths] == [("absolute", "/x")]
    assert fast == facts_from_cst(libcst.parse_module(source), TARGET, deep=True, source=source)


def test_both_parsers_read_the_same_folders() -> None:
    for file in sorted((FIXTURES / "syspath").rglob("*.py")):
        source = file.read_bytes()
        fast = parse_facts(source, TARGET)
        module = libcst.parse_module(source)
        assert fast == facts_from_cst(module, TARGET, deep=True, source=source), file
    assert parse_facts((FIXTURES / "syspath/jobs/train.py").read_bytes(), TARGET).sys_paths


def test_an_unknown_call_names_no_folder() -> None:
    call = PathExpr("call", "os.path.expanduser", (PathExpr("str", "~/lib"),))
    assert folder_named(call, {}) is None


def test_the_walker_searches_the_folders_a_script_adds() -> None:
    walked = run("syspath", "jobs/train.py", "jobs/pathlib_style.py", "cwd_style.py")
    assert local(walked) == {"jobs/train.py", "jobs/pathlib_style.py", "cwd_style.py",
                             "common/__init__.py", "common/utils.py", "vendor/vendored.py",
                             "src/insrc.py"}
    assert codes(walked) == set()


def test_a_folder_outside_the_root_is_named_and_not_searched() -> None:
    walked = run("syspath", "jobs/outside.py")
    assert codes(walked) == {("jobs/outside.py", 3, "sys-path-outside-root"),
                             ("jobs/outside.py", 6, "unresolved-import")}
    assert walked.outside_root == ()  # an absolute folder never widens the root
