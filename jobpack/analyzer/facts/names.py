"""The names a stretch of source code refers to, for reachability (`walk/reach.py`).

Found by regular expressions over the text, not by walking every expression node (which
would cost about as much again as parsing): string literals, comments and import
statements are blanked first (keeping their newlines, and what an f-string's braces hold),
then every identifier left is a reference, keywords aside. So a docstring, an `__all__`
list or a re-export (`from ._base import load_iris`) refers to nothing; the name a `def`
or `class` binds does not either. Each reference becomes a token:

- an attribute of an object of unknown type (`model.fit`, `self.predict`) is its bare
  name, `fit`: it may be any class's method (or any module's function);
- an attribute chain written on a name the file's imports bind (`np.linalg.norm`,
  `cute.compile` after `import cutlass.cute as cute`) is an *exact* token, the module
  and the chain read from it: `numpy/linalg.norm`, `cutlass.cute/compile`; after `from
  torch import nn`, `nn.Linear` is `torch/nn.Linear`; a relative import keeps its dots
  (`./utils.load`). The walker resolves it through each module's bindings
  (`walk/resolve.py`), which `names_and_bindings` also gives (`module_table`);
- a plain name (`load_iris(...)`, `@register`, `Model`) is what binds it in the file: a
  `from` import (`from sklearn.datasets import load_iris`: `sklearn.datasets/load_iris`,
  under its original name), a `def` or `class` there (`/name`: the file's own module),
  else a star import's module (`mod/name`); a name bound only by assignment, `for`,
  `with`, a parameter (a local variable: the code that stored a function in it named
  the function) or nowhere (a builtin) is no token;
- the standard library's names (`re.compile`, `os.path.join`, `from json import load`)
  are no token: they cannot name a library's function.

A name bound by imports of two packages (`try: import cupy as xp` / `except: import numpy
as xp`) qualifies its attributes by both (`cupy/mean`, `numpy/mean`). Module globals
bound at run time (`NAME = obj.attr`, `NAME = Cls(...)`) stay `:NAME`, the package's.
A parameter named like an import anywhere in the file, or a name the code rebinds (at
module level: in the whole file; in a function: in that function), is no alias: its
attributes stay bare.
Reading a function's metadata (`show.__doc__`, `f.__name__`) does not call it.
"""

from __future__ import annotations

import keyword
import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import accumulate, compress


def _word(*words: str) -> str:
    r"""`\b(?:def|class)` as `(?:d(?<!\wd)ef|c(?<!\wc)lass)`, for words of letters: the
    same matches (a word letter starts them, so the boundary is a word letter's absence
    just before it), but `re` searches this from its first letters, where a pattern that
    begins with `\b` is tried at every offset (three times slower)."""
    return "(?:" + "|".join(rf"{word[0]}(?<!\w{word[0]}){word[1:]}" for word in words) + ")"


# A string literal's body as runs of plain characters between escapes and lone quotes: one
# repeat of a character class is a tight loop in `re`, an alternation repeated per
# character was a tenth of the time to read a file's names. Each body has one possible
# end (the first unescaped closing quote), so this matches exactly what the per-character
# form `(?:[^"\\]|\\.|"(?!""))*` matched.
_TRIPLE_DOUBLE = r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
_TRIPLE_SINGLE = r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
_DOUBLE = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_SINGLE = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
# A string literal or a comment, found by its first character (a search for a quote or `#`
# skips the code between in C); `blank_strings` takes a string's prefix from just before.
_QUOTED = re.compile(rf"{_TRIPLE_DOUBLE}|{_TRIPLE_SINGLE}|{_DOUBLE}|{_SINGLE}|#[^\n]*",
                     re.DOTALL)
_PREFIX_LETTERS = frozenset("rRbBuUfFtT")
# (a statement goes on after a backslash at a line's end: `from pygments.token import
# Text, \` then `Number, ...`)
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+"
                     r"(?:\([^)]*\)|(?:[^\n;\\]|\\\n?)*)", re.MULTILINE)
# what a `def` or `class` binds is not a reference to it
_DEFINITION = re.compile(_word("def", "class") + r"[ \t]+[^\W\d]\w*")
# A name's letters after its first, where no match can follow a shorter name (what comes
# next is no letter): possessive where `re` has it (3.11), so that it does not give the
# letters back one by one to try the rest of the pattern after each (a third of the time
# of `_ASSIGNED` and `_CHAIN`, which try every name of the code).
_NAME_REST = r"\w*+" if sys.version_info >= (3, 11) else r"\w*"
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_REFERENCE = re.compile(r"(\.[ \t]*)?([^\W\d]\w*)")  # (a dot: it is an attribute, name)
# `_REFERENCE`'s matches with a dot, for `_Bindings.tokens`: a search `re` starts only
# where a dot is
_ATTRIBUTE = re.compile(r"\.[ \t]*([^\W\d]\w*)")
_BRACES = re.compile(r"\{([^{}]*)\}")
# a name with attributes after it (`np.linalg.norm`), not itself an attribute
_CHAIN = re.compile(rf"(?<![\w.])([^\W\d]{_NAME_REST})(?=((?:[ \t]*\.[ \t]*[^\W\d]\w*)+))")
_IGNORED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
# `show.__doc__ = ...`, `wrapper.__name__`: reading a function's metadata calls nothing
_METADATA_NAME = r"__(?:doc|name|qualname|module|wrapped|dict|annotations|defaults|kwdefaults)__"
_METADATA = re.compile(rf"(?<![\w.])[^\W\d]{_NAME_REST}[ \t]*\.[ \t]*{_METADATA_NAME}\b")
# The metadata a chain of a module's names may end on and still call nothing
# (`_qualify`): what it names is only read. (`__wrapped__` and `__dict__` lead on to what
# may be called: `f.__wrapped__(x)`, `Cls.__dict__["meth"](x)`.)
_READ_ONLY = frozenset({"__doc__", "__name__", "__qualname__", "__module__",
                        "__annotations__", "__defaults__", "__kwdefaults__"})
# the name alone: a search `re` starts only where `__` is (`_METADATA` is tried at every
# offset), so most bodies, which read no metadata, skip the substitution
_METADATA_HINT = re.compile(_METADATA_NAME)
# The standard library's top-level modules (any version jobpack runs on: a name that
# left or joined it between versions is never a third-party module's either).
_STDLIB = frozenset(sys.stdlib_module_names)
# `import a.b, c as d`: the statement's body after `import`
_PLAIN_IMPORT = re.compile(r"^[ \t]*import[ \t]+(.*)", re.DOTALL)
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(.*)", re.DOTALL)
_FROM_MODULE = re.compile(r"^[ \t]*from[ \t]+([\w.]+)")  # the module a `from` reads
# where a name is bound: `name =`, `name: T =`, `name :=`, a keyword argument (told apart
# by `_is_keyword`: it binds nothing, yet keeps a name local for a star import), `as
# name`, `for a, name in`, `global name`; not an attribute (`self.name =`), nor an
# annotation (`self.h: T = ...` binds no `T`), nor from inside a name (such a start never
# matches where the name's own start did not, and trying each one made this the costliest
# pattern of a cold analysis of torch)
_ASSIGNED = re.compile(rf"(?<![^\W\d])(?<!\.)(?<!:)(?<!:[ \t])([^\W\d]{_NAME_REST})"
                       r"[ \t]*(?::[^=\n]*)?:?=(?!=)")
_AS_FOR = re.compile(_word("as", "for", "global", "nonlocal")
                     + r"[ \t]+([^\W\d]\w*(?:[ \t]*,[ \t]*[^\W\d]\w*)*)")
_DEFINED = re.compile(_word("def", "class") + r"[ \t]+([^\W\d]\w*)")
_CLASS = re.compile(_word("class") + r"[ \t]+([^\W\d]\w*)")
# The token of code that asks an object for every attribute `dir` lists (`getattr(mod, n)
# for n in dir(mod)`): every module `__getattr__` may run (see `walk/reach.py`); written on
# a module the file imports (`dir(np)`), `numpy:dir()`: only that package's.
DYNAMIC_ATTRIBUTES = "dir()"
# `dir(...)` and what it is asked about (code already cut by `_qualify`: `dir(np.linalg)`
# reads `dir(np)`)
_DIR_CALL = re.compile(r"(?<![\w.])dir[ \t]*\([ \t]*([^()]*?)[ \t]*\)")
# `del Name`: unbinds, refers to nothing
_DEL = re.compile(r"^[ \t]*del[ \t]+[\w \t,]+$", re.MULTILINE)
# `test = PytestTester(__name__)` at module level: an instance kept in a module global
_INSTANCE = re.compile(r"^[ \t]*([^\W\d]\w*)[ \t]*=[ \t]*([^\W\d]\w*(?:\.[^\W\d]\w*)*)[ \t]*\(",
                       re.MULTILINE)
# `run_main = f2py2e.run_main` at module level: a name bound to an object, nothing called
_ALIAS = re.compile(r"^([^\W\d]\w*)[ \t]*=[ \t]*([^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*)"
                    r"[ \t]*$", re.MULTILINE)
# `Methods.plot = plot` at module level: a function stored in an attribute, nothing called
_ATTRIBUTE_ALIAS = re.compile(r"^([^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*)[ \t]*\.[ \t]*"
                              r"([^\W\d]\w*)[ \t]*=[ \t]*([^\W\d]\w*(?:[ \t]*\.[ \t]*"
                              r"[^\W\d]\w*)*)[ \t]*$", re.MULTILINE)
# `backends = {"agg": AggBackend, ...}` at module level: a display of names, nothing called
_DISPLAY = re.compile(r"^([^\W\d]\w*)[ \t]*=[ \t]*([\[{(])", re.MULTILINE)
_DISPLAY_ITEMS = re.compile(r"[\w \t\n.,:{}\[\]-]*")
_SUBSCRIPT = re.compile(r"[\w\])][ \t]*\[")
_CLOSING = {"[": "]", "{": "}", "(": ")"}
_BRACKET = re.compile(r"[][(){}]")
_PARAMETERS = re.compile(rf"(?:{_word('def')}[ \t]+[^\W\d]\w*[ \t]*\(([^)]*)\)"
                         rf"|{_word('lambda')}([^:]*):)")
_NESTED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")
_PARAMETER = re.compile(r"[ \t\n]*(?:\*{1,2}[ \t]*)?([^\W\d]\w*)")


def _ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    r"""`pattern` for a text all in ASCII: the same matches there, about twice as fast.
    `re` tests `[^\W\d]` and `\w` of any text by Unicode category, a lookup per letter
    of every name; in ASCII they are `[A-Za-z_]` and `\w` under `re.ASCII`, one table
    lookup. Code with its strings and comments blanked is nearly always ASCII."""
    return re.compile(pattern.pattern.replace(r"[^\W\d]", "[A-Za-z_]"),
                      (pattern.flags & ~re.UNICODE) | re.ASCII)


# the patterns that try every name of the code, with their twins (`_for`)
_ASCII_TWINS = {pattern: _ascii_twin(pattern)
                for pattern in (_IDENTIFIER, _ATTRIBUTE, _CHAIN, _ASSIGNED, _METADATA)}


def _for(pattern: re.Pattern[str], text: str) -> re.Pattern[str]:
    """`pattern` to search `text` with: its ASCII twin when `text` is all ASCII."""
    return _ASCII_TWINS[pattern] if text.isascii() else pattern

# (first line, last line, whether the first line is shared with the `def` header), 1-based
Span = tuple[int, int, bool]


def is_dunder_name(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def parameter_names(text: str) -> list[str]:
    """The names a parameter list binds, not what its annotations and defaults name:
    `x: torch.Tensor, layout=torch.strided` binds `x` and `layout`, and `torch` stays the
    module (as a parameter, it made every `torch.name` of the file a bare attribute)."""
    while True:
        flat = _NESTED.sub(" ", text)
        if flat == text:
            break
        text = flat
    return [match[1] for piece in text.split(",")
            if (match := _PARAMETER.match(piece)) is not None]


def blank_strings(text: str) -> str:
    """`text` with each string literal (its prefix too) and comment blanked to a space and
    its newlines; an f-string or t-string keeps what its braces hold (code), in brackets.

    A prefix is the up to two prefix letters just before the quote (`rb"..."`; not taken
    from an earlier literal's end), as a search for `[rRbBuUfFtT]{0,2}` then a quote
    finds it: starting that search at every letter of the code was most of its cost."""
    pieces: list[str] = []
    done = 0
    for match in _QUOTED.finditer(text):
        start = match.start()
        if text[start] == "#":
            pieces += (text[done:start], " ")
            done = match.end()
            continue
        literal = match.group()
        first = start
        while first > max(done, start - 2) and text[first - 1] in _PREFIX_LETTERS:
            first -= 1
        prefix = text[first:start].lower()
        newlines = "\n" * literal.count("\n")
        if "f" in prefix or "t" in prefix:  # what the braces hold is code (an expression)
            # (not `{{`/`}}`, escaped braces: text; and on one line, as the literal's
            # newlines follow: a `{{` on one line and `}}` on the next shifted the lines
            # of the rest of matplotlib's backend_ps.py by two)
            code = _BRACES.findall(literal.replace("{{", "").replace("}}", ""))
            pieces += (text[done:first], " (", " ".join(code).replace("\n", " "), ")",
                       newlines)
        else:
            pieces += (text[done:first], " ", newlines)
        done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _blank_lines(match: re.Match[str]) -> str:
    return "\n" * match.group().count("\n")


def _line_matches(pattern: re.Pattern[str], text: str, word: str) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` finds, for a pattern that matches only from a line's
    start (`^`, multi-line) and only where that line holds `word`: it is tried at the
    start of those lines alone. A search tries a pattern that starts with `^` at every
    offset of the text; `str.find` skips to the next `word` in C (three searches for
    import statements were a tenth of the time to read a file's names)."""
    found: list[re.Match[str]] = []
    end = 0  # where the last match ended: the next starts there or later
    at = text.find(word)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        if start >= end:
            match = pattern.match(text, start)
            if match is not None:
                found.append(match)
                end = match.end()
        line_end = text.find("\n", at)
        if line_end < 0:
            break
        at = text.find(word, max(line_end, end))
    return found


def _replaced(text: str, matches: Iterable[re.Match[str]],
              replacement: Callable[[re.Match[str]], str]) -> str:
    """`pattern.sub(replacement, text)` of the matches `pattern.finditer(text)` gives."""
    pieces: list[str] = []
    done = 0
    for match in matches:
        pieces += (text[done:match.start()], replacement(match))
        done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _word_matches(pattern: re.Pattern[str], text: str, *words: str) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` finds, for a pattern whose every match starts with one
    of `words` (`def`, `class`): it is tried where they are written alone, found by
    `str.find` in C (a search tries it at each of their first letters, `c` and `d`)."""
    starts: list[int] = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            starts.append(at)
            at = text.find(word, at + 1)
    starts.sort()
    found: list[re.Match[str]] = []
    end = 0  # where the last match ended: the next starts there or later
    for start in starts:
        if start >= end and (match := pattern.match(text, start)) is not None:
            found.append(match)
            end = match.end()
    return found


def _space(match: re.Match[str]) -> str:
    return " "


def _imports(text: str) -> list[re.Match[str]]:
    """The import statements of `text` (strings blanked): `_IMPORT.finditer(text)`."""
    return _line_matches(_IMPORT, text, "import")


def code_only(text: str) -> str:
    """`text` without string literals, comments, import statements and the names `def`
    and `class` bind (lines kept)."""
    unquoted = blank_strings(text)
    return _code(_replaced(unquoted, _imports(unquoted), _blank_lines))


def _code(no_imports: str) -> str:
    """Code whose strings and imports are blanked, without what `def`, `class` and `del`
    name."""
    no_definitions = _replaced(no_imports, _word_matches(_DEFINITION, no_imports, "def", "class"),
                               _space)
    return _replaced(no_definitions, _line_matches(_DEL, no_definitions, "del"), _space)


def _identifiers(text: str) -> Iterable[str]:
    return _IDENTIFIER.findall(text)


def _is_keyword(match: re.Match[str], lines: Sequence[str] = (), number: int = 0) -> bool:
    """Whether an `_ASSIGNED` match is a keyword argument: `(` or `,` before it on its
    line, or, first on its line, at the end of the last line above it that is not blank
    (line `number` of `lines`, if given; else the text matched), as a call's arguments one
    a line are written."""
    text, before = match.string, match.start() - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    if before >= 0 and text[before] != "\n":
        return text[before] in "(,"
    if number:
        above = number - 2
        while above >= 0 and not lines[above].strip():
            above -= 1
        return above >= 0 and lines[above].rstrip()[-1:] in ("(", ",")
    while before >= 0 and text[before] in " \t\n":
        before -= 1
    return before >= 0 and text[before] in "(,"


_DECLARED = re.compile(r"(?<![\w.])(?:global|nonlocal)[ \t]+([^\W\d]\w*(?:[ \t]*,[ \t]*"
                       r"[^\W\d]\w*)*)")


def _declared(code: str) -> set[str]:
    """The names `global` and `nonlocal` statements of `code` declare."""
    if "global" not in code and "nonlocal" not in code:
        return set()
    return {name for group in _DECLARED.findall(code) for name in _identifiers(group)}


def _bound_by(match: re.Match[str]) -> list[str]:
    """The names an `_AS_FOR` match binds: after `for`, `global`, `nonlocal` each of the
    list; after `as`, the first only (`with A as a, B as b`: `B` is no target)."""
    names = _IDENTIFIER.findall(match[1])
    return names[:1] if match[0].lstrip().startswith("as") else names


def _rebound(code: str) -> set[str]:
    """Names `code` (import statements blanked) assigns: `name =`, `as name`, `for name`
    (not a keyword argument: `_is_keyword`; not an attribute: `obj.name =`)."""
    found = {match[1] for match in _ASSIGNED.finditer(code) if not _is_keyword(match)}
    for match in _AS_FOR.finditer(code):
        found.update(_bound_by(match))
    return found


class _ReboundLines:
    """`_rebound` of any set of a file's lines, from one pass over the file: neither
    pattern matches across a line's end, so what it finds on a line does not depend on
    the lines around it (the module's code and each body were searched apart: three
    passes over every file, the costliest step of a cold analysis). Nor does either match
    on a line without `=` (`_ASSIGNED`) or without `as`, `for`, `global` or `nonlocal`
    (`_AS_FOR`): only the others are searched, which halved the time of that pass."""

    def __init__(self, code: str) -> None:
        self.by_line: dict[int, set[str]] = {}
        # keyword arguments written after `(` or `,` on their line (`f(x, np=np)`): they
        # bind no name, yet keep one local for a star import (`print(x, end="")`)
        self.keywords: set[str] = set()
        lines = code.split("\n")
        assigning = [number for number, line in enumerate(lines, 1) if "=" in line]
        for number, match in _search_lines(_for(_ASSIGNED, code), lines, assigning):
            if _is_keyword(match, lines, number):
                self.keywords.add(match[1])
            else:
                self.by_line.setdefault(number, set()).add(match[1])
        binding = [number for number, line in enumerate(lines, 1) if "as" in line
                   or "for" in line or "global" in line or "nonlocal" in line]
        for number, match in _search_lines(_AS_FOR, lines, binding):
            self.by_line.setdefault(number, set()).update(_bound_by(match))
        self.numbers = sorted(self.by_line)

    def within(self, lines: Iterable[int]) -> set[str]:
        found: set[str] = set()
        by_line = self.by_line
        for number in lines:
            names = by_line.get(number)
            if names:
                found |= names
        return found

    def forget(self, number: int, names: Collection[str]) -> None:
        """Line `number` binds none of `names` (the parameters of a `def` line: only its
        function sees them)."""
        found = self.by_line.get(number)
        if found is None or found.isdisjoint(names):
            return
        found.difference_update(names)
        if not found:
            del self.by_line[number]
            self.numbers.remove(number)

    def where(self, chosen: Sequence[bool]) -> set[str]:
        """`within` the lines whose number `chosen` holds True for (from the lines that
        bind a name only)."""
        return self.within(number for number in self.by_line if chosen[number])

    def everywhere(self) -> set[str]:
        return self.within(self.by_line)

    def between(self, first: int, last: int) -> set[str]:
        """`within(range(first, last + 1))`, from the lines that bind a name only (most of
        a body's lines bind none, and each body asked about each of its lines)."""
        found: set[str] = set()
        numbers, by_line = self.numbers, self.by_line
        for number in numbers[bisect_left(numbers, first):bisect_right(numbers, last)]:
            found |= by_line[number]
        return found


def _search_lines(pattern: re.Pattern[str], lines: list[str], numbers: list[int]
                  ) -> list[tuple[int, re.Match[str]]]:
    """The matches of `pattern`, which never spans a line's end, on the lines `numbers`
    (1-based, ascending) of `lines`: one search of them joined. Each comes with its line."""
    text = "\n".join([lines[number - 1] for number in numbers])
    found: list[tuple[int, re.Match[str]]] = []
    index = last = 0
    for match in pattern.finditer(text):
        start = match.start()
        index += text.count("\n", last, start)
        last = start
        found.append((numbers[index], match))
    return found


def _is_stdlib(target: str) -> bool:
    """Whether a target (`os.path/`, `json/load`) or a module is the standard library's."""
    module = target.partition("/")[0]
    return not module.startswith(".") and module.partition(".")[0] in _STDLIB


def join(target: str, path: str) -> str:
    """The exact token of attribute `path` (`a.b`) read from `target` (`torch/nn`)."""
    module, _, base = target.partition("/")
    return f"{module}/{base}.{path}" if base else f"{module}/{path}"


def top_of(target: str) -> str:
    """The top-level package a target names ("" for a relative one: the file's own)."""
    module = target.partition("/")[0]
    return "" if module.startswith(".") else module.partition(".")[0]


def last_of(token: str) -> str:
    """The last name a token names (`norm` of `numpy/linalg.norm` or `numpy:norm`)."""
    if "/" in token:
        return token.rpartition("/")[2].rpartition(".")[2]
    return token.rpartition(":")[2]


def import_targets(statements: Iterable[str]
                   ) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """What import statements bind: name -> exact targets (`import a.b` binds `a` to
    `a/`; `import a.b as c`, `c` to `a.b/`; `from a.b import c as d`, `d` to `a.b/c`),
    name -> the tokens a plain name stands for (none for a module, none for the standard
    library's names), and the modules star imports read (`.models`)."""
    targets: dict[str, set[str]] = {}
    plain: dict[str, set[str]] = {}
    stars: set[str] = set()
    for written in statements:
        statement = written.replace("\\\n", " ")  # a line continued
        imported = _PLAIN_IMPORT.match(statement)
        if imported is not None:
            for clause in imported[1].strip("()\n ").split(","):
                module, _, alias = (" ".join(clause.split())).partition(" as ")
                if not module:
                    continue
                name = alias or module.partition(".")[0]
                targets.setdefault(name, set()).add(f"{module if alias else name}/")
                plain.setdefault(name, set())  # a module: only its attributes count
            continue
        names = _FROM_IMPORT.match(statement)
        if names is None:
            continue
        found = _FROM_MODULE.match(statement)
        module = found[1] if found else "."
        for clause in names[1].strip("()\n\\ ").split(","):
            original, _, alias = (" ".join(clause.split())).partition(" as ")
            name = alias or original
            if name == "*":
                stars.add(module)
            elif name.isidentifier():
                target = f"{module}/{original}"
                targets.setdefault(name, set()).add(target)
                plain.setdefault(name, set()).add("" if _is_stdlib(target) else target)
    return targets, plain, stars


def _in_class_body(lines: Sequence[str], index: int) -> bool:
    """Whether line `index` of module-level code `lines` (function bodies left out, `def`
    lines kept) is in a class body: a `class` line among the less indented ones above."""
    indent = len(lines[index]) - len(lines[index].lstrip(" \t"))
    while indent and index:
        index -= 1
        stripped = lines[index].lstrip(" \t")
        if stripped and len(lines[index]) - len(stripped) < indent:
            if _CLASS.match(stripped):
                return True
            indent = len(lines[index]) - len(stripped)
    return False


class _Bindings:
    """What the names of one file (strings already blanked) are bound to, as far as the
    rules above need: the modules each import binds a name to, as exact targets
    (`torch/` for `import torch`, `torch.nn/` for `import torch.nn as nn`, `torch/nn` for
    `from torch import nn`, `.utils/load` relative; parameters left out), the tokens a
    plain name stands for, and the modules of star imports."""

    def __init__(self, unquoted: str, rebound: set[str], imports: Iterable[str]) -> None:
        """`imports`: the import statements of `unquoted` (`_imports`)."""
        targets, plain, stars = import_targets(imports)
        for match in _word_matches(_DEFINED, unquoted, "def", "class"):
            plain.setdefault(match[1], set()).add(f"/{match[1]}")
        # (a group that took no part is "", as `findall` gives it)
        parameters = {name for match in _word_matches(_PARAMETERS, unquoted, "def", "lambda")
                      for name in parameter_names(" ".join(match.groups("")))}
        # a parameter shadows an import only in its own function (`names_and_bindings`):
        # `def f(np=None)` leaves `np.linalg.norm` in the next function numpy's
        self.aliases = {name: tuple(sorted(found)) for name, found in targets.items()}
        self.plain = {name: frozenset(tokens - {""}) for name, tokens in plain.items()}
        self.stars = tuple(sorted(module for module in stars if not _is_stdlib(module)))
        # bound in the file some other way (a local variable): no star import's name
        self.local = parameters | rebound
        self.assigned: set[str] = set()  # module globals `NAME = obj.attr`
        self.held: set[str] = set()  # module globals holding an instance: `NAME = Cls(...)`

    def instances(self, module: str, aliases: dict[str, tuple[str, ...]],
                  written: Sequence[str]) -> tuple[str, set[str]]:
        """Module-level `NAME = Cls(...)` (or `mod.Cls(...)`): the class's tokens as
        `pkg:Cls>:NAME` (an instance of it lives in NAME, see `walk/reach.py`), `module`
        without those class names, and NAME a plain name of the file from now on. Outside
        a class body, NAME is a module global, named by a plain or a qualified reference
        only (`pkg:Cls>>:NAME`), as a module-level function is: numpy's `test =
        PytestTester(__name__)` is not networkx's `self.test = "graph"`; in one (a class
        attribute), also by an attribute of anything (`self.NAME`). `written`: the lines
        of `module` as written (`class` kept)."""
        tokens: set[str] = set()

        def cut(match: re.Match[str]) -> str:
            head, _, attribute = match[2].rpartition(".")
            if head:
                classes = {join(target, attribute) for target in aliases.get(head, ())
                           if "." not in head and not _is_stdlib(target)}
            else:
                classes = set(self.plain.get(attribute, ()))
            if not classes:
                return match[0]
            self.plain[match[1]] = frozenset({f":{match[1]}"})
            self.held.add(match[1])
            at = module.count("\n", 0, match.start())
            mark = ">" if _in_class_body(written, at) else ">>"
            tokens.update(f"{cls}{mark}:{match[1]}" for cls in classes)
            # the target refers to nothing; what leads to the class still counts
            return " " + head + "("

        return _INSTANCE.sub(cut, module), tokens

    def bound(self, module: str, aliases: dict[str, tuple[str, ...]]) -> tuple[str, set[str]]:
        """Module-level `NAME = obj.attr` (or `= other`, no call): what the right side
        names, each as `token<:NAME` (referred to once NAME is: binding a function to a
        second name calls nothing), `module` without those lines, and NAME a plain name
        of the file from now on. numpy.f2py's `run_main = f2py2e.run_main` no longer
        runs f2py's `run_main` (and numpy.distutils) for every import of numpy.f2py."""
        tokens: set[str] = set()

        def cut(match: re.Match[str]) -> str:
            name = match[1]
            if name in _IGNORED or is_dunder_name(name):
                return match[0]
            tokens.update(self._deferred(match[2], (f":{name}",), aliases))
            self.plain[name] = frozenset({f":{name}"})
            self.assigned.add(name)
            return " "

        def cut_attribute(match: re.Match[str]) -> str:
            head, name = match[1], match[2]
            tops = aliases.get(head.partition(".")[0].strip(), ())
            # a dunder is called by the interpreter; a standard-library module's attribute
            # (`sys.excepthook = hook`) may be called by it too: both count at once
            if is_dunder_name(name) or name in _IGNORED or any(map(_is_stdlib, tops)):
                return match[0]
            # read on an object (`ctx.plot`) or through the package (`lib.Cls.plot`)
            # (`lib.Cls.plot` reads `plot` of a class: a bare name once resolved)
            triggers = (*{f"{top_of(t)}:{name}" for t in tops}, name) if tops \
                else (name, f":{name}")
            tokens.update(self._deferred(match[3], triggers, aliases))
            return " " + head  # the object written to is read now

        module = _ATTRIBUTE_ALIAS.sub(cut_attribute, _ALIAS.sub(cut, module))
        return self._displays(module, aliases, tokens), tokens

    def _displays(self, module: str, aliases: dict[str, tuple[str, ...]],
                  tokens: set[str]) -> str:
        """Module-level `NAME = {key: Cls, ...}` (a list, tuple, set or dict display of
        names only: no call, no subscript, no lambda): what it holds counts once NAME is
        referred to (`token<:NAME`), as for `NAME = other`. sympy's `plot_backends =
        {'matplotlib': MatplotlibBackend, ...}` no longer constructs the matplotlib
        backend (and imports matplotlib) for every import of sympy."""
        pieces: list[str] = []
        done = 0
        for match in _DISPLAY.finditer(module):
            name, opening = match[1], match[2]
            if match.start() < done or name in _IGNORED or is_dunder_name(name):
                continue
            end = _closing(module, match.end(), opening)
            content = module[match.end():end]
            if end < 0 or not _only_names(content, opening, module, end):
                continue
            cut, qualified = _qualify(content, aliases)
            for token in qualified | self.tokens(cut, aliases):
                tokens.add(f"{token}<:{name}")
                if not token.startswith((":", "/")) and (":" in token or "/" in token):
                    tokens.add(f"{token}@")  # `mod.Cls` is read now
            self.plain[name] = frozenset({f":{name}"})
            self.assigned.add(name)
            text = module[match.start():end + 1]
            pieces += (module[done:match.start()], "\n" * text.count("\n"))
            done = end + 1
        pieces.append(module[done:])
        return "".join(pieces)

    def _deferred(self, right: str, triggers: tuple[str, ...],
                  aliases: dict[str, tuple[str, ...]]) -> set[str]:
        """The tokens of the right side `right` of a binding that calls nothing, each as
        `token<TRIGGER` for every trigger (what it names counts once the bound name is
        referred to), and `token@` for the attribute read now (`obj.attr`: a property or
        a module `__getattr__` runs); what it is read from (`f2py2e`) counts at once."""
        parts = list(_identifiers(right))
        cut, qualified = _qualify(right, aliases)
        last = parts[-1] if len(parts) > 1 else None
        tokens: set[str] = set()
        for token in qualified | self.tokens(cut, aliases):
            if last is None or last_of(token) == last:
                tokens.update(f"{token}<{trigger}" for trigger in triggers)
                if last is not None:
                    tokens.add(f"{token}@")
            else:
                tokens.add(token)
        return tokens

    def globals_only(self, own: set[str]) -> dict[str, frozenset[str]]:
        """`plain` as a function body sees it: of the file's `def`s and `class`es, only
        `own` (those of the module's namespace) are names there, not methods, nor
        functions nested in others (part of the body that names them)."""
        found = {}
        for name, tokens in self.plain.items():
            kept = tokens if name in own else tokens - {f"/{name}"}
            if kept or not tokens:  # (else as if never bound: a local, a star's name)
                found[name] = kept
        return found

    def tokens(self, text: str, aliases: dict[str, tuple[str, ...]],
               shadowed: frozenset[str] = frozenset(),
               plain: dict[str, frozenset[str]] | None = None) -> set[str]:
        """The tokens of code already cut by `_qualify` with `aliases`: bare attributes,
        plain names resolved (see the module's docstring); a `shadowed` name (a parameter
        of the function the code is) is a local variable there. `plain`: what plain names
        stand for there, if not what they do in module-level code."""
        plain, stars = self.plain if plain is None else plain, self.stars
        builtins = set()
        read = _for(_METADATA, text).sub(" ", text) if _METADATA_HINT.search(text) else text
        # `_REFERENCE`'s matches, each name once: those with a dot (attributes), then the
        # names left once those are blanked (two searches `re` makes faster than one)
        attribute = _for(_ATTRIBUTE, read)
        attributes = attribute.findall(read)
        found = set(attributes) - _IGNORED
        if attributes:
            read = attribute.sub(" ", read)
        for name in set(_for(_IDENTIFIER, read).findall(read)):
            if name in _IGNORED or name in shadowed:
                continue
            if name in plain:
                found |= plain[name]
            elif name not in self.local:
                found.update(f"{module}/{name}" for module in stars)
                builtins.add(name)
        if "dir" in builtins and builtins & {"getattr", "hasattr"}:
            found |= _enumerated(_DIR_CALL.findall(text), aliases)
        return found


def _only_names(content: str, opening: str, module: str, end: int) -> bool:
    """Whether the display `content`, closed at `end` of `module`, holds names only and
    ends its statement (`= [a, b] + f()` does not)."""
    line_end = module.find("\n", end + 1)
    rest = module[end + 1:] if line_end < 0 else module[end + 1:line_end]
    if rest.strip() or _DISPLAY_ITEMS.fullmatch(content) is None:
        return False
    if _SUBSCRIPT.search(content) or "lambda" in content:
        return False
    return opening != "(" or "," in content  # `(x)` is an f-string's blanked braces


def _closing(text: str, start: int, opening: str) -> int:
    """Where the bracket `opening` just before `start` closes in `text` (strings blanked),
    or -1."""
    closing, depth = _CLOSING[opening], 1
    for found in _BRACKET.finditer(text, start):
        if found[0] in "([{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return found.start() if found[0] == closing else -1
    return -1


def _enumerated(arguments: Iterable[str], aliases: dict[str, tuple[str, ...]]) -> set[str]:
    """The tokens of `for n in dir(x): getattr(x, n)` code, by what `x` is: a module the
    file imports is that package's (none for the standard library's: pandas' `dir(ast)`
    runs no library's `__getattr__`); `dir()` lists local names and `dir(self)` an
    instance's; any other object may be any module (array-api-compat's `mod =
    importlib.import_module(name)` then `dir(mod)`; matplotlib's `dir(self.o)` too,
    which is where the rule over-approximates)."""
    found: set[str] = set()
    for argument in arguments:
        if argument in aliases:
            found.update(f"{top_of(target)}:{DYNAMIC_ATTRIBUTES}"
                         for target in aliases[argument] if not _is_stdlib(target))
        elif argument not in ("", "self", "cls"):
            found.add(DYNAMIC_ATTRIBUTES)
    return found


def _qualify(code: str, aliases: dict[str, tuple[str, ...]]) -> tuple[str, set[str]]:
    """`code` with the attribute chains of `aliases` cut to the alias (`np.linalg.norm` ->
    `np`; lines kept), and the exact token of each chain (`numpy/linalg.norm`; none for
    the standard library's): the walker resolves it through the module's bindings."""
    if not aliases:
        return code, set()
    tokens: set[str] = set()
    pieces: list[str] = []
    done = 0
    lines = code.split("\n")
    # a chain is on one line, with a dot: the lines without one (about half the code) are
    # not searched
    dotted = [number for number, line in enumerate(lines, 1) if "." in line]
    text = "\n".join([lines[number - 1] for number in dotted])
    lengths: list[int] = []
    index = last = line_start = 0  # the line of `dotted` the last alias was on, its start
    # every name a chain starts with, checked here: one pattern for every file (a pattern
    # of the file's aliases was compiled once per file, a tenth of a cold analysis); where
    # a match is, only worked out for an alias (most names are none)
    for match in _for(_CHAIN, text).finditer(text):
        targets = aliases.get(match[1])
        if targets is None:
            continue  # not an alias
        if not lengths:  # line n starts at lengths[n - 1] + n - 1 of `code`
            lengths = list(accumulate(map(len, lines), initial=0))
        match_start = match.start()
        newlines = text.count("\n", last, match_start)
        if newlines:
            index += newlines
            line_start = text.rfind("\n", 0, match_start) + 1
        last = match_start
        number = dotted[index]
        shift = lengths[number - 1] + number - 1 - line_start  # from the text searched to `code`
        start = match_start + shift
        if start < done:
            continue  # inside the chain of one
        parts = list(_identifiers(match[2]))
        cut = next((index for index, part in enumerate(parts) if part in _READ_ONLY), None)
        if cut is None:
            chain = ".".join(parts)
            tokens.update(join(target, chain) for target in targets
                          if not _is_stdlib(target))
            pieces += (code[done:start], match[1])
        else:
            # `visualize_sharding.__module__ = ...`: what the chain leads to is read for
            # its metadata, not called (a module `__getattr__` still runs: `@`)
            chain = ".".join(parts[:cut])
            tokens.update((join(target, chain) if chain else target) + "@"
                          for target in targets
                          if not _is_stdlib(target) and (chain or target.partition("/")[2]))
            pieces += (code[done:start], " " * len(match[1]))
        done = match.end(2) + shift
    pieces.append(code[done:])
    return "".join(pieces), tokens


# a module-level `if __name__ == "__main__":` (either operand order, strings not blanked)
_MAIN_TEST = re.compile(r"""^if[ \t(]+(?:__name__[ \t]*==[ \t]*(['"])__main__\1"""
                        r"""|(['"])__main__\2[ \t]*==[ \t]*__name__)[ \t)]*:""", re.MULTILINE)


def main_blocks(source: bytes) -> list[Span]:
    """The spans of `source`'s module-level `if __name__ == "__main__":` blocks, the `if`
    line included and an `else:` left out (it runs on import): what they refer to runs
    only when the file is run as a script."""
    if b"__main__" not in source:  # (decoded, it holds `__main__` exactly when this does)
        return []
    text = source.decode("utf-8", "replace")
    lines = text.split("\n")
    spans: list[Span] = []
    for match in _MAIN_TEST.finditer(text):
        first = last = text.count("\n", 0, match.start()) + 1
        for line in lines[first:]:
            if line.strip() and not line.lstrip().startswith("#") and line[0] not in " \t":
                break
            last += 1
        spans.append((first, last, False))
    return spans


def split_names(source: bytes, spans: Sequence[Span], headers: Sequence[int] = ()
                ) -> tuple[str, list[str]]:
    """`names_and_bindings` without the bindings."""
    module, per_span, _ = names_and_bindings(source, spans, headers=headers)
    return module, per_span


def names_and_bindings(source: bytes, spans: Sequence[Span],
                       defined: Iterable[str] | None = None,
                       holes: Mapping[int, Sequence[tuple[int, int]]] | None = None,
                       headers: Sequence[int] = (),
                       ) -> tuple[str, list[str], str]:
    """The tokens module-level code refers to and those of each function body in `spans`,
    each as one space-separated, sorted string (cheap to cache, split only when needed).
    A line a body shares with its header counts for the body, and its header part (up
    to the colon, when `headers` gives the `def`) for module-level code. An alias that
    module-level code also rebinds, or that a function declares `global`, is the module
    or another object (its chains count both ways); one a function body rebinds, or a
    parameter of that function, is no alias in that body.
    `defined`: the module-level functions, when known: a plain name in a function body
    names only those of the file's own `def`s and `class`es (and the classes of
    module-level code); a method's name is no global (scipy's `_kstest_n_samples` keeps
    a local `cdf`, and `def cdf(self, x)` methods in the same file made it name every
    `cdf` of scipy).
    `holes`: by a span's index, the (first, last) lines its body leaves out (the bodies a
    type probe gates, which are spans of their own). `headers`: the line of the `def` of
    each of the first spans (a function's body): its parameters name nothing, in the
    header or in the body, whatever the file binds to the same names (torch's
    `_check_with(error_type, cond, ...)` does not name `torch.cond`, imported beside)."""
    unquoted = blank_strings(source.decode("utf-8", "replace"))
    bases: list[tuple[str, str]] = []
    imports = _imports(unquoted)
    no_imports = _replaced(unquoted, imports, _blank_lines)
    code = _code(_replaced(no_imports, _line_matches(_BASES, no_imports, "class"),
                           lambda match: _cut_bases(match, bases)))
    # `def`, `class` and `del` (blanked in `code`) bind nothing these patterns find
    rebound_lines = _ReboundLines(code)
    bindings = _Bindings(unquoted, rebound_lines.everywhere() | rebound_lines.keywords,
                         [match[0] for match in imports])
    lines = code.split("\n")
    parameters, heads = _header_parameters(lines, spans, headers)
    # a parameter (`def f(np=None)`) binds nothing outside its function: not on the lines
    # of its header (from the `def` to the body)
    for index, names in parameters.items():
        first, _, shared = spans[index]
        for number in range(headers[index], first + 1 if shared else first):
            rebound_lines.forget(number, names)
    module_level = [True] * (len(lines) + 2)
    for first, last, shared in spans:
        start = first + 1 if shared else first
        if last >= start:
            module_level[start:last + 1] = [False] * (last + 1 - start)
    kept = module_level[1:len(lines) + 1]  # whether each line is module-level code
    shown = lines.copy()
    for number, head in heads.items():
        shown[number - 1] = head
    module = "\n".join(compress(shown, kept))
    rebound = rebound_lines.where(module_level)
    aliases = {name: top for name, top in bindings.aliases.items() if name not in rebound}
    # an import module-level code also binds to something else (`except ImportError: np =
    # None`; `np = None`, then `global np` and `import numpy as np` in a function): each
    # attribute may be the module's or another object's, so it counts as both
    either = {name: top for name, top in bindings.aliases.items() if name in rebound}
    unquoted_lines = unquoted.split("\n")
    module_text = "\n".join(compress(unquoted_lines, kept))
    module, instances = bindings.instances(module, aliases, module_text.split("\n"))
    module, bound = bindings.bound(module, aliases)
    in_bodies = None if defined is None else bindings.globals_only(
        {*defined, *_CLASS.findall(module_text)})
    per_span: list[str] = []
    for index, (first, last, _) in enumerate(spans):
        chunk = lines[first - 1:last]
        for start, end in (holes or {}).get(index, ()):
            for number in range(max(start, first), min(end, last) + 1):
                chunk[number - first] = ""
        body = "\n".join(chunk)
        # a name the body rebinds, or its function's parameter, is no module there; one
        # it declares `global` is the module-level name (and it may rebind it: either)
        shadowed = parameters.get(index, frozenset())
        declared = _declared(body)
        local = (rebound_lines.between(first, min(last, len(lines))) - declared) | shadowed
        local_aliases = aliases if local.isdisjoint(aliases) and declared.isdisjoint(aliases) \
            else {n: t for n, t in aliases.items() if n not in local and n not in declared}
        cut, tokens = _qualify(body, local_aliases)
        if either or declared:
            tokens |= _qualify(body, {n: t for n, t in bindings.aliases.items()
                                      if n not in local and (n in either or n in declared)})[1]
        found = _by_name_only(
            bindings.tokens(cut, local_aliases, shadowed, in_bodies) | tokens, body)
        per_span.append(" ".join(sorted(found)))
    cut, tokens = _qualify(module, aliases)
    if either:
        tokens |= _qualify(module, either)[1]
    found = _by_name_only(bindings.tokens(cut, aliases) | tokens, module)
    found |= instances | bound
    for name, text in bases:
        cut, tokens = _qualify(text, aliases)
        if either:
            tokens |= _qualify(text, either)[1]
        found.update(token if "/" not in token and ":" not in token else f"{token}>/{name}!"
                     for token in bindings.tokens(cut, aliases) | tokens)
    table = module_table(module_text, bindings.assigned, defined or (), bindings.held)
    return " ".join(sorted(found)), per_span, table


def _header_parameters(lines: list[str], spans: Sequence[Span], headers: Sequence[int]
                       ) -> tuple[dict[int, frozenset[str]], dict[int, str]]:
    """The parameters of each function whose `def` line `headers` gives, by its span's
    index; their names are blanked in `lines` (the code, strings blanked), where the
    header's annotations and defaults stay: what those name is read when the `def` runs.
    And the header alone of each line a body shares with it (`def f(x): return g(x)`),
    by line number: what module-level code reads of that line."""
    found: dict[int, frozenset[str]] = {}
    heads: dict[int, str] = {}
    for index, (defined, (first, _, shared)) in enumerate(zip(headers, spans, strict=False)):
        last = first if shared else first - 1
        if not 0 < defined <= last <= len(lines):
            continue
        text = "\n".join(lines[defined - 1:last])
        opening = text.find("(")  # `def name` is blanked already: the parameters' `(`
        if opening < 0:
            continue
        blanked, names, end = _blank_parameters(text, opening + 1)
        if names:
            found[index] = frozenset(names)
            lines[defined - 1:last] = blanked.split("\n")
        colon = blanked.find(":", end)  # after a return annotation, if any
        if shared and colon >= 0:
            heads[last] = blanked[blanked.rfind("\n", 0, colon) + 1:colon + 1]
    return found, heads


# What `_blank_parameters` can act on: where a parameter's name is next, any character but
# a space, `*`, `/` and `\` (`\s` is what `str.isspace` says); elsewhere, a bracket or a comma
_PARAMETER_START = re.compile(r"[^\s*/\\]")
_PARAMETER_STOP = re.compile(r"[()\[\]{},]")


def _blank_parameters(text: str, start: int) -> tuple[str, list[str], int]:
    """`text` with the names of the parameters of the list opening just before `start`
    blanked (not their annotations or defaults), those names, and where the list ends.
    It goes from one character that matters to the next (`_PARAMETER_START`,
    `_PARAMETER_STOP`), not character by character."""
    pieces: list[str] = []
    names: list[str] = []
    done = 0  # `text` up to here is in `pieces`
    depth, expecting = 1, True  # a parameter's name comes next
    position, end = start, len(text)
    while position < end and depth:
        acts = _PARAMETER_START if expecting and depth == 1 else _PARAMETER_STOP
        found = acts.search(text, position)
        if found is None:
            position = end
            break
        position = found.start()
        char = text[position]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 1 and char == ",":
            expecting = True
        elif expecting and depth == 1:  # neither a space nor `*`, `/`, `\`: skipped
            name = _IDENTIFIER.match(text, position)
            expecting = False
            if name is not None:
                names.append(name[0])
                pieces += (text[done:position], " " * (name.end() - position))
                done = position = name.end()
                continue
        position += 1
    pieces.append(text[done:])
    return "".join(pieces), names, position


# a top-level `class Name(bases):` (no call in the bases: rarely written)
_BASES = re.compile(r"^(class[ \t]+([^\W\d]\w*)[ \t]*)\(([^()]*)\)", re.MULTILINE)


def _cut_bases(match: re.Match[str], bases: list[tuple[str, str]]) -> str:
    """A top-level class statement without its bases (lines kept), which go to `bases`:
    a base class is named for the subclass (`Base>/Sub!`: its `__init__` runs, and the
    dunders an instance's use calls once `Sub` is used, as `walk/reach.py` says of an
    instance kept in a variable), not used by itself. torch's `class
    _TorchCompileAOTInductorWrapper(_TorchCompileInductorWrapper)` no longer runs the
    base's `__call__` (and all of inductor) for every job that imports torch."""
    bases.append((match[2], match[3]))
    return match[1] + "(" + "\n" * match[3].count("\n") + ")"


def module_table(module: str, assigned: Iterable[str], defined: Iterable[str],
                 held: Iterable[str] = ()) -> str:
    """What module-level code (strings blanked, imports kept) binds each name to, for the
    walker's resolution of `mod.name` (`walk/resolve.py`): space-separated `name=target`
    entries, a target being exact (`save=torch.serialization/save`, `nn=torch.nn/`),
    `/name` (a `def` or `class` of the module), `?` (`NAME = obj.attr`: what it binds is
    decided at run time), `!` (`NAME = Cls(...)`: an instance, whose attributes are its
    methods) or, for `*`, a star import's module.
    `defined`: the module-level functions. Imports in class bodies count too (a harmless
    excess)."""
    targets, _, stars = import_targets(match[0] for match in _imports(module))
    entries = {f"{name}={target}" for name, found in targets.items() for target in found}
    entries.update(f"{name}=/{name}" for name in (*_CLASS.findall(module), *defined))
    entries.update(f"{name}=?" for name in assigned)
    entries.update(f"{name}=!" for name in held)
    entries.update(f"*={star}/" for star in stars)
    return " ".join(sorted(entries))


# code that gets a module by its name: `importlib.import_module(name)`, `__import__`,
# `sys.modules[name]`
_MODULE_BY_NAME = re.compile(r"\b(?:import_module|__import__)\b|\bmodules[ \t]*\[")


def _by_name_only(tokens: set[str], code: str) -> set[str]:
    """`tokens` without the enumeration of an object of unknown type's attributes unless
    `code` gets modules by name: only then can `dir(x)` be asked about a module the file
    does not import (array-api-compat's `mod = import_module(name)`; `for n in dir(mod):
    getattr(mod, n)`). mpmath's `dir(ctx)` and matplotlib's `dir(self.o)` ask objects."""
    if DYNAMIC_ATTRIBUTES in tokens and _MODULE_BY_NAME.search(code) is None:
        return tokens - {DYNAMIC_ATTRIBUTES}
    return tokens
