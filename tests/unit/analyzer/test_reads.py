"""Files a source file reads: found by both parsers alike, with paths known statically."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from jobpack.analyzer.facts.model import FileFacts, ReadFact
from jobpack.analyzer.facts.parse_ast import facts_from_ast
from jobpack.analyzer.facts.parse_cst import facts_from_cst
from jobpack.analyzer.facts.parser import parse_facts
from jobpack.target import Target

TARGET = Target(3, 11)
Row = tuple[int, str, str, str]


def both(source: str) -> tuple[FileFacts, FileFacts, FileFacts]:
    """The facts of the fast path, of `ast` visiting everything, and of libcst."""
    data = source.encode()
    tree = ast.parse(data)
    return (parse_facts(data, TARGET), facts_from_ast(tree, TARGET, data, full=True),
            facts_from_cst(cst.parse_module(data), TARGET, deep=True, source=data))


def reads(source: str) -> list[Row]:
    fast, full, from_cst = both(source)
    assert fast.reads == full.reads == from_cst.reads
    return [(r.line, r.anchor, r.path, r.kind) for r in fast.reads]


@pytest.mark.parametrize(("source", "expected"), [
    ('import yaml\nparams = yaml.safe_load(open("params.yaml"))["train"]\n',
     [(2, "cwd", "params.yaml", "data")]),
    ("with open('data/in.txt', encoding='utf-8') as f:\n    text = f.read()\n",
     [(1, "cwd", "data/in.txt", "data")]),
    ("open('log.txt', 'w').write('x')\nopen('a.txt', mode='a')\nopen('b.bin', 'rb')\n",
     [(1, "cwd", "log.txt", "write"), (2, "cwd", "a.txt", "write"),
      (3, "cwd", "b.bin", "data")]),
    ("import pandas as pd\nfrom pathlib import Path\n"
     "df = pd.read_csv(Path(__file__).parent / 'data' / 'iris.csv', sep=';')\n",
     [(3, "file", "data/iris.csv", "data")]),
    ("import os, json\nHERE = os.path.dirname(os.path.abspath(__file__))\n"
     "DATA = os.path.join(HERE, 'x.json')\n\ndef load():\n    with open(DATA) as f:\n"
     "        return json.load(f)\n",
     [(6, "file", "x.json", "data")]),
    ("exec(open('configurator.py').read())\n", [(1, "cwd", "configurator.py", "code")]),
    ("from pathlib import Path\nexec(Path('cfg/base.py').read_text())\n",
     [(2, "cwd", "cfg/base.py", "code")]),
    ("import runpy\nrunpy.run_path('tools/step.py', run_name='__main__')\n",
     [(2, "cwd", "tools/step.py", "code")]),
    ("import importlib.util\nfrom pathlib import Path\n"
     "spec = importlib.util.spec_from_file_location('p', Path(__file__).with_name('plug.py'))\n",
     [(3, "file", "plug.py", "code")]),
    ("NAME = 'train'\nROOT = 'data'\nopen(f'{ROOT}/{NAME}.csv')\nopen(ROOT + '/b.csv')\n",
     [(3, "cwd", "data/train.csv", "data"), (4, "cwd", "data/b.csv", "data")]),
    ("import numpy as np, torch\nfrom omegaconf import OmegaConf\nnp.load('w.npy')\n"
     "torch.load('ckpt.pt', map_location='cpu')\nOmegaConf.load('conf/x.yaml')\n"
     "np.loadtxt(fname='t.txt')\nnp.genfromtxt('g.csv', delimiter=',')\n",
     [(3, "cwd", "w.npy", "data"), (4, "cwd", "ckpt.pt", "data"),
      (5, "cwd", "conf/x.yaml", "data"), (6, "cwd", "t.txt", "data"),
      (7, "cwd", "g.csv", "data")]),
    ("from pathlib import Path\nPath('cfg.yaml').read_text()\n"
     "Path(__file__).parent.joinpath('a.txt').open()\n"
     "Path(__file__).parent.joinpath('out.txt').open('w')\n",
     [(2, "cwd", "cfg.yaml", "data"), (3, "file", "a.txt", "data"),
      (4, "file", "out.txt", "write")]),
    ("from PIL import Image\nimport gzip\nImage.open('cat.png')\ngzip.open('d.gz', 'rt')\n",
     [(3, "cwd", "cat.png", "data"), (4, "cwd", "d.gz", "data")]),
])
def test_reads_with_a_known_path_are_found(source: str, expected: list[Row]) -> None:
    assert reads(source) == expected


@pytest.mark.parametrize("source", [
    "import yaml\nyaml.load('a: 1', Loader=yaml.SafeLoader)\n",
    "import json\njson.load(stream)\n",
    "import pandas as pd\npd.read_sql('SELECT 1', con)\n",
    "import sys\nopen(sys.argv[1])\n",
    "import pandas as pd\npd.read_csv('https://example.org/x.csv')\n",
    "import os\nopen(os.environ['DATA'])\n",
    "import os\nfd = os.open('x', os.O_RDONLY)\n",
    "def main():\n    pass\nmain()\n",
])
def test_what_is_no_read_of_a_known_file_is_not_one(source: str) -> None:
    assert reads(source) == []


def test_writes_with_a_known_path_are_facts_that_read_nothing() -> None:
    source = ("import os, joblib, torch, json\nfrom pathlib import Path\n"
              "joblib.dump(model, 'models/a.joblib')\n"
              "torch.save(net.state_dict(), os.path.join('ckpt', 'n.pt'))\n"
              "df.to_csv(Path('out') / 'x.csv', index=False)\n"
              "os.makedirs('runs', exist_ok=True)\nPath('logs').mkdir(parents=True)\n"
              "Path('r.txt').write_text('x')\njson.dump(obj, f)\nplt.savefig('fig/a.png')\n"
              "open(name, mode)\n")
    assert reads(source) == [
        (3, "cwd", "models/a.joblib", "write"), (4, "cwd", "ckpt/n.pt", "write"),
        (5, "cwd", "out/x.csv", "write"), (6, "cwd", "runs", "mkdir"),
        (7, "cwd", "logs", "mkdir"), (8, "cwd", "r.txt", "write"),
        (10, "cwd", "fig/a.png", "write")]


def test_hydra_reads_its_config_folder_beside_the_file() -> None:
    source = ("import hydra\n\n@hydra.main(version_base=None, config_path='conf', "
              "config_name='config')\ndef app(cfg):\n    print(cfg)\n")
    fast, _, _ = both(source)
    assert reads(source) == [(3, "file", "conf", "config")]
    assert fast.reads[0].names == ("config",)


def test_hydra_initialize_and_a_plain_main_call() -> None:
    source = ("from hydra import compose, initialize\n"
              "with initialize(version_base=None, config_path='../conf'):\n"
              "    cfg = compose('config')\n")
    assert reads(source) == [(2, "file", "../conf", "config")]


def test_a_rootutils_marker_is_searched_from_the_file() -> None:
    source = ("import rootutils\nrootutils.setup_root(__file__, indicator='.project-root', "
              "pythonpath=True)\n")
    fast, _, _ = both(source)
    assert reads(source) == [(2, "file", "__file__", "marker")]
    assert fast.reads[0].names == (".project-root",)
    source = "import pyrootutils\npyrootutils.setup_root(search_from=__file__)\n"
    assert both(source)[0].reads[0].names == (".project-root", "setup.cfg", "setup.py",
                                               ".git", "pyproject.toml")


def test_a_read_under_the_main_guard_says_so() -> None:
    fast, _, _ = both("if __name__ == '__main__':\n    open('x.txt')\nopen('y.txt')\n")
    assert [(r.path, r.main) for r in fast.reads] == [("x.txt", True), ("y.txt", None)]


def test_facts_with_reads_round_trip_through_the_cache_form() -> None:
    facts = both("open('a.txt')\n")[0]
    assert FileFacts.from_dict(facts.to_dict()) == facts
    assert facts.reads == (ReadFact(1, "cwd", "a.txt", "data", "open"),)
