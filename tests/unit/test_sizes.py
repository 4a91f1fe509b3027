"""Sizes: one parser (the runner's --env-cache-max, a cluster job's --memory) and one
unit on screen, decimal MB, in the report's tables and sums, the graph and diagnostics."""

from __future__ import annotations

import pytest

from jobpack.layout.sizes import human_size, megabytes, parse_size
from jobpack.manifest import Manifest, Requirement
from jobpack.report import _tiers
from jobpack.runner import cache
from jobpack.runner.errors import RunnerError
from jobpack.target import Target


@pytest.mark.parametrize(("text", "size"), [
    ("500M", 500 << 20), ("1.5G", 3 << 29), ("10GiB", 10 << 30), ("2g", 2 << 30),
    ("123", 123), ("64kb", 64 << 10)])
def test_one_parser_reads_sizes_on_both_sides(text: str, size: int) -> None:
    assert parse_size(text) == size == cache.parse_size(text)


def test_a_bad_size_is_a_value_error_or_the_runners_one_line() -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size("5iB")
    with pytest.raises(RunnerError, match="--env-cache-max 'lots'"):
        cache.parse_size("lots")


def test_sizes_show_in_decimal_megabytes() -> None:
    assert megabytes(1_500_000) == "1.5 MB"
    assert [human_size(n) for n in (999, 12_345, 140_100_000)] == [
        "999 B", "12.3 kB", "140.1 MB"]


def test_the_distributions_table_sums_in_the_same_mb_as_the_rest() -> None:
    """It summed in MiB under an "MB" label (1.5 MB of wheels showed as 1.4 MB)."""
    manifest = Manifest(target=Target(3, 11, 7), entry_points=("main.py",),
                        requirements=(Requirement("greet", "1.2", True, size=1_500_000),))
    assert _tiers(manifest) == "1 required, 1.5 MB"
