"""Stage 3: archive in, running job out. `runner.py` is stdlib-only: it travels in every
archive as its `__main__.py`."""
