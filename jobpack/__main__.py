from jobpack.cli import main

main()
