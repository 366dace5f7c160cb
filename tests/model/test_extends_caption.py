"""A chart of deals of one's own names what each extends and the parameters set by hand (--set), beside the bases."""

from __future__ import annotations

from rekit.data.dataset import load
from rekit.figures.charts import projection_chart
from rekit.model.custom import with_settings
from rekit.model.deals import load_deals
from rekit.model.simulation import simulate


def test_the_caption_names_the_base_of_a_derived_deal_and_the_settings():
    ds = load()
    book = load_deals({"deals": {"korea_free": {"extends": "toll_korea"}}}, ds=ds)
    book = with_settings(book, {"toll_korea": {"partner_spare": 0.4}})
    result = simulate(book, ["toll_korea", "korea_free", "toll_japan"], years=(2024, 2027), draws=10, seed=0)
    fig = projection_chart(result, "own_feedstock_coverage", ds, book, "coverage")
    text = fig.to_json()
    assert "Deals of your own: korea_free extends toll_korea." in text
    assert "Set by hand: toll_korea partner_spare 0.4." in text
    assert "production basis 'output', demand basis 'official'" in text  # the bases, as before
    plain = projection_chart(simulate(load_deals(ds=ds), ["toll_japan"], years=(2024, 2027), draws=10, seed=0),
                             "own_feedstock_coverage", ds, load_deals(ds=ds), "coverage").to_json()
    assert "Deals of your own" not in plain and "Set by hand" not in plain
