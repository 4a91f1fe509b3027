"""Stage 1: static import analysis. Entry points in, manifest and import graph out.

`api.analyze` orchestrates three wings a newcomer can name:
- `facts/`: what each file says (parsers, the facts cache, parallel workers);
- `walk/`: following imports through local and installed code into an `ImportGraph`
  (`graph.py`, with verb-first queries such as `find_chains`);
- `pins/`: from the graph to pinned distributions, in tiers, with their provenance.
The job itself (`job.py`, `entries.py`, `cmdline.py`) is read from a config or a command
line; `trace.py` is the one place that runs user code, on request.
"""
