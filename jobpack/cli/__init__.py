"""The `jobpack` command: a thin typer layer over the library.

`app.py` holds the app and `main`, the one place where errors become one line and an exit
code; the commands live by topic (`analysis`, `archive`, `cluster`) and share `common`.
Importing this package registers every command, in the order `jobpack --help` lists them.
"""

from jobpack.cli import analysis, archive, cluster  # noqa: F401 - registers the commands
from jobpack.cli.app import app, main

__all__ = ["app", "main"]
