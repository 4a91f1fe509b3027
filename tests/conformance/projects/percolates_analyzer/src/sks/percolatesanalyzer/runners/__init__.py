name = "sks.percolatesanalyzer.runners"
