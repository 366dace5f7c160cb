"""The structural envelope beside a headline band: its table columns, its sentence in plain words, the
chart's lighter band and the finding that carries it to the landing page.

Expected values are written out by hand: an envelope frame written here, the plain words of each
choice, the scenario count read from data/deals.yml itself; where a real grid runs (a few draws), the
expectation is read from the scenarios' own medians, not from the function under test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rekit.data.dataset import load
from rekit.figures import charts, headlines
from rekit.model.deals import load_deals
from rekit.model.scenarios import ALIKE, run_grid, scenarios
from rekit.model.simulation import METRICS, Result, simulate

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = "<img src=x onerror=alert(1)>"

# the plain words each end is written in (rekit.figures.headlines.CHOICE_WORDS), written out
RAMP, PLAN, OUTPUT, CAPACITY = "IREL's stated ramp", "IREL's 900 t plan for 2030", "IREL's measured output", "IREL at capacity"
OFFICIAL, IMPORTS = "the official demand", "finished-magnet imports as demand"
CHAIN, OFFICIALS = "the physical chain (about 2.15 t of magnet per t of oxide)", "the officials' 3 t of magnet per t of oxide"


@pytest.fixture(scope="module")
def book():
    return load_deals()


def label(book, production: str, demand: str, framing: str) -> str:
    """The label the model gives one scenario (how an envelope row names its ends)."""
    return scenarios(book, [production], [demand], [framing])[0].label


def count_sentence() -> str:
    """'24 structural scenarios (4 production bases × 3 demand bases × 2 framings)', counted in data/deals.yml itself."""
    doc = yaml.safe_load((ROOT / "data" / "deals.yml").read_text(encoding="utf-8"))
    p, d, f = len(doc["production_bases"]), len(doc["demand_bases"]), len(doc["framings"])
    # plants, home, national: the three readings of a tolling partner's capacity
    return (f"{p * d * f} structural scenarios ({p} production bases × {d} demand bases × {f} framings; times up to 3 "
            "readings of the partner's capacity for a deal with tolling partners)")


def test_each_end_is_named_in_plain_words_and_only_by_the_choices_that_differ(book):
    low, high = label(book, "targets", "official", "chain"), label(book, "plan_2030", "imports", "officials")
    assert headlines.scenario_ends(low, high, book) == (f"{RAMP}, {OFFICIAL} and {CHAIN}", f"{PLAN}, {IMPORTS} and {OFFICIALS}")
    # both ends with the official demand and the chain: only the production path separates them
    low, high = label(book, "output", "official", "chain"), label(book, "capacity", "official", "chain")
    assert headlines.scenario_ends(low, high, book) == (OUTPUT, CAPACITY)
    assert headlines.scenario_ends(ALIKE, ALIKE, book) == (ALIKE, ALIKE)
    # a label this book does not make is shown as it is; a basis the kit has no words for keeps its name
    assert headlines.scenario_ends("production=x", "production=y", book) == ("production=x", "production=y")
    assert headlines.choice_words("production", "my_plan") == "production basis 'my_plan'"
    assert headlines.choice_words("demand", "imports") == IMPORTS


def hand_envelope(book, metric: str = "own_feedstock_coverage") -> pd.DataFrame:
    """Two deals in 2031: `scheme` 0.04 to 1.116 between a low and a high scenario, `none` 0 in every scenario."""
    low, high = label(book, "targets", "official", "chain"), label(book, "output", "imports", "officials")
    return pd.DataFrame([
        {"deal": "scheme", "year": 2031, "metric": metric, "unit": "ratio", "envelope_p05": 0.04, "envelope_p95": 1.116,
         "low_scenario": low, "high_scenario": high},
        {"deal": "none", "year": 2031, "metric": metric, "unit": "ratio", "envelope_p05": 0.0, "envelope_p95": 0.0,
         "low_scenario": ALIKE, "high_scenario": ALIKE},
    ])


def known_result() -> Result:
    """Two deals, 2030-2033, three identical draws a year: self-sufficiency 0.10, 0.20, 0.35, 0.50 under `scheme`, 0 under `none`."""
    years = np.arange(2030, 2034)
    arrays = {m: np.zeros((2, len(years), 3)) for m in METRICS}
    arrays["self_sufficiency"][0] = np.array([0.10, 0.20, 0.35, 0.50])[:, None]
    return Result(deals=("scheme", "none"), years=years, arrays=arrays, basis="output", draws=3, seed=0)


def test_the_headline_table_gets_the_envelope_and_its_ends_beside_its_band(book):
    # the table asks for self_sufficiency, the envelope holds own_feedstock_coverage: the alias finds its metric
    t = headlines.with_envelope(headlines.metric_table(known_result(), "self_sufficiency", 2031), hand_envelope(book),
                                "self_sufficiency", 2031, book)
    assert list(t.columns) == ["p05", "median", "p95", "envelope p05", "envelope p95", "lowest with", "highest with"]
    # 2031 is the second year: scheme 0.20; its envelope 0.04 to 1.116, rounded to 2 digits 1.12
    assert t.loc["scheme"].tolist() == [0.2, 0.2, 0.2, 0.04, 1.12, f"{RAMP}, {OFFICIAL} and {CHAIN}",
                                        f"{OUTPUT}, {IMPORTS} and {OFFICIALS}"]
    assert t.loc["none"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, ALIKE, ALIKE]
    with pytest.raises(KeyError, match="the envelope has no own_feedstock_coverage in 2030"):
        headlines.with_envelope(t, hand_envelope(book), "own_feedstock_coverage", 2030, book)


def test_the_envelope_sentence_gives_each_deals_span_and_the_choices_at_each_end(book):
    s = headlines.envelope_sentence(hand_envelope(book), "own_feedstock_coverage", 2031, book, ["scheme", "none"])
    # a ratio as a percentage, one decimal: 0.04 -> 4.0%, 1.116 -> 111.6%; 0 -> 0%
    assert s == (f"Across all {count_sentence()}, pooled with equal weight, own-feedstock coverage in 2031 spans "
                 "4.0%–111.6% under scheme; 0%–0% under none (p05–p95). "
                 f"Under scheme, lowest with {RAMP}, {OFFICIAL} and {CHAIN}; highest with {OUTPUT}, {IMPORTS} and {OFFICIALS}. "
                 "No structural choice moves the median under none.")
    one = headlines.envelope_sentence(hand_envelope(book), "own_feedstock_coverage", 2031, book, ["scheme"])
    assert one.endswith(f"spans 4.0%–111.6% under scheme (p05–p95). Lowest with {RAMP}, {OFFICIAL} and {CHAIN}; "
                        f"highest with {OUTPUT}, {IMPORTS} and {OFFICIALS}.")


def test_the_finding_carries_its_envelope_as_text_escaped_markdown_and_card_metadata():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text, env = "Under scheme the median reaches 0.5 in 2033.", f"Across all scenarios it spans 0.04–1.12 under {PAYLOAD}."
    bundle, meta = headlines.finding(text, env)._repr_mimebundle_()
    assert bundle["text/plain"] == f"{text}\n{env}"
    assert meta == {"rekit": {"finding": text, "envelope": env}}
    assert markdown2html_mistune(bundle["text/markdown"]) == (
        "<p>Under scheme the median reaches 0.5 in 2033.</p>\n"
        "<p>Across all scenarios it spans 0.04–1.12 under &lt;img src=x onerror=alert(1)&gt;.</p>\n")
    # without an envelope, the finding is as before: no envelope key for the card
    assert headlines.finding(text)._repr_mimebundle_()[1] == {"rekit": {"finding": text}}


def test_band_sentence_states_the_median_and_band_in_the_metrics_words():
    # 2031: scheme 0.20 in all three draws, none 0; a ratio is written without its unit
    assert headlines.band_sentence(known_result(), "self_sufficiency", 2031) == (
        "In 2031, own-feedstock coverage: 0.20 under scheme (p05–p95 0.20–0.20); 0.00 under none (p05–p95 0.00–0.00), "
        "in the chosen scenario (IREL's measured output).")


def test_envelope_of_names_no_end_where_the_scenarios_agree_to_rounding(book):
    grid = run_grid(book, ["status_quo", "toll_japan"], years=(2030, 2030), draws=40, seed=1,
                    metrics=["export_share", "own_feedstock_coverage"])
    frame = grid.frame()
    env = headlines.envelope_of(grid).set_index(["deal", "metric"])
    # status_quo's export share: the same in every scenario (the shares do not depend on the output path)
    sq = frame[(frame["deal"] == "status_quo") & (frame["metric"] == "export_share")]["p50"]
    assert sq.max() - sq.min() <= 1e-9 * sq.max()
    assert env.loc[("status_quo", "export_share"), "low_scenario"] == ALIKE
    # toll_japan's coverage: the scenarios' medians differ by far; the ends are the scenarios with the lowest and highest
    tj = frame[(frame["deal"] == "toll_japan") & (frame["metric"] == "own_feedstock_coverage")]
    assert tj["p50"].max() - tj["p50"].min() > 0.1
    lo, hi = tj.loc[tj["p50"].idxmin()], tj.loc[tj["p50"].idxmax()]
    row = env.loc[("toll_japan", "own_feedstock_coverage")]
    # toll_japan names partner companies: its labels end with the partner alternative
    assert row["low_scenario"] == label(book, lo["production"], lo["demand"], lo["framing"]) + f" partner={lo['partner']}"
    assert row["high_scenario"] == label(book, hi["production"], hi["demand"], hi["framing"]) + f" partner={hi['partner']}"


def test_flows_table_puts_each_flows_envelope_beside_its_band(book):
    result = simulate(book, ["toll_japan"], years=(2024, 2030), draws=5, seed=0)
    metrics = list(headlines.FLOW_METRICS)
    env = pd.DataFrame({"deal": "toll_japan", "year": 2030, "metric": metrics, "unit": "",
                        "envelope_p05": [float(i) for i in range(len(metrics))],
                        "envelope_p95": [100.0 + i for i in range(len(metrics))], "low_scenario": ALIKE, "high_scenario": ALIKE})
    t = headlines.flows_table(result, "toll_japan", 2030, envelope=env)
    assert t["envelope p05"].tolist() == [float(i) for i in range(len(metrics))]
    assert t.set_index("metric").loc["tolled", "envelope p95"] == 102.0  # tolled is the third flow: 100 + 2
    with pytest.raises(KeyError, match="the envelope has no losses for toll_japan in 2030"):
        headlines.flows_table(result, "toll_japan", 2030, envelope=env[env["metric"] != "losses"])


def years_envelope(deal: str, metric: str, years, low, high) -> pd.DataFrame:
    return pd.DataFrame({"deal": deal, "year": list(years), "metric": metric, "unit": "ratio", "envelope_p05": low,
                         "envelope_p95": high, "low_scenario": ALIKE, "high_scenario": ALIKE})


def test_the_chart_draws_the_envelope_as_a_lighter_labelled_band_behind_the_scenarios_band(book):
    ds = load()
    result = simulate(book, ["toll_japan"], years=(2028, 2030), draws=5, seed=0)
    env = years_envelope("toll_japan", "own_feedstock_coverage", (2028, 2029, 2030), [0.01, 0.02, 0.03], [0.7, 0.8, 0.9])
    fig = charts.self_sufficiency_chart(result, ds, book, envelope=env)
    names = [t.name for t in fig.data]
    k = names.index(charts.ENVELOPE_LABEL)
    lower, upper = fig.data[k], fig.data[k - 1]
    assert list(lower.y) == [0.01, 0.02, 0.03] and list(upper.y) == [0.7, 0.8, 0.9] and lower.fill == "tonexty"
    assert lower.showlegend and fig.layout.showlegend
    assert k < names.index("toll_japan")  # drawn first: behind the scenario's own band and median
    assert "rgba(0,114,178,0.07)" == lower.fillcolor  # the deal's Okabe-Ito blue, lighter than its band's 0.18
    assert "every structural scenario, p05–p95 3.0% to 90.0%" in fig.layout.meta["alt"]  # 0.03 and 0.90 as percentages
    # and the envelope's rows in the download beside the scenario's (2030: 0.03 and 0.9)
    row = [r for r in fig.layout.meta["table"]["data"] if r[1] == 2030][0]
    assert row[-2:] == [0.03, 0.9]
    assert "Lighter band, dotted edges: every structural scenario, p05–p95" in fig.layout.meta["note"]
    # without an envelope the chart is as before: no such band, no legend
    bare = charts.self_sufficiency_chart(result, ds, book)
    assert charts.ENVELOPE_LABEL not in [t.name for t in bare.data] and not bare.layout.showlegend


def test_the_export_share_chart_draws_each_deals_envelope(book):
    ds = load()
    result = simulate(book, ["status_quo"], years=(2028, 2030), draws=5, seed=0)
    env = years_envelope("status_quo", "export_share", (2028, 2029, 2030), [0.3, 0.31, 0.32], [0.5, 0.51, 0.52])
    fig = charts.export_share_chart(ds, book, result, envelope=env)
    lower = next(t for t in fig.data if t.name == charts.ENVELOPE_LABEL)
    assert list(lower.y) == [0.3, 0.31, 0.32]
    assert "(every structural scenario, p05–p95 32.0% to 52.0%)" in fig.layout.meta["alt"]
