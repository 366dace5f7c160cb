"""The kit's error base and the exit statuses of the ``rekit`` command.

Every error a user can fix (a bad argument, an unknown name, data that would give wrong numbers,
a notebook that failed) is a `RekitError`. Its message names the value given and what is
allowed; its `exit_code` is the status the command line exits with. The command line has one
handler for all of them (rekit.cli.app.main), which prints ``rekit: error: <message>`` on stderr
and exits with `exit_code`, so every command reports problems alike and no traceback reaches
the user.

This module is below every layer: it imports nothing of the kit.
"""

from __future__ import annotations

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_BUG", "EXIT_INTERRUPTED", "EXIT_TERMINATED",
    "RekitError", "FailedError", "UsageError", "Terminated",
]

#: Done.
EXIT_OK = 0
#: The input was read, but the data are wrong or a run failed (`rekit data check` found problems,
#: a notebook raised): the message lists what.
EXIT_FAILED = 1
#: A bad argument or input value (unknown name, value out of range, missing folder, unreadable
#: file): nothing was run or written. The same status click and argparse use for usage errors.
EXIT_USAGE = 2
#: An unexpected error inside the kit (a bug): one line, and the traceback with REKIT_DEBUG=1.
EXIT_BUG = 70  # EX_SOFTWARE in BSD's sysexits.h
#: Ctrl-C (SIGINT): 128 + 2, the shell's convention for a process ended by signal 2.
EXIT_INTERRUPTED = 130
#: SIGTERM: 128 + 15.
EXIT_TERMINATED = 143


class RekitError(Exception):
    """A problem the user can fix; the message says what was given and what is allowed.

    `exit_code` is the status of the ``rekit`` command that meets it: `EXIT_USAGE` (2) unless a
    subclass says otherwise.
    """

    exit_code: int = EXIT_USAGE


class FailedError(RekitError):
    """The input was accepted but the data are wrong or a run failed (exit status 1)."""

    exit_code = EXIT_FAILED


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the report runner turns it into an interrupt, so it cleans up as on
    Ctrl-C (kernels stopped, temporary files removed) and the command exits with 143, not 130."""


class UsageError(RekitError):
    """A bad argument on the command line (exit status 2): the message names the option, the value
    given and what is allowed."""
