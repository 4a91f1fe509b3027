"""The pin set: extras, self-references, library provenance, --exclude, closed set."""

from __future__ import annotations

from jobpack.analyzer.graph import ImportGraph, ImportSite, Module
from jobpack.analyzer.pins.distributions import DistributionIndex, InstalledDistribution
from jobpack.analyzer.pins.requirements import resolve_requirements
from jobpack.manifest import Diagnostic, Requirement
from jobpack.target import Target

T311 = Target(3, 11)


def dist(name: str, *requires: str, extras: tuple[str, ...] = (), version: str = "1.0",
         size: int | None = None) -> InstalledDistribution:
    module = name.replace("-", "_")
    return InstalledDistribution(name, version, requires, extras, frozenset({module}), None,
                                 (), True, False, (), frozenset({module}), size)


def job_imports(*names: str) -> ImportGraph:
    graph = ImportGraph()
    graph.add_module(Module("main.py", "entry", "main.py"))
    for line, name in enumerate(names, start=1):
        graph.add_module(Module(name, "external"))
        graph.add_import("main.py", name, ImportSite("main.py", line))
    return graph


def library_import(graph: ImportGraph, importer: str, name: str, site: ImportSite) -> None:
    graph.add_module(Module(importer, "external"))
    graph.add_module(Module(name, "external"))
    graph.add_import(importer, name, site)


def resolve(graph: ImportGraph, *dists: InstalledDistribution, exclude: tuple[str, ...] = ()
            ) -> tuple[dict[str, Requirement], tuple[Diagnostic, ...]]:
    pins, diagnostics = resolve_requirements(graph, DistributionIndex(dists), T311,
                                             exclude=exclude)
    return {r.name: r for r in pins}, diagnostics


PANDAS = dist("pandas", "numpy>=1.26", 'pandas[pyarrow]; extra == "parquet"',
              'pyarrow>=10.0.1; extra == "pyarrow"', 'matplotlib>=3.6; extra == "plot"',
              extras=("parquet", "pyarrow", "plot"))


def test_a_self_reference_is_expanded_not_satisfied_by_the_parent() -> None:
    pins, diagnostics = resolve(job_imports("pandas"), PANDAS, dist("numpy"))
    assert set(pins) == {"pandas", "numpy"}
    assert pins["pandas"].extras == ()
    assert pins["pandas"].pip_line() == "pandas==1.0"
    assert not any("pyarrow" in d.message for d in diagnostics)  # optional and absent: silent


def test_an_installed_optional_dependency_is_not_pinned_on_its_own() -> None:
    pins, _ = resolve(job_imports("pandas"), PANDAS, dist("numpy"), dist("pyarrow"))
    assert set(pins) == {"pandas", "numpy"}  # pyarrow is installed, but no one asks for it


def test_an_extra_a_requirement_names_is_expanded() -> None:
    app = dist("app", "pandas[parquet]")
    pins, _ = resolve(job_imports("app"), app, PANDAS, dist("numpy"), dist("pyarrow"))
    assert pins["pandas"].extras == ("parquet",)
    assert pins["pyarrow"].required_by == ("pandas",)


def test_build_tools_are_pinned_only_when_imported() -> None:
    lib = dist("lib", "setuptools>=40", "pip", "wheel", "numpy")
    pins, diagnostics = resolve(job_imports("lib"), lib, dist("setuptools"), dist("pip"),
                                dist("wheel"), dist("numpy"))
    assert set(pins) == {"lib", "numpy"}
    notes = [d.message for d in diagnostics if d.code == "build-tool-not-pinned"]
    assert len(notes) == 3 and any("setuptools>=40" in note for note in notes)
    graph = job_imports("lib")
    library_import(graph, "lib", "setuptools", ImportSite("lib/build.py", 3))  # pkg_resources
    pins, diagnostics = resolve(graph, lib, dist("setuptools"), dist("pip"), dist("wheel"),
                                dist("numpy"))
    assert set(pins) == {"lib", "numpy", "setuptools"}
    assert pins["setuptools"].required_by == ("lib",)  # it declares it: that says it all


def test_extras_are_carried_only_when_a_requirer_asks() -> None:
    app = dist("app", "pandas[plot]")
    pins, _ = resolve(job_imports("app"), app, PANDAS, dist("numpy"), dist("matplotlib"))
    assert pins["pandas"].extras == ("plot",)
    assert pins["matplotlib"].required_by == ("pandas",)


def test_a_library_import_pins_with_provenance_and_laziness() -> None:
    graph = job_imports("sklearn")
    library_import(graph, "sklearn", "pandas",
                   ImportSite("sklearn/utils/_optional_dependencies.py", 42, lazy=True))
    sklearn = InstalledDistribution("scikit-learn", "1.5", (), (), frozenset({"sklearn"}),
                                    None, (), True, False, (), frozenset({"sklearn"}))
    pins, _ = resolve(graph, sklearn, PANDAS, dist("numpy"))
    assert pins["pandas"].required_by == (
        "scikit-learn (sklearn/utils/_optional_dependencies.py:42, lazy)",)
    assert pins["pandas"].lazy_only and not pins["pandas"].direct
    assert not pins["numpy"].lazy_only  # required by pandas' metadata


def test_exclude_drops_a_distribution_and_what_only_it_brought_in() -> None:
    graph = job_imports("app", "numpy")
    pins, diagnostics = resolve(graph, dist("app", "pandas"), PANDAS, dist("numpy"),
                                exclude=("Pandas",))
    assert set(pins) == {"app", "numpy"}  # numpy stays: the job imports it itself
    [note] = [d for d in diagnostics if d.code == "excluded"]
    assert "pandas" in note.message
    pins, diagnostics = resolve(job_imports("app"), dist("app", "pandas"), PANDAS, dist("numpy"),
                                exclude=("pandas",))
    assert set(pins) == {"app"}
    assert any("numpy" in d.message for d in diagnostics if d.code == "excluded")


def test_every_requirement_of_a_pin_is_pinned_or_named() -> None:
    app = dist("app", "numpy>=2", "absent")
    pins, diagnostics = resolve(job_imports("app"), app, dist("numpy", version="1.26"))
    assert set(pins) == {"app", "numpy"}
    found = {d.code for d in diagnostics}
    assert {"requirement-not-installed", "requirement-version-conflict"} <= found


def test_no_extra_is_followed_by_itself_test_and_docs_ones_neither() -> None:
    lib = dist("lib", 'fast; extra == "speed"', 'pytest; extra == "test"',
               'sphinx; extra == "docs"', extras=("speed", "test", "docs"))
    pins, _ = resolve(job_imports("lib"), lib, dist("fast"), dist("pytest"), dist("sphinx"))
    assert set(pins) == {"lib"}


def test_an_optional_dependency_the_job_imports_is_pinned() -> None:
    lib = dist("lib", 'fast; extra == "speed"', extras=("speed",))
    pins, _ = resolve(job_imports("lib", "fast"), lib, dist("fast"))
    assert set(pins) == {"lib", "fast"} and pins["fast"].direct


def test_the_report_shows_sizes_and_flags_a_large_lazy_only_distribution() -> None:
    import io

    from rich.console import Console

    from jobpack.manifest import Manifest
    from jobpack.report import print_manifest

    big = Requirement("bigdist", "1.0", False, required_by=("lib (lib/x.py:3, lazy)",),
                      size=150_000_000, lazy_only=True)
    maybe = Requirement("maybedist", "1.0", False, size=120_000_000, tier="optional")
    small = Requirement("small", "1.0", True, size=2_000_000, lazy_only=False)
    out = io.StringIO()
    print_manifest(Manifest(T311, ("main.py",), requirements=(big, maybe, small)),
                   Console(file=out, width=250))
    lines = out.getvalue().splitlines()
    [big_line] = [line for line in lines if "bigdist" in line]
    [maybe_line] = [line for line in lines if "maybedist" in line]
    [small_line] = [line for line in lines if "small==" in line]
    # required, yet only a library's lazy import asks for it: the safe way to trim it
    assert "150.0 MB" in big_line and "LARGE and only imported lazily" in big_line
    assert "--on-demand it?" in big_line
    assert "LARGE and only reached through code that may not run" in maybe_line
    assert "2.0 MB" in small_line and "LARGE" not in small_line


def test_an_extras_requirements_are_read_by_their_marker_not_by_its_usual_form() -> None:
    # `extra == "x"` requirements are parsed only for their extra (a shortcut: transformers
    # declares hundreds); every other form of marker is still evaluated
    from jobpack.analyzer.pins.requirements import requirements_for

    lib = dist("lib", "base", 'torch; extra == "Torch_Gpu"', "tf; extra == 'tf'",
               'notx; extra != "x"', 'py2; python_version < "3" and extra == "x"',
               'either; extra == "x" or extra == "y"', 'lib[tf]; extra == "all"',
               "broken ===; extra == 'x'", extras=("torch-gpu", "tf", "x", "y", "all"))
    names = {extras: sorted(r.name for r in requirements_for(lib, extras, T311)[0])
             for extras in [(), ("torch.gpu",), ("x",), ("y",), ("all",)]}
    assert names == {
        (): ["base", "notx"],
        ("torch.gpu",): ["base", "notx", "torch"],
        ("x",): ["base", "either", "notx"],
        ("y",): ["base", "either", "notx"],
        ("all",): ["base", "notx", "tf"],
    }
    assert requirements_for(lib, ("all",), T311)[1] == {"all", "tf"}
