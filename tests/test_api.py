"""The public API at the top of the package: `import rekit` gives load, deals, simulate, sensitivity,
goal and chart, each documented with an example; the subpackages come when first used; a Result
reads as a sentence, a notebook table, a tidy frame and the IAMC format; bad input raises the
kit's own error with the message the command line prints.

pyam itself is not installed in the test environment: `pip install pyam-iamc` (3.3.0, tried on
2026-12-03 in a throwaway venv) pulls 166 packages (ixmp4, SQLAlchemy, psycopg, litestar, ...),
takes two minutes, and then fails to import with the SQLAlchemy it resolves (2.1; it imports with
SQLAlchemy < 2.1). Too heavy for the dev extra, so the IAMC export is checked here against the
columns pyam documents (https://pyam-iamc.readthedocs.io/en/stable/data.html: model, scenario,
region, variable, unit, year, value; year a whole number, value a number). Checked once by hand in
that venv: ``pyam.IamDataFrame(pd.read_csv(csv of simulate(["status_quo", "toll_japan"],
draws=100).to_iamc()))`` reads all 2,880 rows (2 scenarios x 40 metrics x 3 quantiles x 12 years).
"""

from __future__ import annotations

import csv
import json
import pydoc
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rekit
from rekit.errors import RekitError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CALLS = ("load", "deals", "simulate", "sensitivity", "goal", "chart")


def observation(obs_id: str) -> float:
    """A figure read from the data file itself (not through the kit)."""
    with open(DATA / "observations.csv", newline="", encoding="utf-8") as f:
        return float(next(r for r in csv.DictReader(f) if r["id"] == obs_id)["value"])


def mine(name: str = "half_tolled", description: str = "half of IREL's oxide tolled in Japan") -> dict:
    a = lambda share: {"value": share, "source": "assumption: a test"}  # noqa: E731
    return {name: {"description": description,
                   "shares": {"export": a(0), "toll": a(0.5), "domestic": a(0), "stock": "rest"}}}


@pytest.fixture(scope="module")
def central():
    """status_quo and a deal of our own at central values (draws=0), 2024-2026."""
    return rekit.simulate(["status_quo", mine()], years=(2024, 2026), draws=0)


# -- what `import rekit` offers -----------------------------------------------------------------


def test_help_explains_the_kit_not_a_workaround():
    text = pydoc.render_doc(rekit, renderer=pydoc.plaintext)
    head = rekit.__doc__
    assert "India's rare-earth supply chain" in head
    for call in CALLS:
        assert f"{call}(" in head, call
    assert "jsonschema" not in head and "rfc3987" not in head
    assert "jsonschema" in rekit._defer.__doc__  # the workaround is explained where it is done
    assert "simulate(" in text


@pytest.mark.parametrize("call", CALLS)
def test_every_call_has_a_docstring_with_an_example(call):
    doc = getattr(rekit, call).__doc__
    assert doc and "Example::" in doc and f"rekit.{call}(" in doc, call


def test_subpackages_come_when_first_asked_for_and_import_rekit_stays_light():
    code = ("import sys, rekit\n"
            "heavy = [m for m in ('rekit.model', 'rekit.data', 'pandas', 'numpy', 'plotly', 'typer') if m in sys.modules]\n"
            "print(heavy)\n"
            "print(rekit.model.__name__, rekit.data.__name__, rekit.Result.__name__, rekit.errors.RekitError.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    first, second = out.stdout.splitlines()
    assert first == "[]"
    assert second == "rekit.model rekit.data Result RekitError"
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        rekit.nothing_here  # noqa: B018


def test_load_and_deals():
    ds = rekit.load()
    assert ds.version == json.loads((DATA / "datapackage.json").read_text())["version"]
    assert rekit.load() is ds  # read once while the files are unchanged
    book = rekit.deals()
    assert "toll_japan" in book.deals and "output" in book.bases
    with pytest.raises(RekitError, match="no data folder at /nonexistent/rekit-data"):
        rekit.load("/nonexistent/rekit-data")


# -- the Result -----------------------------------------------------------------------------------


def test_result_reads_as_one_line(central):
    text = repr(central)
    assert text.startswith("Result(deals=['status_quo', 'half_tolled'], years=2024-2026, draws=0, seed=0, basis='output', ")
    assert "object at 0x" not in text and "framing='chain'" in text


def test_to_frame_is_the_tidy_long_table_with_known_values(central):
    frame = central.to_frame()
    assert list(frame.columns) == ["deal", "year", "metric", "unit", "p05", "p50", "p95", "basis", "demand", "framing"]
    # 2 deals x 3 years x 40 metrics (the registry's length, counted in rekit simulate --list-metrics)
    assert len(frame) == 2 * 3 * len(rekit.model.simulation.METRICS)
    # status_quo exports the 2024 share of IREL's output: 0.3448276 in the data (shipments / production)
    row = frame[(frame.deal == "status_quo") & (frame.year == 2024) & (frame.metric == "export_share")].iloc[0]
    assert row.p50 == pytest.approx(observation("irel_re_export_share_japan_2024_derived"), rel=1e-9)
    assert row.p05 == row.p50 == row.p95  # central values: one draw
    assert row.unit == "share" and row.basis == "output" and row.framing == "chain"
    # our deal exports nothing (its export share is 0 in every year), status_quo exports every year
    shares = frame[frame.metric == "export_share"].pivot_table(index="year", columns="deal", values="p50")
    assert shares["half_tolled"].tolist() == [0.0, 0.0, 0.0] and (shares["status_quo"] > 0.3).all()


def test_to_frame_quantiles_are_the_draws_quantiles():
    res = rekit.simulate("toll_japan", years=(2030, 2030), draws=41, seed=3, metrics=["oxide_tolled"])
    frame = res.to_frame()
    assert list(frame.metric) == ["oxide_tolled"]
    draws = np.sort(res.arrays["oxide_tolled"][0, 0])
    # 41 draws: p05 is at (41 - 1) x 0.05 = 2, p50 at 20, p95 at 38 (numpy's linear method lands on draws)
    assert frame.p05.iloc[0] == pytest.approx(draws[2]) and frame.p50.iloc[0] == pytest.approx(draws[20])
    assert frame.p95.iloc[0] == pytest.approx(draws[38])


def test_to_iamc_has_the_columns_pyam_reads(central):
    iamc = central.to_iamc(metrics=["export_share", "own_feedstock_coverage"])
    assert list(iamc.columns) == ["model", "scenario", "region", "variable", "unit", "year", "value"]
    assert set(iamc.model) == {"rekit"} and set(iamc.region) == {"India"}
    assert set(iamc.scenario) == {"status_quo|output|official|chain", "half_tolled|output|official|chain"}
    assert set(iamc.variable) == {f"{m}|{q}" for m in ("export_share", "own_feedstock_coverage") for q in ("p05", "p50", "p95")}
    assert iamc.year.dtype.kind == "i" and iamc.value.dtype.kind == "f" and iamc.value.notna().all()
    # 2 scenarios x 2 metrics x 3 quantiles x 3 years = 36 rows, one per (scenario, variable, year)
    assert len(iamc) == 36 and not iamc.duplicated(["model", "scenario", "region", "variable", "year"]).any()
    one = iamc[(iamc.scenario.str.startswith("status_quo|")) & (iamc.variable == "export_share|p50") & (iamc.year == 2024)]
    assert one.value.iloc[0] == pytest.approx(observation("irel_re_export_share_japan_2024_derived"))


def test_notebook_table_escapes_what_it_shows():
    res = rekit.simulate([mine("x<b>y</b>", "<script>alert(1)</script>")], years=(2024, 2025), draws=0)
    page = res._repr_html_()
    assert "x&lt;b&gt;y&lt;/b&gt;" in page and "<b>" not in page and "<script" not in page
    assert "own_feedstock_coverage (ratio)" in page and "<table" in page


def test_chart_draws_a_figure_of_the_metric(central):
    fig = rekit.chart(central, "export_share", book=rekit.deals({"deals": mine()}))
    assert fig.layout.title.text == "Exports / production"
    with pytest.raises(RekitError, match="'half_tolled' are your own"):
        rekit.chart(central, "export_share")


# -- bad input: the command line's message ----------------------------------------------------------


def cli_error(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    return out.stderr.strip().removeprefix("rekit: error: ")


@pytest.mark.parametrize("kwargs, args", [
    ({"deals": "toll_japn"}, ["--deal", "toll_japn"]),
    ({"deals": "toll_japan", "metrics": ["self_suficiency"]}, ["--deal", "toll_japan", "--metric", "self_suficiency"]),
    ({"deals": "toll_japan", "basis": "outptu"}, ["--deal", "toll_japan", "--basis", "outptu"]),
])
def test_unknown_names_raise_the_command_lines_message(kwargs, args):
    with pytest.raises(RekitError) as caught:
        rekit.simulate(draws=10, **kwargs)
    assert str(caught.value) == cli_error("simulate", "--draws", "10", *args)


def test_unknown_deal_message_names_the_value_and_the_deals_file_s_presets():
    with pytest.raises(RekitError) as caught:
        rekit.simulate("toll_japn", draws=10)
    text = str(caught.value)
    assert text.startswith("unknown deal 'toll_japn' (did you mean toll_japan")
    # the presets, read from data/deals.yml's own `deals:` section
    import yaml

    presets = list(yaml.safe_load((DATA / "deals.yml").read_text())["deals"])
    assert text.endswith("allowed: " + ", ".join(presets))


@pytest.mark.parametrize("years", [(2024, 2025, 2030), (2024,), "2024-2030", (2024.0, 2030)])
def test_years_other_than_a_pair_of_whole_numbers_are_refused_naming_them(years):
    # a third year used to reach the model's check_years() as a stray argument: a TypeError traceback
    with pytest.raises(RekitError) as caught:
        rekit.simulate("toll_japan", years=years, draws=0)
    assert str(caught.value) == (f"years: {years!r} is not allowed; give (first, last), two whole numbers "
                                 "such as (2024, 2035)")


def test_years_as_a_list_or_numpy_integers_are_a_pair():
    import numpy as np

    assert list(rekit.simulate("toll_japan", years=[2024, 2026], draws=0).years) == [2024, 2025, 2026]
    assert list(rekit.simulate("toll_japan", years=np.array([2030, 2031]), draws=0).years) == [2030, 2031]


@pytest.mark.parametrize("call, kwargs, message", [
    (rekit.sensitivity, {"deal": "toll_japan", "metric": "nope_metric"}, "unknown metric 'nope_metric'"),
    (rekit.goal, {"deal": "toll_japan", "metric": "own_feedstock_coverage", "target": 0.5, "year": 2030, "lever": "levr"},
     "unknown lever 'levr'"),
])
def test_sensitivity_and_goal_refuse_unknown_names(call, kwargs, message):
    with pytest.raises(RekitError, match=message):
        call(**kwargs)


def test_help_does_not_import_the_whole_kit():
    code = ("import pydoc, sys, rekit\n"
            "pydoc.render_doc(rekit, renderer=pydoc.plaintext)\n"
            "print(sorted(m for m in ('rekit.explore', 'rekit.reports', 'rekit.teaching', 'rekit.cli') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
