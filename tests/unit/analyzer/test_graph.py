"""Queries on the import graph."""

from __future__ import annotations

from jobpack.analyzer.graph import ImportGraph, ImportSite, Module


def _graph() -> ImportGraph:
    """main.py -> helpers (local) -lazily-> lib; lib -> lib.core; lib.core -lazily->
    lib.plot; lib.core -> other (optional: under try/except ImportError)."""
    graph = ImportGraph()
    for module in (Module("main.py", "entry", "main.py"), Module("helpers", "local", "helpers.py"),
                   Module("lib", "external"), Module("lib.core", "external"),
                   Module("lib.plot", "external"), Module("other", "external"),
                   Module("unused", "external")):
        graph.add_module(module)
    graph.add_import("main.py", "helpers", ImportSite("main.py", 1))
    graph.add_import("helpers", "lib", ImportSite("helpers.py", 5, lazy=True))
    graph.add_import("lib", "lib.core", ImportSite(None, 1))
    graph.add_import("lib.core", "lib.plot", ImportSite(None, 9, lazy=True))
    graph.add_import("lib.core", "other", ImportSite(None, 2, optional=True))
    return graph


def test_startup_modules_follow_the_jobs_lazy_imports_but_not_a_librarys() -> None:
    assert _graph().find_startup_modules() == {"main.py", "helpers", "lib", "lib.core", "other"}


def test_a_library_import_made_both_lazily_and_at_module_level_counts() -> None:
    graph = _graph()
    graph.add_import("lib", "lib.plot", ImportSite(None, 3))
    assert "lib.plot" in graph.find_startup_modules()


def test_edges_added_in_bulk_are_the_edges_added_one_by_one() -> None:
    """`add_edges` (a memoised library walk's replay) takes whole dicts and sets; where
    the graph already has edges of an importer (the job's part), it merges into them."""
    bulk = {"helpers": {"lib": {ImportSite("helpers.py", 7)}},
            "lib": {"lib.core": {ImportSite(None, 1), ImportSite(None, 4)},
                    "other": {ImportSite(None, 2, optional=True)}},
            "lib.core": {"lib.plot": {ImportSite(None, 9, lazy=True)}}}
    one_by_one, at_once = _graph(), _graph()
    for importer, targets in bulk.items():
        for imported, sites in targets.items():
            one_by_one.add_imports(importer, imported, sites)
    at_once.add_edges(bulk)
    for graph in (one_by_one, at_once):
        assert graph.get_import_sites("helpers", "lib") == [
            ImportSite("helpers.py", 5, lazy=True), ImportSite("helpers.py", 7)]
        assert graph.get_import_sites("lib", "lib.core") == [ImportSite(None, 1),
                                                             ImportSite(None, 4)]
        assert graph.find_modules_that_directly_import("other") == {"lib", "lib.core"}
    assert [(m, sorted(one_by_one.find_modules_directly_imported_by(m))) for m in
            one_by_one.modules_view] == [(m, sorted(at_once.find_modules_directly_imported_by(m)))
                                         for m in at_once.modules_view]
