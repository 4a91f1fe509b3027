"""Pins: from the graph's external modules to a closed set of pinned distributions.

`environment` inspects the analysed interpreter, `distributions` indexes what it has
installed (`dist_cache` keeps that index), `requirements` pins what the job needs and its
closure, and `resolve` picks the mode: automatic, a requirements file (`reqfile`,
`declared`) or a PEP 723 block (`pep723`).
"""
