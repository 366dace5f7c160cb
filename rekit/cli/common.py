"""What every command group of the ``rekit`` command shares: the typer app class, the options
several commands take, and the checks that turn a bad argument into a clear message.

A command group module (rekit/cli/data.py, model.py, ...) makes its apps with `new_app()` and
registers commands with ``@app.command()``; rekit/cli/app.py adds the apps to the root command.
Nothing heavy is imported here (no pandas, numpy, plotly, papermill, nbformat): `rekit --help`
imports only typer and these modules, and each command imports what it needs when it runs.

Reading the options fast: typer (0.2x) converts every option value with a pydantic TypeAdapter,
which costs about a second of imports on each run. `Command` gives the plain types the kit's
commands use (str, int, float, bool, Path, a Literal of names, lists of these) a converter of
their own with the same outcome and clearer messages; any other type keeps typer's.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from collections.abc import Iterable
from typing import Annotated, Any, Literal, NoReturn, get_args, get_origin, overload

import typer
from typer.core import TyperCommand, TyperGroup

from rekit.csvcells import neutralise  # noqa: F401  (the one rule; tests and callers name it here too)
from rekit.errors import UsageError

__all__ = [
    "new_app", "App", "Command", "Group", "Stopped", "PAIR_METAVAR", "fail", "choose", "at_least", "out_folder", "positive_seconds",
    "data_folder", "load_data", "deal_book", "parse_years", "write_csv", "write_records", "neutralise",
    "DataOption", "DealsFileOption", "YearsOption", "SeedOption", "BasisOption", "DrawsOption",
]

#: The metavar that makes an option take two values (-p NAME VALUE), repeatable.
PAIR_METAVAR = "NAME VALUE"

#: What a number given with non-ASCII digits is told (the data package's CSV rules say the same).
_DIGITS_HINT = " (write digits 0-9 only: full-width or other non-ASCII digits are refused)"

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


# ---------------------------------------------------------------------------------------------
# the typer app and command classes
# ---------------------------------------------------------------------------------------------


class _PlainValue:
    """Converts a command-line string to str, int, float, bool, Path or one of a Literal's names.

    Has the interface typer's runtime parameters have (`coerce(value, param, ctx)`); errors are
    typer.BadParameter with the value given and what is allowed.
    """

    KINDS = (str, int, float, bool, Path, Any)

    def __init__(self, annotation: Any):
        self.many = get_origin(annotation) is list
        self.kind = get_args(annotation)[0] if self.many else annotation

    @classmethod
    def handles(cls, annotation: Any) -> bool:
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if get_origin(annotation) is Literal:
            return all(isinstance(a, str) for a in get_args(annotation))
        return annotation in cls.KINDS

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        many = param.multiple or param.nargs == -1
        if value is None:
            return () if many else None
        if many:
            return [self.one(v, param) for v in value]
        return self.one(value, param)

    def one(self, v: Any, param: Any) -> Any:
        k = self.kind
        if k is Any or isinstance(v, tuple):
            return v
        if k is str:
            return str(v)
        if k is Path:
            return Path(v)
        if k is bool:
            if isinstance(v, bool):
                return v
            if str(v).lower() in _TRUE | _FALSE:
                return str(v).lower() in _TRUE
            raise typer.BadParameter(f"{v!r} is not allowed; give true or false", param=param)
        if k is int:
            if isinstance(v, int):
                return v
            try:
                if not str(v).isascii():  # int() also reads full-width digits ('１０'); the kit does not
                    raise ValueError(v)
                return int(str(v).strip())
            except ValueError:
                raise typer.BadParameter(f"{v!r} is not a whole number{_DIGITS_HINT if not str(v).isascii() else ''}",
                                         param=param) from None
        if k is float:
            if isinstance(v, (int, float)):
                return float(v)
            try:
                if not str(v).isascii():  # float() also reads full-width digits ('０.５'); the kit does not
                    raise ValueError(v)
                return float(str(v).strip())
            except ValueError:
                raise typer.BadParameter(f"{v!r} is not a number{_DIGITS_HINT if not str(v).isascii() else ''}",
                                         param=param) from None
        allowed = get_args(k)  # a Literal of names
        try:
            return choose(str(v), allowed, "value")
        except UsageError as exc:
            raise typer.BadParameter(str(exc), param=param) from None


def _read_plainly(params: Iterable[Any]) -> None:
    """Give each typer parameter of a plain type the kit's converter (see the module docstring),
    and NAME VALUE options two values. Parameters typer builds differently keep typer's."""
    for p in params:
        if getattr(p, "metavar", None) == PAIR_METAVAR:
            p.nargs = 2
        desc = getattr(p, "type_descriptor", None)
        info = getattr(desc, "parameter_info", None)
        if desc is None or "get_runtime_param" in vars(p) or getattr(info, "parser", None) is not None \
                or getattr(info, "min", None) is not None or getattr(info, "max", None) is not None:
            continue  # typer's own conversion (slower, same result), or already given
        if _PlainValue.handles(desc.annotation):
            # typer asks each parameter for its converter through the public get_runtime_param();
            # this parameter answers with the kit's (no private attribute of typer is set)
            p.get_runtime_param = _constant(_PlainValue(desc.annotation))


def _constant(value: Any) -> Any:
    """A function of no arguments that returns `value`."""
    return lambda: value


class Stopped(Exception):
    """Ctrl-C or SIGTERM while a command ran, carried past typer (which would turn it into a silent
    exit 130) to rekit.cli.app.main, which says so and exits 130 or 143."""

    def __init__(self, interrupt: KeyboardInterrupt):
        super().__init__("interrupted")
        self.interrupt = interrupt


class Command(TyperCommand):
    """A typer command with the kit's fast option reading (see the module docstring) and options
    that take a NAME VALUE pair (metavar `PAIR_METAVAR`, repeatable)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise Stopped(exc) from None

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _read_plainly(params)
        return params


class Group(TyperGroup):
    """A typer group (rekit, rekit data, ...) whose own options (--help) are read as `Command`'s."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _read_plainly(params)
        return params


class App(typer.Typer):
    """typer.Typer whose commands are `Command`s; plain help (no rich), no tracebacks."""

    def command(self, *args: Any, cls: type | None = None, **kwargs: Any):
        return super().command(*args, cls=cls or Command, **kwargs)


def new_app(help: str | None = None, **kwargs: Any) -> App:
    """A typer app for a command group (or for commands added at the root: leave `help` out)."""
    settings = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
    return App(help=help, cls=Group, rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False,
               no_args_is_help=True, context_settings=settings, **kwargs)


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


def fail(message: str) -> NoReturn:
    """Stop the command: ``rekit: error: <message>`` and exit status 2."""
    raise UsageError(message)


def choose(value: str, allowed: Iterable[str], what: str, listing: str | None = None) -> str:
    """`value` if it is one of `allowed`, else the one that matches it ignoring case; otherwise a
    UsageError naming the value, the closest names (difflib) and every allowed one (or, for a
    long list, `listing`: where to find them)."""
    allowed = [str(a) for a in allowed]
    if value in allowed:
        return value
    folded = [a for a in allowed if a.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(value.casefold(), [a.casefold() for a in allowed], n=3, cutoff=0.6)
    close = [a for c in close for a in allowed if a.casefold() == c]
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    fail(f"unknown {what} {value!r}{hint}; " + (listing or f"allowed: {', '.join(allowed) or '(none)'}"))


def at_least(option: str, value: int | float, low: int | float, what: str = "a whole number") -> None:
    """UsageError unless value >= low: '--draws: 0 is not allowed; give a whole number >= 1'."""
    if value < low:
        fail(f"{option}: {value} is not allowed; give {what} >= {low}")


def positive_seconds(option: str, value: float | None) -> None:
    """UsageError unless `value` (seconds) is None or > 0."""
    if value is not None and not value > 0:
        fail(f"{option}: {value:g} is not allowed; it must be > 0 seconds")


@overload
def out_folder(option: str, value: str) -> Path: ...
@overload
def out_folder(option: str, value: None) -> None: ...


def out_folder(option: str, value: str | None) -> Path | None:
    """The output folder given, or None for the default; an empty string is refused (it would
    silently mean the current folder)."""
    if value is None:
        return None
    if not value.strip():
        fail(f"{option}: an empty folder name is not allowed; give a folder, or leave {option} out for the default")
    return Path(value)


def data_folder(given: Path | str | None, option: str = "--data") -> Path:
    """The data folder a command reads: `given` (the `option`, --data or DIR), else REKIT_DATA,
    else the bundled data/; a UsageError naming the path and where it came from if it is not a folder."""
    from rekit.paths import data_dir

    if given is not None:
        folder, source = Path(given), option
    else:
        folder, source = data_dir(), ("REKIT_DATA" if os.environ.get("REKIT_DATA") else "the bundled data")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        fail(f"no data folder at {folder} ({source}): it {what}")
    return folder


def load_data(given: Path | str | None = None):
    """The dataset (rekit.data.dataset.load) from `data_folder(given)`."""
    from rekit.data.dataset import load

    return load(data_folder(given))


def deal_book(deals_file: Path | None, ds):
    """The deal book: the bundled deals plus the user's --deals FILE, over the dataset `ds`.

    A data folder without deals.yml uses the bundled deals, and says so on stderr."""
    from rekit.model.deals import load_deals
    from rekit.paths import BUNDLED_DATA, DEALS_FILE

    if deals_file is not None and not deals_file.is_file():
        fail(f"--deals: no file at {deals_file}")
    folder = Path(ds.path)
    if not (folder / DEALS_FILE).exists() and folder.resolve() != BUNDLED_DATA.resolve():
        print(f"rekit: note: {folder} has no {DEALS_FILE}: using the bundled deals ({BUNDLED_DATA / DEALS_FILE})", file=sys.stderr)
    return load_deals(deals_file, ds=ds)


def parse_years(text: str) -> tuple[int, int]:
    """'2024-2035' -> (2024, 2035); '2030' -> (2030, 2030). The model checks the range.

    Both years are written in ASCII digits: '2024-' (no end), '-2035' (no start) and full-width
    digits ('２０２４') are refused, not read as something else."""
    import re

    m = re.fullmatch(r"\s*([0-9]+)(?:\s*-\s*([0-9]+))?\s*", text, flags=re.ASCII)
    if m is None:
        fail(f"--years: {text!r} is not START-END (e.g. 2024-2035) or one year (e.g. 2030); write both years "
             "in digits 0-9")
    return int(m[1]), int(m[2] or m[1])


# ---------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------

def write_csv(table, stream=None, float_format: str = "%.6g") -> None:
    """Write a DataFrame as CSV to `stream` (stdout): numbers stay numbers, text cells and column
    names are neutralised by the kit's one rule (rekit.csvcells, OWASP's for CSV injection)."""
    from rekit.csvcells import frame_csv

    frame_csv(table, stream if stream is not None else sys.stdout, float_format=float_format)


def write_records(table, format: str) -> bool:
    """Write a DataFrame to stdout as `--format csv` (write_csv) or `json` (one record a row, 6 significant
    digits) and return True; return False for `table`, which each command prints its own way."""
    if format == "csv":
        write_csv(table)
    elif format == "json":
        print(table.to_json(orient="records", double_precision=6))
    else:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# options several commands share
# ---------------------------------------------------------------------------------------------

DataOption = Annotated[Path | None, typer.Option(
    "--data", metavar="DIR", help="data folder (default: REKIT_DATA if set, else the bundled data/)")]
DealsFileOption = Annotated[Path | None, typer.Option(
    "--deals", metavar="FILE", help="a YAML file of your own deals, in the same format as data/deals.yml")]
YearsOption = Annotated[str, typer.Option(
    "--years", metavar="START-END", help="years to model (reach 2024-2050)")]
SeedOption = Annotated[int, typer.Option(
    "--seed", metavar="S", help="random seed, a whole number >= 0; same seed, same output")]
BasisOption = Annotated[str, typer.Option(
    "--basis", metavar="B", help="IREL output path: output (measured output, then its plans under capacity; the default), "
                                 "capacity, targets or plan_2030 (reported: the old name of output)")]

DrawsOption = Annotated[int, typer.Option("--draws", metavar="N", help="Monte Carlo draws, a whole number >= 1")]
