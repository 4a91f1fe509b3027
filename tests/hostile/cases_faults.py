"""The hostile inputs of issue #22: writes that could clobber, paths of any bytes, links
that loop or dangle, credentials in index URLs, a runner cache left broken."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.hostile.cases import BUILD, MAIN, MANUAL, PY, REQS, RUN, has, job, manifest
from tests.hostile.harness import DIR, FIFO, NONZERO, Case, Check, link

GRAPH = ("jobpack", "graph", "main.py")
SECRET = "s3cretPW"
TOKEN = "t0kenXYZ"
BOM = b"\xef\xbb\xbf"


def graph_written(name: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        assert (out / name).read_text().lstrip().startswith(("<!DOCTYPE html>", "digraph"))
    return check


def file_is(name: str, data: bytes) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        assert (job_dir / name).read_bytes() == data
    return check


def script(check: Check) -> Check:
    """Also: the updated script still compiles (and so runs)."""
    def both(job_dir: Path, out: Path) -> None:
        check(job_dir, out)
        compile((job_dir / "main.py").read_bytes(), "main.py", "exec")
    return both


def starts_with_bom(job_dir: Path, out: Path) -> None:
    data = (job_dir / "main.py").read_bytes()
    assert data.startswith(BOM + b"# /// script"), data[:40]
    assert data.count(BOM) == 1


def crlf_kept(job_dir: Path, out: Path) -> None:
    data = (job_dir / "main.py").read_bytes()
    assert b"# /// script\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def latin1_kept(job_dir: Path, out: Path) -> None:
    data = (job_dir / "main.py").read_bytes()
    assert "café".encode("latin-1") in data and b"# /// script" in data


def link_kept(job_dir: Path, out: Path) -> None:
    assert (job_dir / "main.py").is_symlink()
    assert b"# /// script" in (job_dir / "real" / "main.py").read_bytes()


def no_secret_in(*names: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        for name in names:
            data = (out / name).read_bytes()
            assert SECRET.encode() not in data and TOKEN.encode() not in data
            with zipfile.ZipFile(out / name) as opened:
                for member in opened.namelist():
                    text = opened.read(member)
                    assert SECRET.encode() not in text and TOKEN.encode() not in text
    return check


def index_is(url: str) -> Check:
    def check(job_dir: Path, out: Path) -> None:
        pip = manifest(out / "a.zip")["pip"]
        assert isinstance(pip, dict) and pip["index_url"] == url, pip
    return check


WRITE_CASES = [
    Case("graph-o-is-the-script", job(), (*GRAPH, "-o", "main.py"), NONZERO,
         ("main.py", "job's own files")),
    Case("graph-o-is-a-local-module", job(None, {"main.py": "import helper\n",
         "helper.py": "x = 1\n"}), (*GRAPH, "-o", "helper.py"), NONZERO,
         ("job's own files",)),
    Case("graph-o-is-the-config", job(PY), ("jobpack", "graph", "--config", "config.yaml",
         "-o", "config.yaml"), NONZERO, ("job's own files",)),
    Case("graph-o-is-an-input", job(PY + "inputs:\n  - data.csv\n", extra={"data.csv": "a\n"}),
         ("jobpack", "graph", "--config", "config.yaml", "-o", "data.csv"), NONZERO,
         ("job's own files",)),
    Case("graph-o-inside-an-input-folder", job(PY + "inputs:\n  - data/\n",
         extra={"data/a.csv": "a\n"}), ("jobpack", "graph", "--config", "config.yaml", "-o",
         "data/g.html"), NONZERO, ("job's own files",)),
    Case("graph-o-over-a-user-file", job(None, extra={"notes.html": "<p>my notes</p>\n"}),
         (*GRAPH, "-o", "notes.html"), NONZERO, ("is not a graph jobpack wrote",)),
    Case("graph-dot-over-a-user-file", job(None, extra={"notes.dot": "my notes\n"}),
         (*GRAPH, "-f", "dot", "-o", "notes.dot"), NONZERO, ("is not a graph jobpack wrote",)),
    Case("graph-o-replaces-an-old-graph", job(), (*GRAPH, "-o", "{out}/g.html"),
         setup=((*GRAPH, "-o", "{out}/g.html"),), check=graph_written("g.html")),
    Case("graph-o-new-folder", job(), (*GRAPH, "-o", "{out}/new/deeper/g.html"),
         check=graph_written("new/deeper/g.html")),
    Case("graph-o-dangling-link", job(None, extra={"g.html": link("gone/g.html")}),
         (*GRAPH, "-o", "g.html"), NONZERO, ("dangling",)),
    Case("graph-o-link-to-the-script", job(None, extra={"g.html": link("main.py")}),
         (*GRAPH, "-o", "g.html"), NONZERO, ("job's own files",)),
    Case("graph-o-fifo", job(None, extra={"g.html": FIFO}), (*GRAPH, "-o", "g.html"),
         NONZERO, ("not a regular file",)),
    Case("graph-o-a-folder-name", job(None, extra={"g.html": DIR}), (*GRAPH, "-o", "g.html"),
         NONZERO, ("not a regular file",)),
    Case("graph-o-proc", job(), (*GRAPH, "-o", "/proc/self/g.html"), NONZERO,
         ("system folder",)),
    Case("pep723-after-a-bom", job(None, {"main.py": BOM + b"import sys\nprint(1)\n"}),
         ("jobpack", "analyze", "main.py", "--write-pep723"), writes=("main.py",),
         check=script(starts_with_bom)),
    Case("pep723-keeps-crlf", job(None, {"main.py": b"import sys\r\nprint(1)\r\n"}),
         ("jobpack", "analyze", "main.py", "--write-pep723"), writes=("main.py",),
         check=script(crlf_kept)),
    Case("pep723-keeps-latin-1", job(None, {"main.py": "# -*- coding: latin-1 -*-\n"
         "print('café')\n".encode("latin-1")}), ("jobpack", "analyze", "main.py",
         "--write-pep723"), writes=("main.py",), check=script(latin1_kept)),
    Case("pep723-through-a-link", job(None, {"real/main.py": MAIN, "main.py":
         link("real/main.py")}), ("jobpack", "analyze", "main.py", "--write-pep723"),
         writes=("real/main.py",), check=link_kept),
    Case("pep723-unchanged-script-untouched", job(None, {"main.py": "import sys\n"}),
         ("jobpack", "analyze", "main.py", "--write-pep723"), fragments=("already up to date",),
         writes=("main.py",), setup=(("jobpack", "analyze", "main.py", "--write-pep723"),)),
    Case("build-o-over-a-user-text-file", job(None, extra={"x.zip": "my notes\n"}),
         ("jobpack", "build", "main.py", "-o", "x.zip"), NONZERO, ("not a zip archive",)),
]

NONUTF8 = "caf\udce9"  # the bytes b"caf\xe9": a Latin-1 name, not UTF-8
PATH_CASES = [
    Case("nonutf8-input-file-left-out", job(PY + "inputs:\n  - data/\n",
         extra={f"data/{NONUTF8}.csv": "a\n", "data/ok.csv": "b\n"}), BUILD,
         fragments=("not valid UTF-8",), check=has("src/data/ok.csv")),
    Case("nonutf8-file-beside-the-script", job(None, extra={f"{NONUTF8}.py": "x = 1\n"}),
         ("jobpack", "analyze", "main.py")),
    Case("nonutf8-graph", job(None, extra={f"{NONUTF8}.py": "x = 1\n"}), (*GRAPH, "-o",
         "{out}/g.html"), check=graph_written("g.html")),
    Case("nonutf8-local-paths-build", job(MANUAL + "    local-paths:\n      - lib/\n",
         extra={f"lib/{NONUTF8}.py": "x = 1\n", "lib/m.py": "y = 2\n"}), BUILD,
         fragments=("not valid UTF-8",), check=has("src/lib/m.py")),
    Case("nonutf8-folder-in-inputs", job(PY + "inputs:\n  - data/\n",
         extra={f"data/{NONUTF8}/a.csv": "a\n", "data/b.csv": "b\n"}), BUILD,
         fragments=("not valid UTF-8",), check=has("src/data/b.csv")),
    Case("nonutf8-entry-script", job(None, extra={f"{NONUTF8}.py": MAIN}),
         ("jobpack", "analyze", f"{NONUTF8}.py")),
    Case("local-module-symlink-loop", job(None, {"main.py": "import helper\n",
         "helper.py": link("helper.py")}), ("jobpack", "analyze", "main.py"), NONZERO,
         ("helper.py", "symbolic link that loops")),
    Case("local-module-dangling-link", job(None, {"main.py": "import helper\n",
         "helper.py": link("gone.py")}), ("jobpack", "analyze", "main.py"), NONZERO,
         ("helper.py", "dangling symbolic link")),
    Case("local-package-loops-into-itself", job(None, {"main.py": "import pkg\n",
         "pkg/__init__.py": "", "pkg/again": link(".")}), ("jobpack", "build", "main.py", "-o",
         "{out}/a.zip")),
    Case("input-folder-loops-into-itself", job(PY + "inputs:\n  - data/\n", extra={
         "data/a.txt": "a", "data/loop": link(".")}), BUILD),
    Case("input-folder-loops-to-its-parent", job(PY + "inputs:\n  - data/\n", extra={
         "data/a.txt": "a", "data/up": link("..")}), BUILD),
    Case("local-module-is-a-folder", job(None, {"main.py": "import helper\n",
         "helper.py/x.txt": "not a module"}), ("jobpack", "analyze", "main.py"), NONZERO,
         ("helper.py: is a folder, not a file",), absent=("FIFO",)),
    Case("local-module-is-a-fifo", job(None, {"main.py": "import helper\n",
         "helper.py": FIFO}), ("jobpack", "build", "main.py", "-o", "{out}/a.zip"), NONZERO,
         ("helper.py: is not a regular file",)),
    Case("package-module-is-a-dangling-link", job(None, {"main.py": "from pkg import mod\n",
         "pkg/__init__.py": "", "pkg/mod.py": link("gone.py")}), ("jobpack", "build",
         "main.py", "-o", "{out}/a.zip"), NONZERO, ("mod.py", "dangling symbolic link")),
    Case("data-file-read-is-a-fifo", job(None, {"main.py": "open('params.yaml').read()\n",
         "params.yaml": FIFO}), ("jobpack", "build", "main.py", "-o", "{out}/a.zip"),
         fragments=("params.yaml", "not a regular file")),
    Case("input-file-is-a-dangling-link", job(PY + "inputs:\n  - data/\n", extra={
         "data/ok.csv": "a", "data/gone.csv": link("nowhere.csv")}), BUILD,
         fragments=("data/gone.csv (dangling symbolic link)",), check=has("src/data/ok.csv")),
    Case("run-output-folder-holds-a-fifo", job(PY + "outputs:\n  - out/\n", extra={
         "main.py": "import os\nos.makedirs('out', exist_ok=True)\nos.mkfifo('out/pipe')\n"
         "open('out/a.txt', 'w').write('a')\n"}), RUN, setup=(BUILD,),
         fragments=("output out/pipe left out: not a regular file",), absent=("partial",)),
    Case("graph-with-a-looping-module", job(None, {"main.py": "import helper\n",
         "helper.py": link("helper.py")}), (*GRAPH, "-o", "{out}/g.html"), NONZERO,
         ("helper.py", "loops")),
]

INDEX = f"https://bob:{SECRET}@pypi.example.org/simple"
PIP = PY + "env:\n  python:\n    type: auto\n    pip:\n"
SECRET_CASES = [
    Case("index-url-password-redacted", job(PIP + f"      index-url: {INDEX}\n"), BUILD,
         fragments=("credentials-redacted", "JOBPACK_INDEX_AUTH"), absent=(SECRET,),
         check=no_secret_in("a.zip")),
    Case("index-url-password-manifest-json", job(PIP + f"      index-url: {INDEX}\n"),
         ("jobpack", "analyze", "--config", "config.yaml", "--json"),
         fragments=("${JOBPACK_INDEX_AUTH}@pypi.example.org",), absent=(SECRET,)),
    Case("index-url-token-query-redacted", job(PIP + "      index-url: "
         f"https://pypi.example.org/simple?token={TOKEN}\n"), BUILD,
         fragments=("JOBPACK_INDEX_TOKEN",), absent=(TOKEN,), check=no_secret_in("a.zip")),
    Case("extra-index-url-password-redacted", job(PIP + "      extra-index-urls:\n"
         f"        - {INDEX}\n"), BUILD, fragments=("JOBPACK_EXTRA_INDEX_1_AUTH",),
         absent=(SECRET,), check=no_secret_in("a.zip")),
    Case("requirements-file-index-url-redacted", job(
         MANUAL + "    requirements-file: requirements.txt\n", extra={
             "requirements.txt": f"--index-url {INDEX}\n"}), BUILD,
         fragments=("credentials-redacted",), absent=(SECRET,), check=no_secret_in("a.zip")),
    Case("requirements-format-redacted", job(PIP + f"      index-url: {INDEX}\n"),
         ("jobpack", "analyze", "--config", "config.yaml", "-f", "requirements"),
         fragments=("--index-url https://${JOBPACK_INDEX_AUTH}@",), absent=(SECRET,)),
    Case("plain-index-url-kept", job(PIP + "      index-url: https://pypi.example.org/s\n"),
         BUILD, absent=("credentials-redacted",),
         check=index_is("https://pypi.example.org/s")),
    Case("direct-url-password-redacted", job(REQS, extra={"requirements.txt": (
         f"colorx @ https://bob:{SECRET}@files.example.org/colorx-1.0-py3-none-any.whl\n")}),
         BUILD, fragments=("credentials-redacted", "JOBPACK_URL_COLORX_AUTH"),
         absent=(SECRET,), check=no_secret_in("a.zip")),
    Case("direct-url-password-manifest-json", job(REQS, extra={"requirements.txt": (
         f"my-pkg @ https://bob:{SECRET}@files.example.org/my_pkg-1.0.tar.gz\n")}),
         ("jobpack", "analyze", "--config", "config.yaml", "--json"),
         fragments=("${JOBPACK_URL_MY_PKG_AUTH}@files.example.org",), absent=(SECRET,)),
    Case("direct-url-github-token-redacted", job(REQS, extra={"requirements.txt": (
         f"tool @ git+https://{TOKEN}@github.com/org/tool.git@v1\n")}),
         ("jobpack", "analyze", "--config", "config.yaml", "-f", "requirements"),
         fragments=("tool @ git+https://${JOBPACK_URL_TOOL_AUTH}@github.com/org/tool.git",),
         absent=(TOKEN,)),
    Case("direct-url-query-token-redacted", job(REQS, extra={"requirements.txt": (
         "colorx @ https://files.example.org/colorx-1.0-py3-none-any.whl"
         f"?sig={TOKEN}\n")}), BUILD, fragments=("JOBPACK_URL_COLORX_TOKEN",),
         absent=(TOKEN,), check=no_secret_in("a.zip")),
    Case("direct-url-ssh-user-kept", job(REQS, extra={"requirements.txt": (
         "tool @ git+ssh://git@github.com/org/tool.git@v1\n")}),
         ("jobpack", "analyze", "--config", "config.yaml", "-f", "requirements"),
         fragments=("git+ssh://git@github.com/org/tool.git",),
         absent=("credentials-redacted",)),
    Case("index-url-redacted-in-the-manifest", job(PIP + f"      index-url: {INDEX}\n"),
         BUILD, check=index_is("https://${JOBPACK_INDEX_AUTH}@pypi.example.org/simple")),
]


def _drop_marker() -> tuple[str, ...]:
    """A setup step: remove the completion marker of every cached environment, as a run
    killed between its rename and its first use never could, and a disk error might."""
    return ("python3", "-c", "import pathlib,sys; [p.unlink() for p in pathlib.Path("
            "sys.argv[1]).glob('*/.jobpack-complete')]", "{envs}")


CACHE_CASES = [
    Case("run-repairs-an-incomplete-environment", job(PY), RUN, setup=(BUILD, RUN,
         _drop_marker()), fragments=("args []",), absent=("reusing environment",)),
    Case("run-ignores-a-stale-work-folder", job(PY), RUN, setup=(BUILD, ("python3", "-c",
         "import os,sys; os.makedirs(sys.argv[1] + '/.tmp-x-1/lib')", "{envs}")),
         fragments=("args []",)),
    Case("run-env-cache-is-a-file", job(PY), ("python3", "{out}/a.zip", "--env-cache",
         "{job}/main.py"), NONZERO, ("main.py",), setup=(BUILD,)),
    Case("run-env-cache-max-nonsense", job(PY), (*RUN, "--env-cache-max", "lots"), NONZERO,
         ("expected a size",), setup=(BUILD,)),
    Case("run-prune-an-empty-cache", job(PY), ("python3", "{out}/a.zip", "--prune-cache",
         "--env-cache", "{tmp}/none"), fragments=("pruned 0 environments",), setup=(BUILD,)),
    Case("run-a-truncated-archive", job(PY), ("jobpack", "run", "{out}/cut.zip",
         "--env-cache", "{envs}"), NONZERO, ("not a jobpack archive",),
         setup=(BUILD, ("python3", "-c", "import sys; d=open(sys.argv[1],'rb').read(); "
                        "open(sys.argv[2],'wb').write(d[:len(d)//2])", "{out}/a.zip",
                        "{out}/cut.zip"))),
    Case("run-the-lock-file-is-a-folder", job(PY), RUN, NONZERO, ("error",), setup=(
         BUILD, RUN, ("python3", "-c", "import pathlib,sys; [(p.unlink(), p.mkdir()) for p "
                      "in pathlib.Path(sys.argv[1]).glob('*.lock')]", "{envs}"))),
    Case("workers-300-is-capped", job(None, {"main.py": "import a, b\n", "a.py": "",
         "b.py": ""}), ("jobpack", "analyze", "main.py", "--no-cache"),
         env={"JOBPACK_WORKERS": "300"}),
    Case("workers-nonsense-ignored", job(), ("jobpack", "analyze", "main.py"),
         env={"JOBPACK_WORKERS": "many"}),
]

FAULT_CASES = WRITE_CASES + PATH_CASES + SECRET_CASES + CACHE_CASES
