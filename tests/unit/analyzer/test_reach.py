"""Reachability in library code: an import inside a library function runs only when that
function can be called; the rule is by name (docs/reachability.md)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from jobpack.analyzer.facts.cache import FactsStore
from jobpack.analyzer.facts.names import split_names
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.analyzer.graph import ImportGraph
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.analyzer.walk.walker import Entry, Walker, WalkResult
from jobpack.report import how_it_runs, named_back
from jobpack.target import Target

T311 = Target(3, 11)


def write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")


def walk(tmp_path: Path, job: str, library: dict[str, str]) -> ImportGraph:
    """Walk `job` (main.py) with `library` installed as plain files in a site folder."""
    return walked(tmp_path, job, library).graph


def walked(tmp_path: Path, job: str, library: dict[str, str]) -> WalkResult:
    """`walk`'s whole result."""
    site, root = tmp_path / "site", tmp_path / "job"
    write(site, library)
    write(root, {"main.py": job})

    def find_external(name: str) -> str | None:
        parts = name.split(".")
        for depth in range(len(parts), 0, -1):
            base = site.joinpath(*parts[:depth])
            if base.is_dir() or base.with_suffix(".py").is_file() \
                    or any(base.parent.glob(f"{base.name}.*.so")):
                return ".".join(parts[:depth])
        return None

    walker = Walker(root, T311, FactsStore(T311, None), find_external,
                    site_paths=(site,))
    return walker.walk([Entry(root / "main.py", "main.py")])


LIBRARY = {
    "lib/__init__.py": """
        from ._impl import load, unused, Model
        def __getattr__(name):
            if name == "plotting":
                import lib.plotting as plotting
                return plotting
            raise AttributeError(name)
        """,
    "lib/_impl.py": """
        def load():
            return _convert()
        def _convert():
            import dep_convert
        def unused():
            import dep_unused
        class Model:
            def __init__(self):
                import dep_init
            def fit(self):
                import dep_fit
            def predict(self):
                import dep_predict
        """,
    "lib/plotting.py": "import dep_plot\n",
    **{f"dep_{name}.py": "" for name in (
        "convert", "unused", "init", "fit", "predict", "plot")},
}


def test_an_import_in_a_library_function_runs_only_if_the_function_is_reachable(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "import lib\nlib.load()\n", LIBRARY)
    # load is called, and calls _convert: its import runs; nothing names unused
    assert "dep_convert" in graph.modules
    assert "dep_unused" not in graph.modules


def test_why_says_what_named_the_function_an_import_sits_in(tmp_path: Path) -> None:
    graph = walk(tmp_path, "import lib\nlib.load()\n", LIBRARY)
    (convert,) = graph.get_import_sites("lib._impl", "dep_convert")
    assert (convert.function, convert.reached_by) == ("_convert", "lib/_impl.py:2, in load")
    assert how_it_runs(convert) == "in function _convert (named by lib/_impl.py:2, in load)"
    (load,) = graph.get_import_sites("main.py", "lib")
    assert how_it_runs(load) == "module level"


def test_why_follows_what_named_each_function_back_to_code_that_runs(
        tmp_path: Path) -> None:
    library = {**LIBRARY, "lib/_impl.py": LIBRARY["lib/_impl.py"] + """
        def api():
            return load()
        class Model2:
            fitted = api()
        """}
    result = walked(tmp_path, "import lib\nfrom lib._impl import Model2\n", library)
    (convert,) = result.graph.get_import_sites("lib._impl", "dep_convert")
    assert convert.reached_by == "lib/_impl.py:2, in load"
    # load <- api <- the class body of Model2 (module-level code)
    shown: set[str] = set()
    assert named_back(convert.reached_by, result.reached, shown) == [
        "<- lib/_impl.py:16, in api", "<- lib/_impl.py, module level"]
    assert named_back("lib/_impl.py:2, in load", result.reached, shown) == [
        "<- ... (above)"]


def test_a_method_is_reachable_when_its_class_and_its_name_are(tmp_path: Path) -> None:
    graph = walk(tmp_path, "from lib import Model\nModel().fit()\n", LIBRARY)
    assert {"dep_init", "dep_fit"} <= graph.modules  # __init__: the interpreter calls it
    assert "dep_predict" not in graph.modules and "dep_convert" not in graph.modules


def test_a_module_getattr_imports_only_what_an_attribute_names(tmp_path: Path) -> None:
    assert "dep_plot" not in walk(tmp_path / "a", "import lib\n", LIBRARY).modules
    graph = walk(tmp_path / "b", "import lib\nlib.plotting.show()\n", LIBRARY)
    assert {"lib.plotting", "dep_plot"} <= graph.modules


LIBRARY_DIR = {
    "lib/__init__.py": """
        def __getattr__(name):
            if name == "plotting":
                import lib.plotting as plotting
                return plotting
            if name == "legacy":
                import lib.legacy as legacy
                return legacy
            raise AttributeError(name)
        def __dir__():
            names = globals().keys() | {"plotting", "legacy"}
            names -= {"legacy"}
            return list(names)
        """,
    "lib/plotting.py": "import dep_plot\n",
    "lib/legacy.py": "import dep_legacy\n",
    "cloner.py": """
        import importlib, ast
        def clone(name):
            mod = importlib.import_module(name)
            return {n: getattr(mod, n) for n in dir(mod)}
        def nodes():
            return [getattr(ast, n) for n in dir(ast)]
        class Inspector:
            def methods(self):
                return [n for n in dir(self) if callable(getattr(self, n))]
        def namespace(ctx):  # mpmath's identify: `ctx` is an object, never a module
            return dict((n, getattr(ctx, n)) for n in dir(ctx))
        """,
    "dep_plot.py": "", "dep_legacy.py": "",
}


def test_enumerating_a_module_s_attributes_asks_its_getattr_for_what_its_dir_lists(
        tmp_path: Path) -> None:
    # code that gets a module by name and enumerates it: `__getattr__` runs for what
    # `dir` lists, not for a name `__dir__` takes out (numpy's `distutils`)
    graph = walk(tmp_path / "a", "import lib, cloner\ncloner.clone('lib')\n", LIBRARY_DIR)
    assert "dep_plot" in graph.modules and "dep_legacy" not in graph.modules
    # dir() of a standard-library module or of `self` asks no module's `__getattr__`
    graph = walk(tmp_path / "b", "import lib, cloner\ncloner.nodes()\n"
                 "cloner.Inspector().methods()\n", LIBRARY_DIR)
    assert "dep_plot" not in graph.modules
    # nor does dir() of an object in code that gets no module by name
    graph = walk(tmp_path / "d", "import lib, cloner\ncloner.namespace(None)\n", LIBRARY_DIR)
    assert "dep_plot" not in graph.modules
    # a module the code imports: that package's `__getattr__`; a name it writes: any
    graph = walk(tmp_path / "c", "import lib\n[getattr(lib, n) for n in dir(lib)]\n"
                 "lib.legacy\n", LIBRARY_DIR)
    assert {"dep_plot", "dep_legacy"} <= graph.modules


def test_a_library_module_s_main_block_never_runs(tmp_path: Path) -> None:
    library = {"lib.py": ('def run():\n    import dep_run\nif __name__ == "__main__":\n'
                          '    run()\nelse:\n    start()\ndef start():\n    import dep_start\n'),
               "dep_run.py": "", "dep_start.py": ""}
    graph = walk(tmp_path / "a", "import lib\n", library)
    assert "dep_start" in graph.modules and "dep_run" not in graph.modules
    job = "import lib\ndef main():\n    lib.run()\nif __name__ == '__main__':\n    main()\n"
    assert "dep_run" in walk(tmp_path / "b", job, library).modules  # the entry's runs


LIBRARY_ALIAS = {
    "lib/__init__.py": ("from . import _cli\nrun_main = _cli.run_main\nmain = _cli.main\n"
                        "def show():\n    import dep_show\nshow_config = show\n"),
    "lib/_cli.py": ("def run_main():\n    import dep_run\n"
                    "def main():\n    import dep_main\n"),
    "dep_run.py": "", "dep_main.py": "", "dep_show.py": "",
}


def test_binding_a_function_to_a_module_global_calls_it_only_once_that_name_is_named(
        tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib\n", LIBRARY_ALIAS)
    assert not {"dep_run", "dep_main", "dep_show"} & graph.modules
    graph = walk(tmp_path / "b", "import lib\nlib.run_main()\nlib.show_config()\n",
                 LIBRARY_ALIAS)
    assert {"dep_run", "dep_show"} <= graph.modules and "dep_main" not in graph.modules
    # the job's own `f = lib.main` is wholly reachable
    assert "dep_main" in walk(tmp_path / "c", "import lib\nf = lib.main\n",
                              LIBRARY_ALIAS).modules
    # reading the attribute runs a module `__getattr__` (and a property) at once
    library = {**LIBRARY, "user.py": "import lib\nplotting = lib.plotting\n"}
    assert "dep_plot" in walk(tmp_path / "d", "import user\n", library).modules


LIBRARY_METHODS = {  # mpmath/visualization.py's shape: `VisualizationMethods.plot = plot`
    "lib/__init__.py": "from .ctx import Context\nctx = Context()\n",
    "lib/ctx.py": "from .vis import Methods\nclass Context(Methods):\n    pass\n",
    "lib/vis.py": ("import sys\nclass Methods:\n    pass\n"
                   "def plot(ctx):\n    import dep_plot\n"
                   "def hook(*args):\n    import dep_hook\n"
                   "Methods.plot = plot\nsys.excepthook = hook\n"),
    "dep_plot.py": "", "dep_hook.py": "",
}


def test_a_function_stored_in_a_class_attribute_runs_once_that_attribute_is_named(
        tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib\n", LIBRARY_METHODS)
    assert "dep_plot" not in graph.modules
    # a standard-library module's attribute may be called by the interpreter: at once
    assert "dep_hook" in graph.modules
    assert "dep_plot" in walk(tmp_path / "b", "import lib\nlib.ctx.plot()\n",
                              LIBRARY_METHODS).modules


LIBRARY_DISPLAY = {  # sympy/plotting/plot.py's shape: a dict of backend classes
    "lib/__init__.py": ("from ._b import Backend, Text\n"
                        "backends = {\n    'mpl': Backend,\n    'text': Text,\n}\n"
                        "def factory(name):\n    return backends[name]()\n"),
    "lib/_b.py": ("class Backend:\n    def __init__(self):\n        import dep_backend\n"
                  "class Text:\n    pass\n"),
    "dep_backend.py": "",
}


def test_a_display_of_names_in_a_module_global_calls_them_only_once_it_is_named(
        tmp_path: Path) -> None:
    assert "dep_backend" not in walk(tmp_path / "a", "import lib\n", LIBRARY_DISPLAY).modules
    assert "dep_backend" in walk(tmp_path / "b", "import lib\nlib.factory('mpl')\n",
                                 LIBRARY_DISPLAY).modules


LIBRARY_STUB = {  # scikit-image's shape: lazy_loader's `attach_stub` and `__init__.pyi`
    "lib/__init__.py": ("import lazy_loader as lazy\n"
                        "__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)\n"),
    "lib/__init__.pyi": "from ._a import fa\nfrom ._b import fb\nfrom . import sub\n",
    "lib/_a.py": "import dep_a\ndef fa():\n    pass\n",
    "lib/_b.py": "import dep_b\ndef fb():\n    pass\n",
    "lib/sub.py": "import dep_sub\n",
    "user.py": "from lib import fb\n",
    **{f"dep_{name}.py": "" for name in ("a", "b", "sub")},
}


def test_a_lazy_loader_stub_is_the_lazy_table_of_its_package(tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib\nlib.fa()\nlib.sub\n", LIBRARY_STUB)
    assert {"lib._a", "dep_a", "lib.sub", "dep_sub"} <= graph.modules
    assert "dep_b" not in graph.modules  # nothing asks for `fb`
    # library code's `from lib import fb` imports `lib._b` at that line
    assert "dep_b" in walk(tmp_path / "b", "import user\n", LIBRARY_STUB).modules


def test_the_job_s_own_functions_are_wholly_reachable(tmp_path: Path) -> None:
    job = "def never_called():\n    import lib\n    lib.load()\n"
    graph = walk(tmp_path, job, LIBRARY)
    assert {"lib", "dep_convert"} <= graph.modules


def test_names_leave_out_strings_comments_imports_and_what_def_binds() -> None:
    source = dedent('''\
        """Docstring naming unused."""
        from ._impl import load, unused  # a re-export refers to nothing
        from lib import register, Base
        __all__ = ["unused"]
        LABEL = f"{formatter.width} wide"
        @register
        def plugin(x=default):
            return helper(x) + load(x)
        class Model(Base):
            def fit(self): return self.predict
        ''').encode()
    module, (plugin, fit) = split_names(source, [(8, 8, False), (10, 10, True)])
    # a plain name is what binds it in the file, exactly (`lib/register`: `register` of
    # module `lib`; `._impl/load` relative); an attribute is any object's (`width`,
    # `predict`); locals, parameters and names bound nowhere (`formatter`, `default`,
    # `helper`) name no function; a base class is named for its subclass (`>/Model!`)
    assert module.split() == ["lib/Base>/Model!", "lib/register", "predict", "width"]
    assert plugin.split() == ["._impl/load"] and fit.split() == ["predict"]


def test_a_stdlib_attribute_or_an_unbound_builtin_names_no_library_function() -> None:
    source = dedent('''\
        import re, os.path, json as j
        import numpy as np
        PATTERN = re.compile("a")
        def run(json):
            return (compile(PATTERN) + os.path.join("a") + j.load("b") + np.open("c")
                    + open("d") + json.compile() + PATTERN.format())
        ''').encode()
    module, (run,) = split_names(source, [(4, 6, False)])
    assert module.split() == []
    # `json` is a parameter here, not the module: its `compile` is anyone's
    assert run.split() == ["compile", "format", "numpy/open"]
    bound = split_names(b"from lib import *\ncompile(x)\n", [])[0]
    assert bound.split() == ["lib/compile", "lib/x"]  # a star import may bind any name
    rebound = split_names(b"import re\nre = make()\nre.compile()\n", [])[0]
    assert "compile" in rebound.split()
    # a function's own `re` (a local) is rebound in that function only
    source = b"import re\nX = re.compile()\ndef f():\n    re = g()\n    return re.compile\n"
    module, (local,) = split_names(source, [(4, 5, False)])
    assert "compile" not in module.split() and "compile" in local.split()
    # reading a function's metadata calls nothing
    assert split_names(b"def show(): pass\nshow_config.__doc__ = show.__doc__\n", [])[0] == ""



LIBRARY_COMPILE = {
    "lib/__init__.py": """
        def compile(model):
            import dep_compile
        """,
    "dep_compile.py": "",
}


def test_a_library_function_named_like_a_builtin_runs_only_when_named_as_its_own(
        tmp_path: Path) -> None:
    only_others = "import re, lib\nre.compile('x')\ncompile('1', 'f', 'eval')\n"
    assert "dep_compile" not in walk(tmp_path / "a", only_others, LIBRARY_COMPILE).modules
    for number, job in enumerate(("import lib\nlib.compile(m)\n",
                                  "from lib import compile\ncompile(m)\n")):
        graph = walk(tmp_path / str(number), job, LIBRARY_COMPILE)
        assert "dep_compile" in graph.modules, job


LIBRARY_SHOW = {
    "lib_a/__init__.py": """
        from ._config import show
        from helpers import assist
        from starry import *
        def run():
            import dep_run
        """,
    "lib_a/_config.py": "def show():\n    import dep_a\n",
    "lib_b/__init__.py": "def show():\n    import dep_b\ndef run():\n    import dep_b_run\n",
    "helpers.py": "def assist():\n    import dep_assist\n",
    "starry.py": "def twinkle():\n    import dep_twinkle\n",
    **{f"dep_{name}.py": "" for name in ("a", "b", "run", "b_run", "assist", "twinkle")},
}


def test_an_attribute_of_an_imported_module_names_only_that_package_s_functions(
        tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib_a as a, lib_b\na.show()\n", LIBRARY_SHOW)
    assert "dep_a" in graph.modules and "dep_b" not in graph.modules
    # an attribute of an object of unknown type names methods, not a module's functions
    graph = walk(tmp_path / "b", "import lib_a, lib_b\nfigure.show()\n", LIBRARY_SHOW)
    assert "dep_a" not in graph.modules and "dep_b" not in graph.modules


def test_a_name_re_exported_from_another_package_names_that_package_s_function(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "import lib_a\nlib_a.assist()\nlib_a.twinkle()\n", LIBRARY_SHOW)
    assert {"dep_assist", "dep_twinkle"} <= graph.modules  # `from x import name`, `*`
    assert "dep_run" not in graph.modules and "dep_b_run" not in graph.modules


LIBRARY_RENAMED = {
    # huggingface_hub/utils/tqdm.py's shape: `from tqdm.auto import tqdm as old_tqdm`
    "hub/__init__.py": "from bar import tqdm as old_tqdm\n",
    "bar.py": "def tqdm():\n    import dep_bar_tqdm\n",
    "dep_bar_tqdm.py": "",
}


def test_a_name_re_exported_under_an_alias_is_that_alias_of_the_package(
        tmp_path: Path) -> None:
    # `hub.missing.X`: the namespace cannot say, so `hub:X` names any `X` of the package,
    # and what a module of it re-exports as `X`: `bar.tqdm` is re-exported as `old_tqdm`
    named = walk(tmp_path / "a", "import hub\nhub.missing.old_tqdm()\n", LIBRARY_RENAMED)
    assert "dep_bar_tqdm" in named.modules
    other = walk(tmp_path / "b", "import hub\nhub.missing.tqdm()\n", LIBRARY_RENAMED)
    assert "dep_bar_tqdm" not in other.modules


def test_a_name_bound_to_two_packages_names_both_and_a_rebound_one_none() -> None:
    source = dedent('''\
        try:
            import lib_a as xp
        except ImportError:
            import lib_b as xp
        import numpy as np
        from . import utils
        xp.show()
        utils.load()
        def f(data):
            np = data
            return np.mean()
        ''').encode()
    module, (body,) = split_names(source, [(10, 11, False)])
    assert module.split() == ["./utils", "./utils.load", "lib_a/show", "lib_b/show"]
    assert body.split() == ["mean"]  # a local `np`: anyone's `mean`


LIBRARY_PARAMETER = {  # torch/__init__.py's shape: `_check_with(error_type, cond, ...)`
    "lib/__init__.py": ("from ._ops import cond as cond\nfrom ._types import Flag\n"
                        "def check(\n    error_type,\n    cond: Flag,\n    message=None,\n):\n"
                        "    if not cond:\n        raise error_type(message)\n"
                        "def check_one(cond): return cond\n"),
    "lib/_ops.py": "def cond(pred):\n    import dep_cond\n",
    "lib/_types.py": "class Flag:\n    pass\n",
    "dep_cond.py": "",
}


def test_a_parameter_named_like_an_imported_function_names_nothing(tmp_path: Path) -> None:
    """A parameter is a local variable of its function, in its header (a multi-line one is
    module-level code) and its body (a one-line function's too), whatever the file
    imports under the same name; its annotation is still read."""
    graph = walk(tmp_path / "a", "import lib\nlib.check(ValueError, True)\n"
                 "lib.check_one(1)\n", LIBRARY_PARAMETER)
    assert "lib._types" in graph.modules and "dep_cond" not in graph.modules
    assert "dep_cond" in walk(tmp_path / "b", "import lib\nlib.cond(True)\n",
                              LIBRARY_PARAMETER).modules
    source = dedent("""\
        from lib import cond, g
        def one(cond) -> int: return cond(1) + g()
        def two(x):
            return cond(x)
        """).encode()
    module, (one, two) = split_names(source, [(2, 2, True), (4, 4, False)], headers=[2, 3])
    assert module.split() == []  # a one-line function's body runs only when it is called
    assert one.split() == ["lib/g"] and two.split() == ["lib/cond"]


LIBRARY_TESTER = {  # numpy's `test = PytestTester(__name__)`, in its `else:` block
    "lib/__init__.py": ("from ._t import Tester\nif NO:\n    pass\nelse:\n"
                        "    test = Tester()\n    del Tester\n"),
    "lib/kept.py": ("from ._t import Tester\nclass Holder:\n    run = Tester()\n"
                    "    def go(self):\n        return self.run()\n"),
    "lib/_t.py": ("class Tester:\n    def __init__(self):\n        import dep_init\n"
                  "    def __call__(self):\n        import dep_call\n"),
    "dep_init.py": "", "dep_call.py": "",
}


def test_an_instance_kept_in_a_module_global_is_called_only_once_that_global_is_named(
        tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib\n", LIBRARY_TESTER)
    assert "dep_init" in graph.modules and "dep_call" not in graph.modules
    for number, job in enumerate(("import lib\nlib.test()\n",
                                  "from lib import test\ntest()\n")):
        assert "dep_call" in walk(tmp_path / str(number), job, LIBRARY_TESTER).modules, job
    # the class named any other way: its instances may be called anywhere
    graph = walk(tmp_path / "c", "from lib._t import Tester\nx = [Tester]\n", LIBRARY_TESTER)
    assert "dep_call" in graph.modules
    # a module global is named as a module-level function is, not by an attribute of
    # anything (networkx's `self.test = "graph"`); a class attribute is (`self.run()`)
    graph = walk(tmp_path / "d", "import lib\nclass M:\n    def f(self):\n"
                 "        self.test = 1\n", LIBRARY_TESTER)
    assert "dep_call" not in graph.modules
    graph = walk(tmp_path / "e", "from lib.kept import Holder\nHolder().go()\n",
                 LIBRARY_TESTER)
    assert "dep_call" in graph.modules


def test_facts_name_each_function_and_the_function_of_each_import() -> None:
    facts = parse_facts(dedent('''\
        import os
        def top():
            def inner():
                import a
            return inner
        class Outer:
            class Inner:
                def method(self):
                    import b
        ''').encode(), T311)
    assert [f.name for f in facts.functions] == ["top", "Outer.Inner.method"]
    assert [(i.module, i.function) for i in facts.imports] == [
        ("os", ""), ("a", "top"), ("b", "Outer.Inner.method")]


def _dist(name: str, *requires: str) -> InstalledDistribution:
    return InstalledDistribution(name, "1.0", requires, (), frozenset({name}), None, (),
                                 True, False, (), frozenset({name}), None)


def test_a_distribution_reached_only_under_except_import_error_is_optional(
        tmp_path: Path) -> None:
    library = {"lib.py": "try:\n    import fast\nexcept ImportError:\n    fast = None\n",
               "fast.py": "import helper\n", "helper.py": ""}
    graph = walk(tmp_path, "import lib\n", library)
    index = DistributionIndex([_dist("lib"), _dist("fast", "helper"), _dist("helper")])
    pins, _ = resolve_requirements(graph, index, T311)
    tiers = {pin.name: pin.tier for pin in pins}
    assert tiers == {"lib": "required", "fast": "optional", "helper": "optional"}


# scipy's `FitResult.plot` imports matplotlib; matplotlib's own module-level code names
# `.plot`, and the job reaches matplotlib only through an `except ImportError` fallback
LIBRARY_OPTIONAL_NAMER = {
    "lib.py": """
        try:
            import viz
        except ImportError:
            viz = None
        class Result:
            def plot(self):
                import viz
        """,
    "viz.py": """
        import drawing
        canvas = drawing.Canvas()
        canvas.plot()
        """,
    "drawing.py": """
        class Canvas:
            def plot(self):
                pass
        """,
}


def test_a_function_named_only_by_code_under_an_optional_import_is_optional(
        tmp_path: Path) -> None:
    index = DistributionIndex([_dist("lib"), _dist("viz", "drawing"), _dist("drawing")])
    graph = walk(tmp_path / "a", "import lib\nresult = lib.Result()\n",
                 LIBRARY_OPTIONAL_NAMER)
    # `Result.plot` runs only if viz imports: `canvas.plot()` is viz's, not the job's
    (site,) = [s for s in graph.get_import_sites("lib", "viz") if s.function]
    assert site.via_optional and site.function == "Result.plot"
    assert how_it_runs(site) == ("in function Result.plot (named by viz.py, module level), "
                                 "named only by code that may not run")
    pins, _ = resolve_requirements(graph, index, T311)
    assert {pin.name: pin.tier for pin in pins} == {
        "lib": "required", "viz": "optional", "drawing": "optional"}


UNRESOLVED_CALLS = {
    "lib.py": """
        def load():
            import viz
        class Result:
            def plot(self):
                import drawing
            def __init__(self):
                import frame
        """,
    "viz.py": "", "drawing.py": "", "frame.py": "",
}


def test_what_only_an_unresolved_call_reaches_is_optional(tmp_path: Path) -> None:
    # `lib.load()` names lib's own `load` and `lib.Result()` its class (whose `__init__`
    # the interpreter calls): both run for sure. `.plot()` on the instance names every
    # method `plot` of any class: a call the rule cannot resolve
    index = DistributionIndex([_dist(n) for n in ("lib", "viz", "drawing", "frame")])
    graph = walk(tmp_path, "import lib\nlib.load()\nlib.Result().plot()\n",
                 UNRESOLVED_CALLS)
    pins, _ = resolve_requirements(graph, index, T311)
    assert {pin.name: pin.tier for pin in pins} == {
        "lib": "required", "viz": "required", "frame": "required", "drawing": "optional"}
    (site,) = graph.get_import_sites("lib", "drawing")
    assert how_it_runs(site) == ("in function Result.plot (named by main.py, module level), "
                                 "named only by code that may not run")


def test_a_compiled_module_s_imports_are_read_from_its_shipped_cython_sources(
        tmp_path: Path) -> None:
    library = {"arrowish/__init__.py": "from arrowish.lib import Table\n",
               "arrowish/lib.pyx": "include 'compat.pxi'\nimport helper\n",
               "arrowish/compat.pxi": ("try:\n    import cloudy as pickle\nexcept ImportError:\n"
                                       "    import pickle\ndef f():\n    import deep\n"),
               "helper.py": "", "cloudy.py": "", "deep.py": ""}
    write(tmp_path / "site", library)
    (tmp_path / "site" / "arrowish" / "lib.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    graph = walk(tmp_path, "import arrowish\n", {})
    assert {"helper", "cloudy"} <= graph.modules  # imported when the extension loads
    assert "deep" not in graph.modules  # inside a function
    [site] = graph.get_import_sites("arrowish.lib", "cloudy")
    assert site.optional and site.path == "arrowish/compat.pxi"


# scipy/stats/_stats_py.py's shape: `_kstest_n_samples` keeps a local `cdf`, and
# distribution classes of the same file define `def cdf(self, x)`
LIBRARY_METHOD_NAMES = {
    "lib/__init__.py": "from lib._stats import kstest, Dist\n",
    "lib/_stats.py": """
        class Dist:
            def cdf(self, x):
                import dep_cdf
            def _get_size(self):
                import dep_size
            size = property(_get_size)
        dist = Dist()
        def kstest(kwargs):
            cdf = kwargs['cdf']
            return callable(cdf)
        """,
    "dep_cdf.py": "", "dep_size.py": "",
}


def test_a_plain_name_in_a_function_is_no_method_s_name(tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lib\nlib.kstest({})\n", LIBRARY_METHOD_NAMES)
    assert "dep_cdf" not in graph.modules  # the local `cdf` is not `Dist.cdf`
    # a method named in its class body (module-level code) is a name there
    graph = walk(tmp_path / "b", "import lib\nlib.dist.size\n", LIBRARY_METHOD_NAMES)
    assert "dep_size" in graph.modules and "dep_cdf" not in graph.modules
    graph = walk(tmp_path / "c", "import lib\nlib.dist.cdf(1)\n", LIBRARY_METHOD_NAMES)
    assert "dep_cdf" in graph.modules
