"""``python -m numerpilot`` and the ``numerpilot`` script.

``--version`` is answered before the command line (typer and every command) is loaded: it is
what scripts and agents call to see whether numerpilot is there, so it should cost nothing.
"""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from numerpilot import __version__

        print(__version__)
        return
    from numerpilot.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
