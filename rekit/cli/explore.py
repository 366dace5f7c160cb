"""`rekit explore --serve`: the deal explorer as a Voilà web app on 127.0.0.1 (rekit.explore.serve).

`app` holds the command, added at the root of the `rekit` command.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from rekit.cli.common import DataOption, DealsFileOption, choose, data_folder, deal_book, fail, load_data, new_app

app = new_app()


@app.command("explore", short_help="the deal explorer as a web app on 127.0.0.1 (--serve)")
def explore(
    serve: Annotated[bool, typer.Option("--serve", help="run the explorer as a Voilà web app on 127.0.0.1 until Ctrl-C")] = False,
    port: Annotated[int, typer.Option("--port", metavar="N", help="port on 127.0.0.1 (0: any free port)")] = 8866,
    deal: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer reads the annotation)
        "--deal", metavar="NAME", help="a deal ticked at the start (repeatable; default: four of the presets)")] = None,
    basis: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--basis", metavar="B", help="production basis at the start (default: output)")] = None,
    demand: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--demand", metavar="D", help="demand basis at the start (default: the first of `rekit demand`)")] = None,
    framing: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--framing", metavar="F", help="magnets per t of oxide at the start: chain (the default) or officials")] = None,
    deals_file: DealsFileOption = None,
    data: DataOption = None,
) -> int:
    """The deal explorer as a web app (Voilà), on 127.0.0.1, with no code shown.

    `rekit explore --serve` starts it and prints its address (with a token); open that in a browser.
    Ctrl-C stops it and every process it started. In a notebook, `from rekit.explore import explore;
    explore()` opens the same explorer (`make lab`).
    """
    if not serve:
        fail("rekit explore: give --serve to run the explorer as a web app on 127.0.0.1 "
             "(or, in JupyterLab, run `from rekit.explore import explore; explore()`; `make lab` opens it)")
    if data is not None:
        os.environ["REKIT_DATA"] = str(data_folder(data))  # the app's kernel reads the same data
    book = deal_book(deals_file, load_data(data))
    options: dict[str, object] = {}
    if deal:
        options["deals"] = [choose(n, list(book.deals), "deal") for n in deal]
    if deals_file is not None:
        options["deals_file"] = str(deals_file.resolve())
    if basis is not None:
        options["basis"] = choose(book.basis_name(basis), list(book.bases), "production basis")
    if demand is not None:
        options["demand"] = choose(demand, list(book.demands), "demand basis")
    if framing is not None:
        options["framing"] = choose(framing, list(book.framings) or ["chain", "officials"], "framing")

    from rekit.explore.serve import serve as run_app

    return run_app(port, options)
