"""Exact resolution of qualified references (docs/reachability.md, rule 9): `torch.save`
is the `save` torch's namespace binds, not every `save` of the package. The libraries
below mimic torch's shapes (re-exports in `__init__.py`, several functions of one name in
one package); each case fails under the package-wide rule."""

from __future__ import annotations

from pathlib import Path

from jobpack.analyzer.facts.names import names_and_bindings
from tests.unit.analyzer.test_reach import walk

# Three functions named `save` in one package; only one is what `tiny.save` binds.
TINY = {
    "tiny/__init__.py": """
        from tiny.serialization import save
        from tiny._impl import load as fetch
        from tiny.ops import *
        import tiny.jit
        import tiny.nn as nn_alias
        from . import hub
        from ._C import *
        import tiny.runtime
        from tiny._cache import Cache
        cache = Cache()
        def compile(model):
            import dep_tiny_compile
        """,
    "tiny/serialization.py": "def save(obj):\n    import dep_serialization_save\n",
    "tiny/_impl.py": ("def load():\n    import dep_impl_load\n"
                      "def save():\n    import dep_impl_save\n"),
    "tiny/ops.py": ("__all__ = ['run']\ndef run():\n    import dep_ops_run\n"
                    "def hidden():\n    import dep_ops_hidden\n"),
    "tiny/jit/__init__.py": ("from tiny.jit._script import script\n"
                             "def save(m):\n    import dep_jit_save\n"),
    "tiny/jit/_script.py": ("def script(fn):\n    return compile(fn)\n"
                            "def compile(fn):\n    import dep_jit_compile\n"),
    "tiny/nn/__init__.py": "from .modules import *\n",
    "tiny/nn/modules/__init__.py": "from .linear import Linear\n",
    "tiny/nn/modules/linear.py": ("class Linear:\n    def __init__(self):\n"
                                  "        import dep_linear_init\n"
                                  "    def forward(self):\n        import dep_linear_forward\n"),
    "tiny/_cache.py": "class Cache:\n    def load(self):\n        import dep_cache_load\n",
    "tiny/hub.py": "def download():\n    import dep_hub_download\n",
    "tiny/_C.cpython-311-x86_64-linux-gnu.so": "",
    "tiny/runtime.py": "def dynamic():\n    import dep_dynamic\n",
    **{f"dep_{name}.py": "" for name in (
        "tiny_compile", "serialization_save", "impl_load", "impl_save", "ops_run",
        "ops_hidden", "jit_save", "jit_compile", "linear_init", "linear_forward",
        "hub_download", "dynamic", "cache_load")},
}
DEPS = {name.removesuffix(".py") for name in TINY if name.startswith("dep_")}


def _reached(tmp_path: Path, job: str) -> set[str]:
    return DEPS & set(walk(tmp_path, job, TINY).modules)


def test_an_attribute_of_a_module_is_what_its_namespace_binds(tmp_path: Path) -> None:
    # `from tiny.serialization import save` in `__init__.py`: that `save` only
    assert _reached(tmp_path / "a", "import tiny\ntiny.save(x)\n") == {"dep_serialization_save"}
    # a module's own `def` (its `compile`), not `tiny/jit/_script.py`'s of that name
    assert _reached(tmp_path / "b", "import tiny\ntiny.compile(m)\n") == {"dep_tiny_compile"}


def test_a_re_export_under_another_name_is_followed(tmp_path: Path) -> None:
    # `from tiny._impl import load as fetch`: `_impl.load`, not `_impl.save`
    assert _reached(tmp_path, "import tiny\ntiny.fetch()\n") == {"dep_impl_load"}


def test_a_star_import_binds_what_the_module_exports(tmp_path: Path) -> None:
    # `from tiny.ops import *` with `__all__ = ['run']`
    assert _reached(tmp_path, "import tiny\ntiny.run()\n") == {"dep_ops_run"}
    assert _reached(tmp_path / "b", "from tiny import run\nrun()\n") == {"dep_ops_run"}


def test_a_chain_goes_through_submodules_and_module_aliases(tmp_path: Path) -> None:
    # `import tiny.jit` binds the submodule; `jit/__init__.py` re-exports `script`, whose
    # body's plain `compile` is its own module's, not `tiny.compile`
    assert _reached(tmp_path / "a", "import tiny\ntiny.jit.script(f)\n") == {"dep_jit_compile"}
    assert _reached(tmp_path / "b", "import tiny.jit as J\nJ.save(m)\n") == {"dep_jit_save"}
    # `import tiny.nn as nn_alias`, then star imports and a relative re-export to a class:
    # its `__init__` runs; its method once its name is written
    job = "import tiny\nm = tiny.nn_alias.Linear()\n"
    assert _reached(tmp_path / "c", job) == {"dep_linear_init"}
    job = "from tiny import nn\nm = nn.Linear()\nm.forward()\n"
    assert _reached(tmp_path / "d", job) == {"dep_linear_init", "dep_linear_forward"}
    # `from . import hub` in `__init__.py`: the submodule
    assert _reached(tmp_path / "e", "import tiny\ntiny.hub.download()\n") \
        == {"dep_hub_download"}


def test_what_a_namespace_cannot_say_falls_back_to_the_package(tmp_path: Path) -> None:
    # `dynamic` is bound nowhere in `tiny/__init__.py`, which star-imports a compiled
    # module: any function of that name in the package may be it
    assert _reached(tmp_path, "import tiny\ntiny.dynamic()\n") == {"dep_dynamic"}


def test_a_name_a_compiled_modules_stub_defines_runs_no_python_function(
        tmp_path: Path) -> None:
    # torch's shape: `from torch._C._VariableFunctions import *` (under TYPE_CHECKING; a
    # `globals()[name] = getattr(_C._VariableFunctions, name)` loop at run time) binds
    # `torch.concat` to compiled code, which the stub `_C/_VariableFunctions.pyi` declares:
    # no Python `concat` of the package runs (datapipes' one, which imports pandas)
    files = {**TINY,
             "tiny/__init__.py": ("from tiny._C._Funcs import *\nfrom ._C import *\n"
                                  "import tiny.datapipes\nimport tiny.runtime\n"),
             "tiny/_C/_Funcs.pyi": "def concat(tensors): ...\n",
             "tiny/_C/__init__.pyi": "def dynamic_c(): ...\n",
             "tiny/datapipes.py": "def concat(pipes):\n    import dep_ops_run\n"}
    reached = DEPS & set(walk(tmp_path / "a", "import tiny\ntiny.concat(x)\n", files).modules)
    assert reached == set()
    # a name no stub defines: still any function of that name in the package
    reached = DEPS & set(walk(tmp_path / "b", "import tiny\ntiny.dynamic()\n", files).modules)
    assert reached == {"dep_dynamic"}


def test_what_is_read_from_an_instance_in_a_module_global_is_a_method(
        tmp_path: Path) -> None:
    # `cache = Cache()`: `tiny.cache.load` is `Cache.load`, not `_impl.py`'s `load`
    assert _reached(tmp_path, "import tiny\ntiny.cache.load()\n") == {"dep_cache_load"}


def test_facts_record_each_module_level_binding() -> None:
    source = (b"from a.b import c as d, e\nimport f.g\nimport h.i as j\nfrom .k import *\n"
              b"from . import m\nclass C:\n    def meth(self):\n        import n\n"
              b"def top():\n    from o import p\nQ = d.attr\nR = C()\n")
    _, _, table = names_and_bindings(source, [(7, 8, False), (9, 10, False)], ["top"])
    assert table.split() == ["*=.k/", "C=/C", "Q=?", "R=!", "d=a.b/c", "e=a.b/e", "f=f/",
                             "j=h.i/", "m=./m", "top=/top"]


# torch/distributed/tensor/debug/__init__.py's shape: a re-exported function's metadata
# set at module level (`visualize_sharding.__module__ = ...`), whose body imports rich
DEBUG = {
    "dbg/__init__.py": """
        from dbg._visualize import visualize, Table
        import dbg.lazy as lazy
        visualize.__module__ = "dbg"
        Table.__doc__ = "A table."
        NAME = lazy.plots.__name__
        """,
    "dbg/_visualize.py": ("def visualize(x):\n    import dep_rich\n"
                          "class Table:\n    def render(self):\n        import dep_render\n"),
    "dbg/lazy.py": "def __getattr__(name):\n    from dep_lazy_plots import plots\n",
    **{f"dep_{name}.py": "" for name in ("rich", "render", "lazy_plots")},
}


def test_an_imported_name_s_metadata_is_read_not_named(tmp_path: Path) -> None:
    def reached(job: str, folder: str) -> set[str]:
        deps = {name.removesuffix(".py") for name in DEBUG if name.startswith("dep_")}
        return deps & set(walk(tmp_path / folder, job, DEBUG).modules)

    # setting `visualize.__module__` calls nothing, nor makes Table's methods anyone's;
    # reading `lazy.plots.__name__` still asks the lazy module's `__getattr__`
    assert reached("import dbg\nobj.render()\n", "a") == {"dep_lazy_plots"}
    assert reached("import dbg\ndbg.visualize(1)\n", "b") == {"dep_lazy_plots", "dep_rich"}
    assert reached("import dbg\ndbg.Table().render()\n", "c") == {"dep_lazy_plots",
                                                                   "dep_render"}
    module = names_and_bindings(b"from a.b import f\nimport np\nf.__module__ = 'x'\n"
                                b"np.__doc__\nnp.linalg.__doc__.strip()\n", [])[0]
    assert module.split() == ["a.b/f@", "np/linalg@"]


# networkx/drawing/layout.py's shape: `import numpy as np` at the top, and a function of
# the same file with a parameter `np`
SHADOWED = {
    "lay/__init__.py": """
        import other
        def configure(other=None):
            return other.settings
        def run():
            return other.load()
        def call(use):
            return use(x=1, other=other) + other.fetch()
        """,
    "other.py": ("def load():\n    import dep_load\ndef settings():\n    import dep_settings\n"
                 "def fetch():\n    import dep_fetch\n"),
    "dep_load.py": "", "dep_settings.py": "", "dep_fetch.py": "",
}


def test_a_parameter_shadows_an_import_only_in_its_own_function(tmp_path: Path) -> None:
    graph = walk(tmp_path / "a", "import lay\nlay.run()\nlay.configure()\n", SHADOWED)
    # `other.load()` in `run` is other's `load`, not a method of an unknown object, and
    # in `configure` `other` is the parameter: its `settings` is no module's
    assert "dep_load" in graph.modules and "dep_settings" not in graph.modules
    # a keyword argument (`other=other`) binds no `other` in `call`
    graph = walk(tmp_path / "b", "import lay\nlay.call(print)\n", SHADOWED)
    assert "dep_fetch" in graph.modules


# optional dependencies, as libraries write them: a fallback binding of the alias, and a
# placeholder a function fills in (`global`)
EITHER = {
    "opt/__init__.py": """
        try:
            import other as oth
        except ImportError:
            oth = None
        _lazy = None
        def _get():
            global _lazy
            import other as _lazy
            return _lazy.settings()
        def run():
            return oth.load()
        def call():
            return _lazy.fetch()
        """,
    "other.py": ("def load():\n    import dep_load\ndef settings():\n    import dep_settings\n"
                 "def fetch():\n    import dep_fetch\n"),
    "dep_load.py": "", "dep_settings.py": "", "dep_fetch.py": "",
}


def test_an_import_also_bound_to_something_else_names_the_module_s_functions_too(
        tmp_path: Path) -> None:
    graph = walk(tmp_path, "import opt\nopt.run()\nopt.call()\nopt._get()\n", EITHER)
    assert {"dep_load", "dep_settings", "dep_fetch"} <= graph.modules
    # and only what is called
    graph = walk(tmp_path / "b", "import opt\nopt.run()\n", EITHER)
    assert "dep_load" in graph.modules and "dep_fetch" not in graph.modules


# shapes found by comparing the facts of the torch test venv's files with Python's own
# scopes (`symtable`): each made `other` look local, and `other.load()` a method's name
WRITTEN = {
    "shapes/__init__.py": """
        import other
        from other import settings, \\
            fetch
        class Holder:
            def keyword(self, make):
                make(
                    other=1,
                )
                return other.load()
            def attribute(self):
                self.other = other.ready()
                return self.other
            def with_items(self, path):
                with open(path) as handle, other.opened() as inner:
                    return handle, inner
            def annotated(self):
                self.source: other = other.made()
                return self.source
        def continued():
            return fetch()
        """,
    "other.py": "".join(f"def {name}():\n    import dep_{name}\n" for name in (
        "load", "ready", "opened", "made", "settings", "fetch")),
    **{f"dep_{name}.py": "" for name in (
        "load", "ready", "opened", "made", "settings", "fetch")},
}


def test_what_python_binds_is_what_the_walk_reads(tmp_path: Path) -> None:
    calls = {"keyword": "load", "attribute": "ready", "with_items": "opened",
             "annotated": "made"}
    for number, (method, dep) in enumerate(calls.items()):
        graph = walk(tmp_path / str(number),
                     f"from shapes import Holder\nHolder().{method}(print)\n", WRITTEN)
        assert f"dep_{dep}" in graph.modules, method
    # a `from` import continued after a backslash binds the names of the next line
    graph = walk(tmp_path / "c", "import shapes\nshapes.continued()\n", WRITTEN)
    assert "dep_fetch" in graph.modules and "dep_settings" not in graph.modules
