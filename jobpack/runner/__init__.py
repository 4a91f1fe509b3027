"""Stage 3: archive in, running job out. Standard library only (Python 3.8+): the package
travels in every archive as `jobpack/runner/`, beside `jobpack/layout/`, behind a
few-line `__main__.py` (see `jobpack.packager.api.runner_members`)."""
