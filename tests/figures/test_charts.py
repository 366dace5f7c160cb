"""Charts: every figure carries its sources, shows ranges as ranges, and exports to static images."""

from __future__ import annotations

import html
import os
from functools import lru_cache

import plotly.graph_objects as go
import pytest

from rekit.figures import charts
from rekit.data.dataset import load
from rekit.model.deals import load_deals
from rekit.figures.images import ImageExportError, find_browser, write_image, write_images
from rekit.model.simulation import simulate


@lru_cache(maxsize=1)
def setup():
    ds = load()
    book = load_deals(ds=ds)
    res = simulate(book, ["status_quo", "toll_japan", "repm_scheme"], years=(2024, 2032), draws=300)
    return ds, book, res


def source_note(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations if a.text and "Sources:" in a.text)


def all_charts():
    ds, book, res = setup()
    return {
        "self_sufficiency": charts.self_sufficiency_chart(res, ds, book),
        "export_share": charts.export_share_chart(ds, book, res),
        "mine_production": charts.mine_production_chart(ds),
        "timeline": charts.timeline_chart(ds),
        "sankey": charts.flows_sankey(res, "toll_japan", 2030, ds, book),
    }


@pytest.mark.parametrize("name", ["self_sufficiency", "export_share", "mine_production", "timeline", "sankey"])
def test_every_chart_names_its_sources_under_it(name):
    ds, _, _ = setup()
    fig = all_charts()[name]
    note = source_note(fig)
    ids = fig.layout.meta["sources"]
    assert ids, "a chart without sources"
    for sid in ids:
        s = ds.source(sid)
        assert str(s["publisher"]) in html.unescape(note.replace("<br>", " "))  # plotly shows &amp; as &
    assert fig.layout.template.layout.font.family == charts.FONT  # one style for the kit


def test_model_charts_draw_bands_not_single_lines():
    fig = all_charts()["self_sufficiency"]
    fills = [t for t in fig.data if getattr(t, "fill", None) == "tonexty"]
    assert len(fills) == 3  # one p05-p95 band per deal, one panel each
    assert [a.text for a in fig.layout.annotations if a.name != charts.SOURCES_NAME] == ["status_quo", "toll_japan", "repm_scheme"]
    # each panel: its own band in colour, the two other deals' medians in grey
    assert sum(1 for t in fig.data if t.line.color == charts.GREY) == 3 * 2


def test_deals_with_identical_results_are_one_line_and_the_legend_says_so():
    ds, book, _ = setup()
    # neither status_quo nor export_halt makes a magnet from IREL's oxide: both are 0 in every year and draw
    res = simulate(book, ["status_quo", "export_halt", "toll_japan"], years=(2024, 2032), draws=100)
    assert charts.same_results(res, "self_sufficiency") == [["status_quo", "export_halt"], ["toll_japan"]]
    fig = charts.self_sufficiency_chart(res, ds, book)
    titles = [a.text for a in fig.layout.annotations if a.name != charts.SOURCES_NAME]
    assert titles[0].replace("<br>", " ") == "status_quo = export_halt (identical results)"
    assert len([t for t in fig.data if getattr(t, "fill", None) == "tonexty"]) == 2


def test_palette_is_okabe_ito_without_the_old_red_green_pair():
    assert charts.PALETTE[:3] == ("#0072B2", "#E69F00", "#009E73")
    assert "#d1495b" not in charts.PALETTE and "#66a182" not in charts.PALETTE


@pytest.mark.parametrize("name", ["self_sufficiency", "export_share", "mine_production", "timeline", "sankey"])
def test_every_chart_has_alt_text_with_its_numbers(name):
    fig = all_charts()[name]
    alt = fig.layout.meta["alt"]
    assert len(alt) > 60 and any(ch.isdigit() for ch in alt)


def test_stacked_mine_production_adds_up_to_the_world_total():
    ds, _, _ = setup()
    fig = all_charts()["mine_production"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars[-1].name.startswith("Other")
    years = list(bars[0].x)
    i = years.index(2023)
    # USGS MCS 2025, 2023: World 376,000 t; named 255,000 + 43,000 + 41,600 + 16,000 + 7,200 = 362,800 t;
    # so Other = 376,000 - 362,800 = 13,200 t
    assert sum(b.y[i] for b in bars) == pytest.approx(376_000)
    assert bars[-1].y[i] == pytest.approx(13_200)


def test_timeline_labels_are_whole_and_2024_on_has_its_own_panel():
    ds, _, _ = setup()
    fig = all_charts()["timeline"]
    labels = fig.layout.yaxis.categoryarray
    for r in ds.events.itertuples():
        assert f"{r.title} ({r.actor})" in [lab.replace("<br>", " ") for lab in labels]
    assert fig.layout.xaxis2.range[0] < __import__("pandas").Timestamp("2024-01-01")
    assert "…" not in "".join(labels)


def test_export_share_chart_shows_each_source_as_its_own_marker():
    ds, _, _ = setup()
    fig = all_charts()["export_share"]
    observed = [t for t in fig.data if t.mode == "markers"]
    assert len(observed) == len(ds.series("re_export_share", entity="IREL"))
    assert {round(t.y[0], 3) for t in observed} == {0.333, 0.345}


def test_mine_production_chart_carries_top3_and_hhi():
    fig = all_charts()["mine_production"]
    line = [t for t in fig.data if t.name == "top-3 share"][0]
    assert all(0.5 < y < 1 for y in line.y)
    assert all(txt.startswith("HHI ") for txt in line.text)


def test_sankey_balances():
    ds, book, res = setup()
    fig = all_charts()["sankey"]
    link = fig.data[0].link
    out_of_irel = sum(v for s, v in zip(link.source, link.value, strict=True) if s == 0)
    assert out_of_irel == pytest.approx(float(res.at("production", "toll_japan", 2030).mean()), rel=0.02)
    with pytest.raises(KeyError, match="not in this result"):
        charts.flows_sankey(res, "export_halt", 2030, ds, book)


def test_image_export_without_a_browser_says_so_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    with pytest.raises(ImageExportError, match="need a Chrome or Chromium browser"):
        write_image(all_charts()["timeline"], tmp_path / "t.png")


def test_unknown_image_format(tmp_path):
    with pytest.raises(ImageExportError, match="unknown image format '.gif'"):
        write_images([(go.Figure(), tmp_path / "x.gif")])


@pytest.mark.skipif(find_browser() is None, reason="no Chrome/Chromium here: `make browser` installs Debian's chromium")
def test_png_and_svg_are_written_with_chromium(tmp_path):
    figs = all_charts()
    paths = write_images([(figs["self_sufficiency"], tmp_path / "ssr.png"), (figs["mine_production"], tmp_path / "mine.svg")], scale=1)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = paths[1].read_text()
    assert svg.lstrip().startswith("<svg") and "China" in svg
    assert "<desc>Stacked bars of world rare-earth mine production" in svg
    assert (tmp_path / "ssr.png.alt.txt").read_text().startswith("India's neodymium self-sufficiency")


def test_cli_images_without_a_browser_exits_with_the_reason(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "BROWSER_PATH": str(tmp_path / "none")}
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "images", "--out", str(tmp_path), "--draws", "10"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert "need a Chrome or Chromium browser" in out.stderr and "Traceback" not in out.stderr


# --- origin traced through the chain ----------------------------------------------------------------

def test_origin_sankey_colours_links_by_origin_and_splits_each_route():
    from rekit.model.origin import origin_flows

    ds, book = load(), load_deals()
    res = simulate(book, ["repm_scheme"], years=(2031, 2031), draws=0)
    fig = charts.origin_sankey(res, "repm_scheme", 2031, ds, book)
    link = fig.data[0].link
    # central values: one draw, so each link is the flow itself; made in India (node 3) gets India, China and
    # other origin, and their sum is the route's link to India's magnets (node 6)
    into = {s: v for s, t, v in zip(link.source, link.target, link.value, strict=True) if t == 3}
    out = [v for s, t, v in zip(link.source, link.target, link.value, strict=True) if s == 3 and t == 6]
    assert set(into) == {0, 1, 2} and out == [pytest.approx(sum(into.values()))]
    # the China link is the rare-earth mass origin_flows gives (t magnet) times w_NdPr + w_h (t element per t magnet)
    fl = res.flows
    china = float(origin_flows(fl)[("magnets_india", "China")][0, 0, 0] * (fl["w_ndpr"] + fl["w_h"]).ravel()[0])
    assert into[1] == pytest.approx(china)
    colours = {s: c for s, c in zip(link.source, link.color, strict=True) if s < 3}
    assert colours[1] == charts.rgba(charts.ORIGIN_COLOURS["China"], 0.45)
    assert "by origin" in charts.alt_text(fig)
    with pytest.raises(KeyError):
        charts.origin_sankey(res, "toll_japan", 2031, ds, book)


def test_china_share_stages_chart_draws_each_traced_stage():
    ds, book = load(), load_deals()
    res = simulate(book, ["repm_non_china_oxide"], years=(2030, 2032), draws=0)
    fig = charts.china_share_stages_chart(res, "repm_non_china_oxide", ds, book)
    names = [t.name for t in fig.data if t.showlegend is not False]
    for label in charts.STAGES.values():
        assert label in names
    # oxide from refiners outside China: the oxide stage's median is 0 in every year
    oxide = next(t for t in fig.data if t.name == charts.STAGES["china_share_oxide_traced"])
    assert list(oxide.y) == [0, 0, 0]
    assert "NdPr oxide reduced in India 0%" in charts.alt_text(fig)
