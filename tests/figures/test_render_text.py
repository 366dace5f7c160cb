"""rekit/figures/render.py: a chart's text/plain, what nbval compares in the stored notebooks, carries
the chart's text description (its numbers), so a stored chart whose numbers change fails the check."""

from __future__ import annotations

import plotly.graph_objects as go

from rekit.figures.charts import set_alt
from rekit.figures.render import RekitRenderer


def plain(fig: go.Figure) -> str:
    return RekitRenderer().to_mimebundle(fig.to_dict())["text/plain"]


def test_a_described_chart_shows_its_description_under_the_summary():
    fig = go.Figure([go.Bar(x=["a", "b"], y=[1, 2]), go.Scatter(x=[0], y=[0])], layout={"title": {"text": "T"}})
    set_alt(fig, "Bars of tonnes:\n a 1 t,   b 2 t.")  # set_alt folds the whitespace to single spaces
    assert plain(fig) == "<Figure 'T': 1 bar, 1 scatter>\nBars of tonnes: a 1 t, b 2 t."


def test_a_changed_number_changes_the_text_nbval_compares():
    one, two = go.Figure(go.Bar(x=["a"], y=[1])), go.Figure(go.Bar(x=["a"], y=[2]))
    set_alt(one, "a 1 t")
    set_alt(two, "a 2 t")
    assert (plain(one), plain(two)) == ("<Figure: 1 bar>\na 1 t", "<Figure: 1 bar>\na 2 t")


def test_a_chart_without_a_description_keeps_the_one_line_summary():
    fig = go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "T"}})
    assert plain(fig) == "<Figure 'T': 1 bar>"
    fig.layout.meta = {"sources": ["s1"]}  # other metadata, no "alt"
    assert plain(fig) == "<Figure 'T': 1 bar>"
