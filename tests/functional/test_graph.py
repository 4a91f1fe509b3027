"""`jobpack graph`: text formats, and the HTML page in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jobpack.graph_html import COLOURS
from tests.conftest import FIXTURES
from tests.functional.test_cli import jobpack
from tests.support.png import png_colours

JOB = FIXTURES / "graph"
LOCAL = {"main.py": "entry", "helper": "local", "pkg": "local", "pkg.sub": "local",
         "pkg.helper_two": "local"}


def test_dot_and_mermaid_show_modules_distributions_and_lazy_imports() -> None:
    dot = jobpack("graph", "main.py", "--format", "dot", cwd=JOB)
    assert dot.returncode == 0, dot.stderr
    assert dot.stdout.startswith("digraph job {")
    assert f'"main.py" [label="main.py\\n{(JOB / "main.py").stat().st_size} B", ' \
           f'fillcolor="{COLOURS["entry"]}"];' in dot.stdout
    assert re.search(rf'"dist:pyyaml" \[label="pyyaml [^"]+", fillcolor="{COLOURS["distribution"]}"',
                     dot.stdout)
    assert re.search(rf'"dist:rich" \[label="rich [^"]+", fillcolor="{COLOURS["lazy-only"]}"',
                     dot.stdout)
    assert '"main.py" -> "dist:rich" [style=dashed];' in dot.stdout
    assert '"main.py" -> "dist:pyyaml";' in dot.stdout
    assert '"pkg.sub" -> "pkg.helper_two";' in dot.stdout
    mermaid = jobpack("graph", "main.py", "--format", "mermaid", cwd=JOB).stdout
    assert mermaid.startswith("graph LR\n") and ":::lazy_only" in mermaid and "-.->" in mermaid


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (.ci/run installs it in CI)")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def _browse(page: Path, tmp: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0",
               *flags, page.as_uri()]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        result = None
    if result is None or (result.returncode != 0 and os.environ.get("CI") != "true"):
        pytest.skip(f"chromium cannot start here: {result.stderr[-300:] if result else 'timeout'}")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture
def page(tmp_path: Path) -> Path:
    result = jobpack("graph", "main.py", "-o", str(tmp_path / "graph.html"), cwd=JOB)
    assert result.returncode == 0, result.stderr
    return tmp_path / "graph.html"


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"@import|url\((?!#)", text)  # no fetched styles or fonts


def test_the_page_renders_every_node_without_console_errors(page: Path, tmp_path: Path
                                                              ) -> None:
    data = json.loads(re.search(r'<script id="graph-data" type="application/json">(.*?)'
                                r"</script>", page.read_text(), re.S)[1])  # type: ignore[index]
    expected = {node["id"]: node["kind"] for node in data["nodes"]}
    assert {k: v for k, v in expected.items() if k in LOCAL} == LOCAL
    assert expected["dist:pyyaml"] == "distribution" and expected["dist:rich"] == "lazy-only"
    result = _browse(page, tmp_path, "--dump-dom")
    rendered = dict(re.findall(r'<g class="node" data-id="([^"]+)" data-kind="([^"]+)"',
                               result.stdout))
    assert rendered == expected
    assert f'data-rendered="{len(expected)}"' in result.stdout
    assert len(re.findall(r'<path class="edge', result.stdout)) == len(data["edges"])
    assert _console_messages(result.stderr) == []


def test_a_script_error_would_be_caught(page: Path, tmp_path: Path) -> None:
    """The console check above can fail: a broken copy of the page trips it."""
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace('"use strict";', '"use strict"; missing();'))
    result = _browse(broken, tmp_path, "--dump-dom")
    assert any("missing is not defined" in line for line in _console_messages(result.stderr))
    assert 'class="node"' not in result.stdout


def test_the_screenshot_shows_each_kind_in_its_colour(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "graph.png"
    _browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,700",
            "--hide-scrollbars")
    colours = png_colours(shot)
    for kind, colour in COLOURS.items():
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        # A node box is 220 x 40 pixels; the legend's swatch of the colour is far smaller.
        assert colours[rgb] > 4000, f"no {kind} node ({colour}) in {shot}: {colours[rgb]}"
    keep = os.environ.get("JOBPACK_SCREENSHOT_DIR")
    if keep:  # CI keeps the picture as an artefact to look at
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "graph.png")
