name = "sks.percolatesanalyzer"
