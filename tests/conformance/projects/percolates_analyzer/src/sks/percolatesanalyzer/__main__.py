from sks.percolatesanalyzer.main import main

main()
