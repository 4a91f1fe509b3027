"""Which pins have no wheel for the target, read from the indexes' file listings alone.

`pip download` learns that a pin has no target wheel only when it reaches it, after the
wheels before it are downloaded (minutes for a torch job), and the pip versions in use
download whole wheels even for a `--dry-run`. The indexes' simple pages (PEP 503 HTML or
PEP 691 JSON) and find-links folders name every file, so one small request per
distribution and index answers the question before anything large moves.

The answer is advice, never a verdict: a source that cannot be read counts as having
the wheel, and whatever this finds is tried with pip again before it is reported.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_wheel_filename,
)

from jobpack.manifest import PipOptions, Requirement

DEFAULT_INDEX = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_TIMEOUT = 15.0
_WORKERS = 8


@dataclass(frozen=True)
class Sources:
    """Where pip looks: index URLs (simple API roots) and find-links (folders or pages)."""

    indexes: tuple[str, ...]
    find_links: tuple[str, ...] = ()

    @classmethod
    def for_pip(cls, options: PipOptions, find_links: tuple[str, ...] = (),
                no_index: bool = False) -> Sources:
        """The job's index options over pip's own configuration (pip.conf, PIP_* vars)."""
        config = pip_configuration()
        index = options.index_url or (config.get("index-url") or [DEFAULT_INDEX])[0]
        extra = [*options.extra_index_urls, *config.get("extra-index-url", [])]
        links = [*options.find_links, *find_links, *config.get("find-links", [])]
        indexes = () if no_index else tuple(dict.fromkeys([index, *extra]))
        return cls(indexes, tuple(dict.fromkeys(links)))


def pip_configuration(environ: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """index-url, extra-index-url and find-links as pip's configuration files and PIP_*
    variables set them (sections global, download, wheel and install), read directly:
    `pip config list` costs a second of start-up on every build."""
    environ = os.environ if environ is None else environ
    found: dict[str, list[str]] = {}
    parser = configparser.RawConfigParser()
    try:
        parser.read(_config_files(environ), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        parser = configparser.RawConfigParser()
    for section in ("global", "download", "wheel", "install"):
        for key in _KEYS:
            if parser.has_option(section, key):
                found[key] = parser.get(section, key).split()
    for key in _KEYS:
        value = environ.get("PIP_" + key.upper().replace("-", "_"))
        if value:
            found[key] = value.split()
    return found


_KEYS = ("index-url", "extra-index-url", "find-links")


def _config_files(environ: Mapping[str, str]) -> list[str]:
    """pip's configuration files, lowest precedence first (a later one wins)."""
    if "PIP_CONFIG_FILE" in environ:
        named = environ["PIP_CONFIG_FILE"]
        return [] if named == os.devnull else [named]
    home = Path(environ.get("HOME", "~")).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files = [str(Path(d) / "pip" / "pip.conf") for d in dirs.split(":") if d]
    files += ["/etc/pip.conf", str(home / ".pip" / "pip.conf"),
              str(Path(xdg) / "pip" / "pip.conf"), str(Path(sys.prefix) / "pip.conf")]
    return files


def without_target_wheel(requirements: Iterable[Requirement], sources: Sources,
                         tags: frozenset[Tag]) -> list[Requirement]:
    """The pins that no source lists a target wheel for (sources that cannot be read
    count as listing one)."""
    pins = [r for r in requirements if r.version]
    linked = _find_links_files(sources.find_links)
    jobs = [(index, pin.name) for pin in pins for index in sources.indexes]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        listings = dict(zip(jobs, pool.map(lambda job: _project_files(*job), jobs),
                            strict=True))
    result = []
    for pin in pins:
        files = [*linked]
        unknown = False
        for index in sources.indexes:
            listing = listings[(index, pin.name)]
            unknown = unknown or listing is None
            files += listing or []
        if not unknown and not any(_is_target_wheel(f, pin, tags) for f in files):
            result.append(pin)
    return result


def _is_target_wheel(filename: str, pin: Requirement, tags: frozenset[Tag]) -> bool:
    try:
        name, version, _build, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return (canonicalize_name(name) == pin.name
            and canonicalize_version(version) == canonicalize_version(str(pin.version))
            and bool(set(wheel_tags) & tags))


def _project_files(index: str, name: str) -> list[str] | None:
    """File names on `index`'s page for `name`; [] when the index has no such project,
    None when it cannot be read."""
    url = index.rstrip("/") + "/" + name + "/"
    try:
        if url.startswith("file:"):
            folder = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
            if not folder.is_dir():
                return []
            return _names_from_html((folder / "index.html").read_text(errors="replace"))
        request = urllib.request.Request(url, headers={"Accept": _ACCEPT})
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            body = response.read().decode("utf-8", "replace")
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return [] if exc.code == 404 else None
    except (OSError, ValueError):
        return None
    if "json" in kind:
        try:
            return [str(f["filename"]) for f in json.loads(body).get("files", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    return _names_from_html(body)


def _find_links_files(links: tuple[str, ...]) -> list[str]:
    """File names in find-links folders (pages of links are left to pip)."""
    names: list[str] = []
    for link in links:
        if re.match(r"^[a-z]+://", link) and not link.startswith("file:"):
            continue
        path = Path(urllib.request.url2pathname(urllib.parse.urlparse(link).path)
                    if link.startswith("file:") else link)
        try:
            names += [entry.name for entry in path.iterdir()]
        except OSError:
            continue
    return names


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            path = urllib.parse.urlparse(href).path
            self.names.append(urllib.parse.unquote(path.rsplit("/", 1)[-1]))


def _names_from_html(text: str) -> list[str]:
    parser = _Anchors()
    parser.feed(text)
    return parser.names
