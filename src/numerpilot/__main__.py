from numerpilot.cli import main

main()
