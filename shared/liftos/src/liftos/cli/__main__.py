from liftos.cli import main

main()
