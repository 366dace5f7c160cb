"""What a reader sees is in plain words, not ids: the rows of the flows table, and the structural
envelope's ends for a deal with partners (its labels carry ` partner=NAME`).

Every expected text is written out by hand here; the ids a machine reads (the flows table's
``metric`` column, the envelope frame's low_scenario and high_scenario) stay as they are."""

from __future__ import annotations

import pandas as pd
import pytest

from rekit.figures import headlines
from rekit.model.deals import load_deals
from rekit.model.scenarios import ALIKE
from rekit.model.simulation import simulate

# the words of each choice, written out (rekit.figures.headlines.CHOICE_WORDS)
RAMP, PLAN = "IREL's stated ramp", "IREL's 900 t plan for 2030"
CHAIN, OFFICIALS = "the physical chain (about 2.15 t of magnet per t of oxide)", "the officials' 3 t of magnet per t of oxide"
PLANTS, HOME = "the partners' named plants", "the partners' home-country plants only"
NATIONAL = "the partner country's national alloy output"

LOW = "production=targets demand=official framing=chain partner=plants"
HIGH = "production=plan_2030 demand=official framing=officials partner=national"


@pytest.fixture(scope="module")
def book():
    return load_deals()


@pytest.mark.parametrize(("metric", "words"), [
    ("magnets_returned", "magnets returned by the partner (t magnet)"),
    ("magnets_kept_by_partner", "magnets kept by the partner as payment (t magnet)"),
    ("tolled", "Nd sent to the tolling partner (t Nd)"),
    ("stocked", "Nd added to IREL's oxide stock (t Nd)"),
    # a ratio is shown as a percentage in the table, so its unit reads %
    ("self_sufficiency", "own-feedstock coverage of magnet demand (%)"),
])
def test_a_flow_is_named_in_words_with_its_unit(metric, words):
    assert headlines.flow_words(metric) == words


def test_the_flows_table_rows_read_as_words_and_keep_the_metric_for_machines(book):
    result = simulate(book, ["toll_japan"], years=(2024, 2030), draws=0)
    t = headlines.flows_table(result, "toll_japan", 2030)
    assert t.index.name == "flow"
    assert "magnets returned by the partner (t magnet)" in t.index
    assert not any("_" in label for label in t.index)  # no id left among the row labels
    # the metric name stays beside it, in the table's last column, for the CSV and --metric
    assert t.columns[-1] == "metric"
    assert t.loc["magnets returned by the partner (t magnet)", "metric"] == "magnets_returned"
    assert t["metric"].tolist() == list(headlines.FLOW_METRICS)


def test_partnered_ends_are_named_by_what_differs_partner_included(book):
    # production, framing and partner differ; demand (official at both ends) is not what separates them
    assert headlines.scenario_ends(LOW, HIGH, book) == (f"{RAMP}, {CHAIN} and {PLANTS}", f"{PLAN}, {OFFICIALS} and {NATIONAL}")
    # only the partner alternative differs: the ends are the two partner readings alone
    home = LOW.replace("partner=plants", "partner=home")
    assert headlines.scenario_ends(LOW, home, book) == (PLANTS, HOME)
    # an unknown partner alternative is no scenario of this book: given as it is
    odd = LOW.replace("partner=plants", "partner=moon")
    assert headlines.scenario_ends(odd, HIGH, book) == (odd, HIGH)


def test_the_envelope_sentence_for_a_deal_with_partners_has_no_ids(book):
    env = pd.DataFrame([{"deal": "toll_japan", "year": 2030, "metric": "magnets_own", "unit": "t magnet",
                         "envelope_p05": 105.6, "envelope_p95": 1422.0, "low_scenario": LOW, "high_scenario": HIGH}])
    text = headlines.envelope_sentence(env, "magnets_own", 2030, book, ["toll_japan"], fmt=",.0f")
    # 105.6 -> "106" and 1422.0 -> "1,422" at ",.0f"
    assert "spans 106–1,422 under toll_japan (p05–p95)." in text
    assert text.endswith(f" Lowest with {RAMP}, {CHAIN} and {PLANTS}; highest with {PLAN}, {OFFICIALS} and {NATIONAL}.")
    assert "=" not in text
    # the frame a machine reads keeps its labels
    assert env.loc[0, "low_scenario"] == LOW


def test_ends_alike_stay_alike_with_partners(book):
    assert headlines.scenario_ends(ALIKE, ALIKE, book) == (ALIKE, ALIKE)


def test_the_band_sentence_names_the_chosen_scenario_in_words(book):
    # central values (draws=0): p05, median and p95 are one number, so only the words are checked here
    result = simulate(book, ["toll_japan"], years=(2024, 2030), draws=0, basis="output", demand="official")
    text = headlines.band_sentence(result, "magnets_own", 2030, fmt=",.0f")
    assert text.endswith(", in the chosen scenario (IREL's measured output and the official demand).")
    assert "basis" not in text
