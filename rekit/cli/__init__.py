"""The ``rekit`` command line, one module per command group; `main` is the command's entry point."""

from __future__ import annotations

from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rekit` command (rekit.cli.app.main) and return its exit status.

    The entry point lives here, in a module that imports nothing, so that a Ctrl-C while the
    command's modules are still loading (the first second or so) ends like one later: the line
    ``rekit: error: interrupted`` and status 130, never a traceback.
    """
    import sys

    try:
        from rekit.cli.app import main as run

        return run(argv)
    except KeyboardInterrupt:
        print("rekit: error: interrupted", file=sys.stderr)
        return 130  # rekit.errors.EXIT_INTERRUPTED, not imported: this must work before anything has loaded
