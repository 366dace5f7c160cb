"""The ``rekit`` command line, one module per command group.

`main` runs a command and returns its exit status (for callers in the same process); `script`
is the `rekit` executable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rekit` command (rekit.cli.app.main) and return its exit status.

    The entry point lives here, in a module that imports nothing, so that a Ctrl-C while the
    command's modules are still loading (the first second or so) ends like one later: the line
    ``rekit: error: interrupted`` and status 130, never a traceback.

    CPython's cyclic garbage collector is paused while the command runs, and restored as it was
    when it returns. A command's start builds about 170,000 objects that live as long as the
    process (modules, classes, the tables): with the collector on, `rekit data check` collects
    about 250 times, traces that whole heap in several of them, and finds almost nothing to free
    (benchmarks/bench_cli.py: 1.5 s of CPU, against 2.0 s with the collector on). A command is a
    finite job, and what it allocates is mostly freed by reference counting: the peak memory of
    `rekit reports`, `rekit sensitivity --n 8192` and `rekit simulate --draws 100000` is the same
    either way (within 2%).
    """
    import gc
    import sys

    collecting = gc.isenabled()
    gc.disable()
    try:
        from rekit.cli.app import main as run

        return run(argv)
    except KeyboardInterrupt:
        print("rekit: error: interrupted", file=sys.stderr)
        return 130  # rekit.errors.EXIT_INTERRUPTED, not imported: this must work before anything has loaded
    finally:
        if collecting:
            gc.enable()


def script() -> NoReturn:
    """The `rekit` executable: `main()` on sys.argv, then exit with its status.

    The collector stays off to the end, and everything still alive is frozen (gc.freeze) before
    the interpreter shuts down: its shutdown would otherwise trace the whole heap once more
    (about 80 ms after `rekit data check`) only to find the objects it is about to free.
    Files and temporary folders are closed and removed by the command and by atexit, as before.
    """
    import gc
    import sys

    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)
