"""The fast paths of fact extraction (issue #20: a cold analysis of a torch job spent most
of its time here) give what the plain formulation gives, on real code nobody on this
project wrote: the standard library and the distributions installed beside jobpack
(rich, packaging, libcst, typer, PyYAML; their own licences, read here, never copied).
A speedup must never change an answer; these tests hold the plain formulation as the
oracle."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from jobpack.analyzer.facts import names
from jobpack.analyzer.facts.collector import may_be_lazy
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.analyzer.walk.lazy import LazyTables
from jobpack.target import Target

T311 = Target(3, 11)


def _real_files() -> list[Path]:
    """About 70 real modules, big and small, of several authors and styles."""
    import libcst
    import packaging
    import rich
    import yaml

    stdlib = Path(ast.__file__).parent
    picked = [stdlib / name for name in (
        "typing.py", "argparse.py", "dataclasses.py", "inspect.py", "pathlib.py",
        "subprocess.py", "tarfile.py", "zipfile/__init__.py", "functools.py",
        "enum.py", "logging/__init__.py", "concurrent/futures/process.py")]
    for package in (rich, packaging, yaml, libcst):
        folder = Path(str(package.__file__)).parent
        picked += sorted(folder.glob("*.py"))[:15]
    return [p for p in picked if p.is_file()]


FILES = _real_files()


def _regions(source: bytes) -> list[tuple[int, int]]:
    """The lines of every function and class in the file, and the whole file."""
    tree = ast.parse(source)
    lines = source.count(b"\n") + 1
    spans = [(1, lines)]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return spans


def _code(source: bytes) -> tuple[str, str]:
    unquoted = names.blank_strings(source.decode("utf-8", "replace"))
    no_imports = names._IMPORT.sub(names._blank_lines, unquoted)
    return no_imports, names._code(no_imports)


# `blank_strings` as it was written first: one pattern that starts at a string's prefix
_BODY = {"'''": r"(?:[^'\\]|\\.|'(?!''))*", '"""': r'(?:[^"\\]|\\.|"(?!""))*',
         "'": r"(?:[^'\\\n]|\\.)*", '"': r'(?:[^"\\\n]|\\.)*'}
_PREFIXED_STRING = re.compile(
    r"(?P<prefix>[rRbBuUfFtT]{0,2})(?:"
    + "|".join(f"{quote}{body}{quote}" for quote, body in _BODY.items()) + r")|#[^\n]*",
    re.DOTALL)


def _blanked_by_prefixed_pattern(text: str) -> str:
    def blank(match: re.Match[str]) -> str:
        literal = match.group()
        prefix = (match.group("prefix") or "").lower()
        newlines = "\n" * literal.count("\n")
        if "f" in prefix or "t" in prefix:
            code = re.findall(r"\{([^{}]*)\}", literal.replace("{{", "").replace("}}", ""))
            return " (" + " ".join(code).replace("\n", " ") + ")" + newlines
        return " " + newlines

    return _PREFIXED_STRING.sub(blank, text)


def test_strings_are_blanked_as_by_one_pattern_from_their_prefix() -> None:
    tricky = ["if'a' in x: pass\n", "x = rb\"\\\"\" + Rf'{a}{b!r}' + ubr\"y\"\n",
              "s = '''a\n'' \\''' b'''\n'''\n", 's = """x""""\n', "'a'f'{b}'\n",
              '"a"rb"c"\n', "t'{x}' # f'{y}'\n", "x = f'''\n{a}\n''' + '''unclosed\n",
              'print("a\\\n  b") ; # c\n', "'\\\\' '\\'' x\n", "fr'{a}'brf'{b}'",
              'f"""\n{{\nx\n}} {y}\n{\nz\n}"""\n']
    for text in tricky:
        assert names.blank_strings(text) == _blanked_by_prefixed_pattern(text), text
    for file in FILES:
        text = file.read_bytes().decode("utf-8", "replace")
        assert names.blank_strings(text) == _blanked_by_prefixed_pattern(text), file


def test_blanking_strings_keeps_every_line_where_it_was() -> None:
    """matplotlib's backend_ps.py writes PostScript in a multi-line f-string with `{{` on
    one line and `}}` on a later one: the braces' text kept its newlines, and the rest of
    the file was read two lines off (each function below it got another one's names)."""
    source = ('def draw(w):\n    out.write(f"""\\\ngsave\n{{\ncurrentfile pop\n}} bind\n'
              '{w:d} {\n  w\n}\n""")\n\ndef later():\n    import json\n    return obj.finish()\n')
    assert names.blank_strings(source).count("\n") == source.count("\n")
    facts = parse_facts(source.encode(), T311)
    assert [(f.name, f.line, f.names) for f in facts.functions] == [
        ("draw", 1, "write"), ("later", 12, "finish")]
    assert [(i.module, i.line) for i in facts.imports] == [("json", 13)]


@pytest.mark.parametrize("file", FILES, ids=lambda p: "/".join(p.parts[-2:]))
def test_rebound_names_by_line_are_those_of_each_region(file: Path) -> None:
    source = file.read_bytes()
    no_imports, code = _code(source)
    table = names._ReboundLines(code)
    lines = code.split("\n")
    # the names a file binds anywhere, as `_Bindings` used to search them
    assert table.everywhere() == names._rebound(no_imports)
    for first, last in _regions(source):
        region = "\n".join(lines[first - 1:last])
        assert table.within(range(first, min(last, len(lines)) + 1)) \
            == names._rebound(region), (first, last)
        assert table.between(first, min(last, len(lines))) == names._rebound(region)


def test_words_after_a_boundary_match_as_with_the_boundary() -> None:
    """`_word` spells `\\b(?:...)` so that `re` searches from the words' first letters."""
    pairs = [(names._DEFINED, r"\b(?:def|class)[ \t]+([^\W\d]\w*)"),
             (names._CLASS, r"\bclass[ \t]+([^\W\d]\w*)"),
             (names._AS_FOR, r"\b(?:as|for|global|nonlocal)[ \t]+([^\W\d]\w*(?:[ \t]*,"
                             r"[ \t]*[^\W\d]\w*)*)"),
             (names._PARAMETERS, r"\b(?:def[ \t]+[^\W\d]\w*[ \t]*\(([^)]*)\)|lambda([^:]*):)")]
    tricky = "class A: pass\nundef x\n_class B\néclass C\n1def d()\n(lambda q: q)\n" \
             "xlambda r: r\ndef f(a,\n  b): pass\nfor i, j in k: import x as y\nclass\tD"
    texts = [tricky] + [file.read_bytes().decode("utf-8", "replace") for file in FILES]
    for pattern, plain in pairs:
        for text in texts:
            assert [(m.span(), m.groups()) for m in pattern.finditer(text)] \
                == [(m.span(), m.groups()) for m in re.finditer(plain, text)]
    assert names._DEFINITION.pattern.startswith("(?:d(?<!\\wd)ef|c(?<!\\wc)lass)")


def test_rebound_names_of_a_line_are_found_whatever_lines_are_searched() -> None:
    """Lines without `=` or a binding word are not searched: each line's names are what
    searching that line alone finds, at its start, end and between its neighbours."""
    code = ("x: int = 1\na == b\nfor i, j in k: y = 2\nf(a=1, b == 2)\nlambda q: r == 2\n"
            "with a as b: c = d\nglobal g, h\n  nonlocal n\nz=(w:=3)\nlast =")
    table = names._ReboundLines(code)
    for number, line in enumerate(code.split("\n"), 1):
        assert table.within([number]) == names._rebound(line), line
    assert table.everywhere() == names._rebound(code)


def _qualified_by_alternation(code: str, aliases: dict[str, tuple[str, ...]]
                              ) -> tuple[str, set[str]]:
    """`_qualify` as it was written first: one pattern of the file's aliases."""
    if not aliases:
        return code, set()
    alternatives = "|".join(sorted(map(re.escape, aliases)))
    chain = re.compile(rf"(?<![\w.])({alternatives})((?:[ \t]*\.[ \t]*[^\W\d]\w*)+)")
    tokens: set[str] = set()

    def cut(match: re.Match[str]) -> str:
        parts = list(names._identifiers(match[2]))
        read = [part in names._READ_ONLY for part in parts]
        if True in read:  # metadata: what leads to it is read, and the alias named not
            chain = ".".join(parts[:read.index(True)])
            tokens.update((names.join(target, chain) if chain else target) + "@"
                          for target in aliases[match[1]]
                          if not names._is_stdlib(target) and (chain or target[-1] != "/"))
            return " " * len(match[1])
        chain = ".".join(parts)
        tokens.update(names.join(target, chain) for target in aliases[match[1]]
                      if not names._is_stdlib(target))
        return match[1]

    return chain.sub(cut, code), tokens


def test_qualified_chains_are_those_of_one_pattern_of_the_aliases() -> None:
    tricky = "np.first\n\nx = np. linalg.norm(a) + foo. np.mean(b) + np .sum + npx.y + a.np.z\n" \
             "    cute.compile(k)\t.run  # np.c\ny = np\n\tz = cute\nnp.last\n" \
             "np.__doc__ + np.linalg.__name__.strip() + cute.__module__ + a.x.__dict__"
    aliases = {"np": ("numpy/",), "cute": ("cutlass.cute/",), "a": ("alpha/", "os/")}
    assert names._qualify(tricky, aliases) == _qualified_by_alternation(tricky, aliases)
    for file in FILES:
        _, code = _code(file.read_bytes())
        found = set(re.findall(r"(?<![\w.])([^\W\d]\w*)[ \t]*\.", code))
        aliases = dict.fromkeys(sorted(found)[::3], ("numpy/", "os/"))
        assert names._qualify(code, aliases) == _qualified_by_alternation(code, aliases), file


@pytest.mark.parametrize("file", FILES[::4], ids=lambda p: "/".join(p.parts[-2:]))
def test_facts_as_a_dict_are_what_asdict_makes(file: Path) -> None:
    facts = parse_facts(file.read_bytes(), T311)
    made = facts.to_dict()
    assert made == dataclasses.asdict(facts)
    assert repr(made) == repr(dataclasses.asdict(facts))  # tuples stay tuples


def test_a_file_said_not_lazy_has_no_lazy_table() -> None:
    sources = [file.read_bytes() for file in FILES[::2]]
    sources.append(b"from typing import TYPE_CHECKING\nimport sys\nif TYPE_CHECKING:\n"
                   b"    from .a import B\nsys.modules[__name__] = object()\n")
    sources.append(b"import typing\nif typing.TYPE_CHECKING:\n    from .a import B\n"
                   b"def __getattr__(name):\n    return name\n")
    lazy = 0
    for source in sources:
        facts = parse_facts(source, T311)
        if facts.lazy:
            lazy += 1
            assert may_be_lazy(source)
    assert lazy >= 2
    assert not may_be_lazy(b"import torch\nclass Module:\n    pass\n")


def test_asking_a_plain_module_for_a_lazy_name_parses_nothing(tmp_path: Path) -> None:
    """`from plain import Name` in library code asks whether `plain` is lazy: a module
    whose text cannot hold a lazy table is answered without parsing it (the walk parses
    it later with the rest of its wave, in parallel)."""
    plain = tmp_path / "plain.py"
    plain.write_text("from typing import TYPE_CHECKING\n\nclass Name:\n    pass\n")
    lazy = tmp_path / "lazy" / "__init__.py"
    lazy.parent.mkdir()
    lazy.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from .deep import Name\n\ndef __getattr__(name):\n    return name\n")
    parsed: list[Path] = []

    def facts_for(path: Path) -> object:
        parsed.append(path)
        return parse_facts(path.read_bytes(), T311)

    files = {"plain": plain, "lazy": lazy}
    tables = LazyTables(facts_for, files.get)  # type: ignore[arg-type]
    assert tables.source("plain", "Name") is None
    assert parsed == []
    assert tables.source("lazy", "Name") == ("lazy.deep", "Name")
    assert parsed == [lazy]


def test_the_oracles_run_on_this_python() -> None:
    assert sys.version_info >= (3, 10) and len(FILES) > 50


def _texts() -> list[str]:
    """Real code with its strings blanked, and a few tricky lines."""
    tricky = ("import a\nfrom b import (c,\n  d)\n  import e; import f\nx = 'import g'\n"
              "class A(B):\n    def f(self, x=1): del x\nclass C(D, E): pass\nmodel = 1\n"
              "del a, b\n  del c\ndefault = lambda q, r=2: q\nimportlib.x = 1\nimport")
    return [tricky] + [names.blank_strings(file.read_bytes().decode("utf-8", "replace"))
                       for file in FILES]


def _found(matches: Iterable[re.Match[str]]
           ) -> list[tuple[tuple[int, int], tuple[str | Any, ...]]]:
    return [(match.span(), match.groups()) for match in matches]


def test_patterns_tried_only_where_their_words_are_match_as_a_search() -> None:
    """`_line_matches` and `_word_matches` find what `finditer` finds."""
    for text in _texts():
        assert _found(names._imports(text)) == _found(names._IMPORT.finditer(text))
        for pattern, word in ((names._BASES, "class"), (names._DEL, "del")):
            assert _found(names._line_matches(pattern, text, word)) \
                == _found(pattern.finditer(text))
        for pattern, words in ((names._DEFINITION, ("def", "class")),
                               (names._DEFINED, ("def", "class")),
                               (names._PARAMETERS, ("def", "lambda"))):
            assert _found(names._word_matches(pattern, text, *words)) \
                == _found(pattern.finditer(text))


def test_ascii_twins_match_as_their_patterns_on_ascii_text() -> None:
    texts = [text for text in _texts() if text.isascii()]
    assert len(texts) > 20
    for pattern, twin in names._ASCII_TWINS.items():
        assert twin is not pattern and twin.flags & re.ASCII
        for text in texts:
            assert _found(twin.finditer(text)) == _found(pattern.finditer(text))
    assert names._for(names._CHAIN, "é = np.x") is names._CHAIN


def _tokens_by_reference(bindings: names._Bindings, text: str,
                         aliases: dict[str, tuple[str, ...]],
                         shadowed: frozenset[str] = frozenset()) -> set[str]:
    """`_Bindings.tokens` as it was written first: one search, each match in turn."""
    found: set[str] = set()
    builtins: set[str] = set()
    read = names._METADATA.sub(" ", text)
    for dot, name in names._REFERENCE.findall(read):
        if name in names._IGNORED:
            continue
        if dot:
            found.add(name)
        elif name in shadowed:
            continue
        elif name in bindings.plain:
            found |= bindings.plain[name]
        elif name not in bindings.local:
            found.update(f"{module}/{name}" for module in bindings.stars)
            builtins.add(name)
    if "dir" in builtins and builtins & {"getattr", "hasattr"}:
        found |= names._enumerated(names._DIR_CALL.findall(text), aliases)
    return found


def test_tokens_are_those_of_one_search_of_every_reference() -> None:
    tricky = "x.y . z .\tw + a.__doc__ + f(b) + 1.e5 + é.ü + self.m(cls) + q\n" \
             "for n in dir(np): getattr(np, n)\nu.__name__.v"
    for text in [tricky, *_texts()]:
        imports = [match[0] for match in names._imports(text)]
        bindings = names._Bindings(text, {"q"}, imports)
        aliases = {"np": ("numpy/",), **bindings.aliases}
        for shadowed in (frozenset(), frozenset({"b", "x"})):
            assert bindings.tokens(text, aliases, shadowed) \
                == _tokens_by_reference(bindings, text, aliases, shadowed)


def _blank_parameters_by_character(text: str, start: int) -> tuple[str, list[str], int]:
    """`_blank_parameters` as it was written first: one character at a time."""
    chars = list(text)
    found: list[str] = []
    depth, expecting = 1, True
    position = start
    while position < len(text) and depth:
        char = text[position]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 1 and char == ",":
            expecting = True
        elif expecting and depth == 1 and not (char.isspace() or char in "*/\\"):
            name = names._IDENTIFIER.match(text, position)
            expecting = False
            if name is not None:
                found.append(name[0])
                chars[position:name.end()] = " " * (name.end() - position)
                position = name.end()
                continue
        position += 1
    return "".join(chars), found, position


def test_parameters_are_blanked_as_character_by_character() -> None:
    headers = ["def f(a, *b, c: int = (1, 2), **d) -> X:", "def f(\n  a,\n  /, b=[x, y],\n",
               "def f(self, x: dict[str, int] = {}, *, y=lambda z: z): return x",
               "def f(\u00a0é, 1x, =y, ,, )", "def f(a", "def f()", "lambda a, b: a"]
    for text in _texts():
        headers += [match[0] for match in re.finditer(r"def[ \t]+\w+[ \t]*\([^:]*:", text)]
    for header in headers:
        start = header.find("(") + 1 if "(" in header else 6
        assert names._blank_parameters(header, start) \
            == _blank_parameters_by_character(header, start), header


@pytest.mark.slow  # about 400 uses in 1,000 real modules: some 15 s
def test_an_import_is_qualified_in_every_function_where_python_sees_it_as_global() -> None:
    """A differential against the interpreter's own scopes (`symtable`): where a function
    uses `alias.attr` and `alias` is a global there (a module-level import), its names
    hold the chain's exact token. Each rule that made a global look local (a parameter of
    another function, a keyword argument, a line continued, `obj.alias = ...`, `with A
    as a, alias.f() as b`) left such chains a method's name, which names no module-level
    function: a reference the walk could miss."""
    import symtable

    import _pytest
    import click
    import hypothesis

    files = [*FILES, *(file for package in (click, hypothesis, _pytest)
                       for file in sorted(Path(str(package.__file__)).parent.rglob("*.py")))]
    checked = 0
    for file in files:
        source = file.read_bytes()
        tree = ast.parse(source)
        targets: dict[str, set[str]] = {}
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found, _, _ = names.import_targets([ast.get_source_segment(
                    source.decode(), node) or ""])
                for name, where in found.items():
                    targets.setdefault(name, set()).update(
                        t for t in where if not names._is_stdlib(t))
        bodies = {node.name: node for node in tree.body
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        bodies.update({f"{node.name}.{item.name}": item for node in tree.body
                       if isinstance(node, ast.ClassDef) for item in node.body
                       if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))})
        scopes = {child.get_name(): child for child in
                  symtable.symtable(source.decode(), str(file), "exec").get_children()}
        facts = {f.name: f.names.split() for f in parse_facts(source, T311).functions
                 if not f.gate}
        for name, node in bodies.items():
            owner, _, method = name.rpartition(".")
            scope = scopes.get(owner or name)
            if scope is not None and method:
                scope = next((c for c in scope.get_children() if c.get_name() == method),
                             None)
            if scope is None or name not in facts:
                continue
            used = {(n.value.id, n.attr) for statement in node.body
                    for n in ast.walk(statement) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and targets.get(n.value.id)
                    and n.attr not in names._READ_ONLY}
            for alias, attr in sorted(used):
                try:
                    symbol = scope.lookup(alias)
                except KeyError:  # used in a nested scope only: a global there too
                    pass
                else:
                    if symbol.is_local() or symbol.is_parameter():
                        continue
                checked += 1
                expected = {names.join(target, attr) for target in targets[alias]}
                assert any(token.startswith(tuple(expected)) for token in facts[name]), (
                    file, name, alias, attr, facts[name])
    assert checked > 300
