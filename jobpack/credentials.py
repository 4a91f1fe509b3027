"""Credentials in index URLs stay home: they never enter a manifest or an archive.

A `user:password@` in an index URL, or a secret-looking query value (`?token=...`), is
replaced by a `${VARIABLE}` reference, with a `credentials-redacted` warning. pip expands
`${NAME}` in requirements files itself, so on the VM the runner's pip reads the value from
the environment; the build expands the same reference from its own environment when it
downloads wheels. Variables: `JOBPACK_INDEX_AUTH` / `JOBPACK_INDEX_TOKEN` for the index
URL, `JOBPACK_EXTRA_INDEX_<N>_AUTH` / `..._TOKEN` for the N-th extra index (from 1),
`JOBPACK_FIND_LINKS_<N>_AUTH` / `..._TOKEN` for find-links, `JOBPACK_URL_<NAME>_AUTH` /
`..._TOKEN` for a requirement's direct URL (`pkg @ https://user:token@host/pkg.whl`, a
`git+https://TOKEN@github.com/...` recorded in an installed distribution's
`direct_url.json`), NAME being the distribution's name in capitals with `_` for `-`.
A user name alone in an ssh URL (`git+ssh://git@github.com/...`) is not a secret: kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jobpack.diagnostics import CREDENTIALS_REDACTED
from jobpack.errors import BuildError
from jobpack.manifest import Diagnostic, PipOptions, Requirement

_SECRET_KEYS = re.compile(r"(?i)(token|key|secret|password|passwd|auth|sig|signature|"
                          r"credential)")
_REFERENCE = re.compile(r"\$\{(JOBPACK_[A-Z0-9_]+)\}")


def redact_url(url: str, variable: str) -> str:
    """`url` with its userinfo replaced by `${variable_AUTH}` and each secret-looking query
    value by `${variable_TOKEN}`; unchanged when it holds neither."""
    parts = urlsplit(url)
    netloc = parts.netloc
    user = netloc.rsplit("@", 1)[0] if "@" in netloc else ""
    if parts.scheme.endswith("ssh") and ":" not in user:
        netloc = ""  # `git@host`: the account ssh logs in as, not a credential
    if netloc and user:
        netloc = "${" + variable + "_AUTH}@" + netloc.rsplit("@", 1)[1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = [k for k, v in pairs if v and _SECRET_KEYS.search(k)]
    netloc = netloc or parts.netloc
    if netloc == parts.netloc and not secret:
        return url
    query = parts.query
    if secret:
        query = urlencode([(k, "${" + variable + "_TOKEN}" if k in secret else v)
                           for k, v in pairs], safe="${}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_pip(pip: PipOptions) -> tuple[PipOptions, list[Diagnostic]]:
    """The pip options without credentials, and a warning for each URL that held some."""
    notes: list[Diagnostic] = []

    def clean(url: str, variable: str, key: str) -> str:
        redacted = redact_url(url, variable)
        if redacted != url:
            names = sorted(set(_REFERENCE.findall(redacted)))
            notes.append(CREDENTIALS_REDACTED.note(
                f"{key}: credentials removed from the manifest and the archive ({redacted}); "
                f"set {' and '.join(names)} where jobpack builds (--wheels) and where the "
                "job runs"))
        return redacted

    index = clean(pip.index_url, "JOBPACK_INDEX", "index-url") if pip.index_url else None
    extra = tuple(clean(u, f"JOBPACK_EXTRA_INDEX_{n}", "extra-index-url")
                  for n, u in enumerate(pip.extra_index_urls, 1))
    links = tuple(clean(u, f"JOBPACK_FIND_LINKS_{n}", "find-links")
                  for n, u in enumerate(pip.find_links, 1))
    return dataclasses.replace(pip, index_url=index, extra_index_urls=extra,
                               find_links=links), notes


def redact_requirements(requirements: Sequence[Requirement]
                        ) -> tuple[tuple[Requirement, ...], list[Diagnostic]]:
    """The requirements with credentials taken out of their direct URLs, and a warning
    for each one that held some."""
    notes: list[Diagnostic] = []
    kept: list[Requirement] = []
    for requirement in requirements:
        url = requirement.url
        variable = "JOBPACK_URL_" + re.sub(r"[^A-Z0-9]", "_", requirement.name.upper())
        redacted = redact_url(url, variable) if url else url
        if redacted != url:
            names = sorted(set(_REFERENCE.findall(str(redacted))))
            notes.append(CREDENTIALS_REDACTED.note(
                f"{requirement.name} @ {redacted}: credentials removed from the manifest "
                f"and the archive; set {' and '.join(names)} where the job runs (and where "
                "jobpack builds with --wheels)"))
        kept.append(dataclasses.replace(requirement, url=redacted) if redacted != url
                    else requirement)
    return tuple(kept), notes


def expand(url: str, environ: Mapping[str, str]) -> str:
    """`url` with its `${JOBPACK_...}` references filled in from `environ`, for a build
    that downloads from an index needing them; BuildError naming an unset one."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise BuildError(f"the index URL {url} needs ${{{name}}}: set it in the "
                             "environment (see docs/credentials.md)")
        return environ[name]

    return _REFERENCE.sub(value, url)
