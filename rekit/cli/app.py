"""The `rekit` command: the root typer app, its command groups, and the one error handler.

`main()` is the entry point (pyproject's ``rekit = "rekit.cli.app:main"`` and ``python -m
rekit.cli``). It runs the command and turns every problem into one line on stderr and an exit
status (rekit.errors): a `RekitError` -> ``rekit: error: <message>`` and its `exit_code`; a bad
option or argument -> the usage line, ``rekit: error: <what is wrong>`` and 2; Ctrl-C -> 130;
an unexpected error (a bug) -> one line naming it and 70, with the traceback only when
REKIT_DEBUG=1. No traceback reaches the user otherwise.

The command groups live one per module (rekit/cli/data.py, model.py, figures.py, reports.py, teach.py),
each with its own typer apps, added here in the order `rekit --help` lists them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from rekit.cli import data, explore, figures, model, reports, teach
from rekit.cli.common import Group, Stopped
from rekit.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, RekitError, Terminated

if TYPE_CHECKING:  # the type checker reads the installed typer (>= 0.2x), which has TyperException
    from typer import TyperException as CommandLineError
else:
    try:  # typer >= 0.2x carries its own copy of click, whose errors all derive from typer.TyperException
        from typer import TyperException as CommandLineError
    except ImportError:  # pragma: no cover - typer with click as a separate package
        from click import ClickException as CommandLineError

__all__ = ["app", "main", "report_error"]

app = typer.Typer(
    name="rekit", cls=Group,
    help="rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals).",
    epilog="Run `rekit COMMAND --help` for the options of a command.",
    rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False, no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(value: bool) -> None:
    """`rekit --version`: the kit's version and the data package's (versioned apart), then exit."""
    if value:
        import rekit
        from rekit.reports.citation import data_version

        print(f"rekit {rekit.__version__} (data {data_version()})")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                                help="print rekit's version and the data's, and exit")] = False) -> None:
    pass  # the root's own options; the help is the app's


app.add_typer(data.data_app, name="data", help="check and browse the dataset")
app.add_typer(data.app)  # cite
app.add_typer(model.app)  # deals, simulate, concentration
app.add_typer(figures.app)  # images
app.add_typer(explore.app)  # explore --serve
app.add_typer(reports.app)  # run, reports
app.add_typer(reports.notebooks_app, name="notebooks", help="keep the notebooks' stored outputs current")
app.add_typer(teach.teach_app, name="teach", help="teaching notebooks: student and instructor editions, grading")


def report_error(message: object) -> None:
    """``rekit: error: <line>`` on stderr for each line of `message`."""
    for line in str(message).splitlines() or [""]:
        print(f"rekit: error: {line}", file=sys.stderr)


def _usage_error(exc: CommandLineError) -> int:
    """A bad option or argument: the usage line, what is wrong, where the help is; status 2.

    Only public names of typer and click are used: click's error classes are told apart by their
    public class names, as typer itself does for NoArgsIsHelpError (typer/rich_utils.py)."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # `rekit` or `rekit data` alone: the help, as --help gives it
        print(exc.format_message(), file=sys.stderr)
        return EXIT_USAGE
    message = exc.format_message()
    param = getattr(exc, "param", None)
    if param is not None and message.startswith("Invalid value for"):
        name = "/".join(param.opts) if getattr(param, "param_type_name", "") == "option" else (param.metavar or param.name)
        message = f"{name}: {exc.message}"
    if ctx is not None:
        print(ctx.get_usage(), file=sys.stderr)
    report_error(message)
    if ctx is not None:
        print(f"(`{ctx.command_path} --help` lists the options)", file=sys.stderr)
    return EXIT_USAGE  # click's UsageError exits 2 too; any other click error is still a bad command line


def _quiet_stdout() -> int:
    """`rekit ... | head`: the reader has gone; nothing more to say, and not an error."""
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rekit` command with `argv` (default: sys.argv[1:]) and return its exit status."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=list(argv) if argv is not None else None, prog_name="rekit", standalone_mode=False)
    except RekitError as exc:
        report_error(exc)
        return exc.exit_code
    except CommandLineError as exc:
        return _usage_error(exc)
    except Stopped as exc:
        if isinstance(exc.interrupt, Terminated):
            report_error("terminated")
            return EXIT_TERMINATED
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        report_error("terminated")
        return EXIT_TERMINATED
    except (KeyboardInterrupt, typer.Abort):
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `rekit ... | head`: the reader has gone
        return _quiet_stdout()
    except SystemExit as exc:  # typer exits 1 itself when the reader of stdout has gone
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":
            return _quiet_stdout()
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
    except Exception as exc:  # a bug: say so in one line; the traceback on request
        if os.environ.get("REKIT_DEBUG"):
            raise
        report_error(f"unexpected {type(exc).__name__}: {exc} (a bug in rekit; REKIT_DEBUG=1 shows the traceback)")
        return EXIT_BUG
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
