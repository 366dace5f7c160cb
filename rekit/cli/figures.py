"""`rekit images`: the kit's charts as static PNG, SVG or PDF files.

`app` holds the command, added at the root of the `rekit` command; add one with ``@app.command()``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from rekit.cli.common import (BasisOption, DataOption, DealsFileOption, DrawsOption, SeedOption, YearsOption, deal_book,
                              fail, load_data, new_app, out_folder, parse_years)
from rekit.cli.model import model_inputs

app = new_app()


@app.command("images", short_help="static PNG/SVG/PDF of the kit's charts (needs Chromium)")
def images(
    out: Annotated[str, typer.Option("--out", metavar="DIR", help="folder for the images")] = "reports/images",
    format: Annotated[Literal["png", "svg", "pdf"], typer.Option("--format", help="image format")] = "png",
    scale: Annotated[float, typer.Option("--scale", metavar="X", help="pixel scale for PNG, > 0")] = 2.0,
    deal: Annotated[list[str] | None, typer.Option(
        "--deal", metavar="NAME",
        help="deals in the model charts (repeatable; default all; the flow chart shows the first, or toll_japan by default)")] = None,
    years: YearsOption = "2024-2035",
    draws: DrawsOption = 1000,
    seed: SeedOption = 0,
    basis: BasisOption = "reported",
    deals_file: DealsFileOption = None,
    data: DataOption = None,
) -> int:
    """Static PNG/SVG/PDF of the kit's charts (needs Chromium).

    Writes the kit's charts as static images with kaleido and Debian's chromium (`make browser`
    installs it; or set BROWSER_PATH). Without a browser it stops at once with a message.
    """
    folder = out_folder("--out", out)
    if not scale > 0:
        fail(f"--scale: {scale:g} is not allowed; give a number > 0")
    span = parse_years(years)
    ds = load_data(data)
    book = deal_book(deals_file, ds)
    names, basis, _ = model_inputs(book, deal, basis, draws, seed, span)

    from rekit.figures import charts
    from rekit.figures.images import write_images
    from rekit.model.simulation import simulate

    res = simulate(book, names, years=span, draws=draws, seed=seed, basis=basis)
    figs = {
        "self_sufficiency": charts.self_sufficiency_chart(res, ds, book),
        "export_share": charts.export_share_chart(ds, book, res),
        "mine_production": charts.mine_production_chart(ds),
        "export_controls_timeline": charts.timeline_chart(ds),
    }
    flow = names[0] if deal or "toll_japan" not in names else "toll_japan"
    figs[f"nd_flows_{flow}"] = charts.flows_sankey(res, flow, min(int(res.years[-1]), 2030), ds, book)
    for path in write_images([(f, folder / f"{name}.{format}") for name, f in figs.items()], scale=scale):
        print(path)
    return 0
