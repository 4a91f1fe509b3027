"""Run an upstream example script unchanged, then save what it drew as output files.

Usage: `python save_figures.py SCRIPT.py`. The script runs as `__main__` (through runpy,
as `python SCRIPT.py` would run it); afterwards every open matplotlib figure is saved as
`figures/figure-<number>.png` with the Agg backend. Written for jobpack's conformance
suite: the direct run and the archive run both go through this file, so their figures are
compared byte for byte. It imports matplotlib only when the script did, so it adds no
dependency to the job.
"""

import runpy
import sys
from pathlib import Path

OUTPUT = Path("figures")


def main() -> None:
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    OUTPUT.mkdir(exist_ok=True)
    runpy.run_path(script, run_name="__main__")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in pyplot.get_fignums():
        figure = pyplot.figure(number)
        figure.savefig(OUTPUT / f"figure-{number}.png", format="png")


if __name__ == "__main__":
    main()
