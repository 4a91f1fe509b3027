"""Running an archive with no network, as an offline VM would: `unshare -n`, as root."""

from __future__ import annotations

import os
import shutil

import pytest


def offline_or_skip() -> None:
    """Skip (fail in CI) where `unshare -n` cannot run."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        why = "running offline needs `unshare -n` and root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs this: {why}")
        pytest.skip(why)
