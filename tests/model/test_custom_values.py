"""rekit.model.custom called directly: a deal's YAML without anchors (its exact text for a small definition, and
the bundled preset read back once renamed), ``DEAL.PARAM=VALUE`` parsing with every refusal in full, settings
applied to one deal of a book, the caption's label and note, and `no_effect`'s warnings for small deals built
by hand. Expected texts and values are worked by hand from the inputs."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from rekit.model.custom import SettingError, deal_yaml, no_effect, parse_settings, settings_label, settings_note, with_settings
from rekit.model.deals import DEAL_PARAMS, Deal, DealError, load_deals
from rekit.model.quantities import Quantity, Schedule
from rekit.model.simulation import ModelError

HEAD = ("# {n} as read from {o}: every parameter, the defaults merged in, no anchors.\n"
        "# Copy it into a deals file of your own and rename it (e.g. my_{n}), then change what you need;\n"
        "# or write only `extends: {n}` and the keys you change. Use it with --deals FILE.\n")


@pytest.fixture(scope="module")
def own_book(ds):
    """The bundled deals with three of one's own: korea_free extends toll_korea, korea_cheap extends korea_free,
    mine extends nothing (its shares and parameters all the bundled defaults)."""
    return load_deals({"deals": {"korea_free": {"extends": "toll_korea"},
                                 "korea_cheap": {"extends": "korea_free",
                                                 "retained_share": {"value": 0.1, "source": "assumption: cheaper"}},
                                 "mine": {"description": "A deal of my own"}}}, ds=ds)


# --- deal_yaml -------------------------------------------------------------------------------------------------------

def test_deal_yaml_of_a_small_definition_in_full(book):
    shared = {"value": 0.9, "source": "assumption: y"}  # one mapping under two keys: a YAML anchor if not expanded
    spec = {"shares": {"toll": {"value": 0.5, "source": "assumption: half"}, "stock": "rest"},
            "extends": "toll_korea",  # never written: the definition is in full
            "eta_metal": shared, "eta_alloy": shared,
            "partner_capacity": {"value": 100, "source": "assumption: x"},  # dropped: the partners give it
            "partners": ["star_group"],
            "assumptions": ["Tōhoku plant"],
            "description": "A deal of my own with a description long enough that a YAML writer at its default "
                           "width of eighty characters would fold it"}
    mine = dataclasses.replace(book.get("toll_korea"), name="mine", origin="")
    custom = dataclasses.replace(book, deals={**book.deals, "mine": mine}, specs={**book.specs, "mine": spec})
    text = deal_yaml(custom, "mine")
    assert text == HEAD.format(n="mine", o="the deals file") + (  # no origin: "the deals file"
        "deals:\n"
        "  mine:\n"
        "    description: A deal of my own with a description long enough that a YAML writer at its default "
        "width of eighty characters would fold it\n"
        "    assumptions:\n"
        "    - Tōhoku plant\n"  # written as it is (allow_unicode), not as "\u014d"
        "    shares:\n"
        "      toll:\n"
        "        value: 0.5\n"
        "        source: 'assumption: half'\n"
        "      stock: rest\n"
        "    eta_metal:\n"
        "      value: 0.9\n"
        "      source: 'assumption: y'\n"
        "    eta_alloy:\n"
        "      value: 0.9\n"
        "      source: 'assumption: y'\n"
        "    partners:\n"
        "    - star_group\n")
    assert spec["partner_capacity"] == {"value": 100, "source": "assumption: x"} and "extends" in spec  # read, not changed


def test_deal_yaml_keeps_partner_capacity_without_partners_and_needs_neither_key(book):
    spec = {"partner_capacity": {"value": 100, "source": "assumption: x"}, "description": "d"}
    custom = dataclasses.replace(book, specs={**book.specs, "toll_korea": spec})
    assert deal_yaml(custom, "toll_korea") == HEAD.format(n="toll_korea", o="deals.yml") + (
        "deals:\n  toll_korea:\n    description: d\n    partner_capacity:\n      value: 100\n"
        "      source: 'assumption: x'\n")
    only_partners = dataclasses.replace(book, specs={**book.specs, "toll_korea": {"partners": ["star_group"]}})
    assert deal_yaml(only_partners, "toll_korea").endswith("deals:\n  toll_korea:\n    partners:\n    - star_group\n")


def test_deal_yaml_of_a_preset_reads_back_once_renamed(ds, book):
    text = deal_yaml(book, "toll_korea")
    assert text.startswith(HEAD.format(n="toll_korea", o="deals.yml") + "deals:\n  toll_korea:\n    description: ")
    assert re.search(r"[&*]id[0-9]{3}", text) is None  # deals.yml's &ndpr_export, *toll_shares, ... all written out
    doc = yaml.safe_load(text)
    keys = list(doc["deals"]["toll_korea"])
    assert keys[:3] == ["description", "assumptions", "shares"]  # description and assumptions first, then as read
    assert "partner_capacity" not in keys and keys.count("partners") == 1  # the partners' plants give it
    renamed = load_deals({"deals": {"my_toll_korea": doc["deals"]["toll_korea"]}}, ds=ds)
    mine, preset = renamed.get("my_toll_korea"), book.get("toll_korea")
    assert mine.params == preset.params  # partner_capacity the sum of Star Group's plants, 3,000 + 5,000 t/yr
    assert mine.params["partner_capacity"].quantities[0].value == 8000
    assert (mine.shares, mine.rest, mine.partner_plants, mine.description) == \
        (preset.shares, preset.rest, preset.partner_plants, preset.description)


def test_deal_yaml_of_a_deal_without_partners_keeps_its_partner_capacity(book):
    doc = yaml.safe_load(deal_yaml(book, "status_quo"))
    assert doc["deals"]["status_quo"]["partner_capacity"] == {"value": 0, "source": "assumption: no tolling partner"}


def test_deal_yaml_of_a_derived_deal_has_no_extends(own_book):
    text = deal_yaml(own_book, "korea_free")
    assert "extends" not in text.split("deals:\n", 1)[1]  # the head names `extends: korea_free` as a way to use it
    deal = yaml.safe_load(text)["deals"]["korea_free"]
    # its description, written by the reader: "As PARENT, with nothing changed: " and the parent's
    assert list(deal)[:2] == ["description", "assumptions"]
    assert deal["description"].startswith("As toll_korea, with nothing changed: As toll_japan, with South Korea's Star")


def test_deal_yaml_refusals(book):
    with pytest.raises(DealError, match=r"^unknown deal 'toll_kora' \(did you mean 'toll_korea'\?\); the deals are: status_quo, "):
        deal_yaml(book, "toll_kora")
    coded = dataclasses.replace(book, specs={k: v for k, v in book.specs.items() if k != "toll_korea"})
    with pytest.raises(DealError) as err:
        deal_yaml(coded, "toll_korea")
    assert str(err.value) == ("deal 'toll_korea' has no definition to show (it was built in code, not read from a "
                              "deals file)")


# --- parse_settings --------------------------------------------------------------------------------------------------

TWO = ["toll_korea", "toll_japan"]


def test_parse_settings_values():
    assert parse_settings(None, TWO) == {} and parse_settings([], TWO) == {}
    got = parse_settings([" toll_korea.partner_spare = 0.4 ", "toll_korea.scheme_allocation=1200",
                          "toll_japan.partner_spare=0.5"], TWO)
    assert got == {"toll_korea": {"partner_spare": 0.4, "scheme_allocation": 1200.0}, "toll_japan": {"partner_spare": 0.5}}
    assert type(got["toll_korea"]["scheme_allocation"]) is float
    assert list(got) == TWO and list(got["toll_korea"]) == ["partner_spare", "scheme_allocation"]  # as given
    # PARAM=VALUE with one deal names that deal
    assert parse_settings(["retained_share=0.25"], ["toll_japan"]) == {"toll_japan": {"retained_share": 0.25}}
    # a deal's name with dots: the parameter is what follows the last dot
    assert parse_settings(["my.deal.w_dy=0.01"], ["my.deal"]) == {"my.deal": {"w_dy": 0.01}}


@pytest.mark.parametrize(("item", "param", "value"), [
    ("partner_spare=0", "partner_spare", 0.0),    # closed lower end [0, 1]: 0 allowed
    ("partner_spare=1", "partner_spare", 1.0),    # upper end allowed
    ("eta_metal=1", "eta_metal", 1.0),            # (0, 1]: 1 allowed
    ("eta_metal=1e-9", "eta_metal", 1e-9),        # above an open 0
    ("scheme_allocation=1200", "scheme_allocation", 1200.0),  # [0, 1200]
    ("domestic_capacity=1e6", "domestic_capacity", 1e6),      # [0, inf]
])
def test_parse_settings_bounds_allowed(item, param, value):
    assert parse_settings([item], ["toll_korea"]) == {"toll_korea": {param: value}}


@pytest.mark.parametrize(("item", "message"), [
    ("toll_korea.partner_spare", "--set 'toll_korea.partner_spare': expected DEAL.PARAM=VALUE (or PARAM=VALUE with one deal), "
                                 "e.g. toll_korea.partner_spare=0.4"),
    ("=0.4", "--set '=0.4': expected DEAL.PARAM=VALUE (or PARAM=VALUE with one deal), e.g. toll_korea.partner_spare=0.4"),
    ("toll_korea.partner_spare= ", "--set 'toll_korea.partner_spare= ': expected DEAL.PARAM=VALUE (or PARAM=VALUE with one "
                                   "deal), e.g. toll_korea.partner_spare=0.4"),
    ("partner_spare=0.4", "--set 'partner_spare=0.4': this run has 2 deals (toll_korea, toll_japan); name the one to change "
                          "as DEAL.partner_spare=0.4"),
    ("toll_kora.partner_spare=0.4", "--set 'toll_kora.partner_spare=0.4': deal 'toll_kora' is not in this run (did you mean "
                                    "'toll_korea'?); the deals run are: toll_korea, toll_japan"),
    ("zzz.partner_spare=0.4", "--set 'zzz.partner_spare=0.4': deal 'zzz' is not in this run; the deals run are: toll_korea, "
                              "toll_japan"),
    ("toll_korea.demand_growth=0.1", "--set 'toll_korea.demand_growth=0.1': demand_growth belongs to the demand basis, which "
                                     "every deal of a run shares; choose one with --demand"),
    ("toll_japan.demand_base=100", "--set 'toll_japan.demand_base=100': demand_base belongs to the demand basis, which every "
                                   "deal of a run shares; choose one with --demand"),
    ("toll_korea.partner_spare=abc", "--set 'toll_korea.partner_spare=abc': 'abc' is not a number (in share)"),
    ("toll_korea.partner_spare=0.4=5", "--set 'toll_korea.partner_spare=0.4=5': '0.4=5' is not a number (in share)"),  # first =
    ("toll_korea.scheme_allocation=1,200", "--set 'toll_korea.scheme_allocation=1,200': '1,200' is not a number (in t "
                                           "magnet/yr)"),
    ("toll_korea.partner_spare=1.5", "--set 'toll_korea.partner_spare=1.5': 1.5 is outside [0, 1], the range of "
                                     "partner_spare (share: share of the partner's capacity free for India's oxide)"),
    ("toll_korea.partner_spare=-0.10", "--set 'toll_korea.partner_spare=-0.10': -0.10 is outside [0, 1], the range of "
                                       "partner_spare (share: share of the partner's capacity free for India's oxide)"),
    # not finite: refused as the deals file's `settings` refuses them (an infinite partner_capacity with partner_spare 0
    # gave 0 x inf = nan t in the mass balance, and the run failed as a bug, exit 70)
    ("toll_korea.partner_spare=nan", "--set 'toll_korea.partner_spare=nan': 'nan' is not a finite number (in share)"),
    ("toll_korea.partner_capacity=inf", "--set 'toll_korea.partner_capacity=inf': 'inf' is not a finite number (in t "
                                        "magnet/yr)"),
    ("toll_korea.domestic_capacity=1e400", "--set 'toll_korea.domestic_capacity=1e400': '1e400' is not a finite number "
                                           "(in t magnet/yr)"),  # beyond the largest float, 1.8e308
    ("toll_korea.stock_draw=-inf", "--set 'toll_korea.stock_draw=-inf': '-inf' is not a finite number (in share)"),
    ("toll_korea.eta_metal=0", "--set 'toll_korea.eta_metal=0': 0 is outside (0, 1], the range of eta_metal (ratio: "
                               "reduction of NdPr oxide to metal: t metal recovered per t metal in the oxide (beyond "
                               "stoichiometry))"),
    ("toll_korea.scheme_allocation=1200.5", "--set 'toll_korea.scheme_allocation=1200.5': 1200.5 is outside [0, 1200], the "
                                            "range of scheme_allocation (t magnet/yr: sintered NdFeB capacity allocated to "
                                            "one beneficiary (600-1,200 t/yr in steps of 100; each beneficiary drawn on its "
                                            "own))"),
    ("toll_korea.domestic_capacity=-1", "--set 'toll_korea.domestic_capacity=-1': -1 is outside [0, inf], the range of "
                                        "domestic_capacity (t magnet/yr: sintered NdFeB magnet-making capacity in India)"),
])
def test_parse_settings_refusals_in_full(item, message):
    with pytest.raises(SettingError) as err:
        parse_settings([item], TWO)
    assert str(err.value) == message


def test_parse_settings_unknown_parameter_lists_the_deal_parameters():
    # the deal parameters, deals.py's DEAL_PARAMS (every parameter but demand_base and demand_growth), in its order
    listed = ", ".join(DEAL_PARAMS)
    assert listed.startswith("eta_metal, eta_alloy, eta_magnet, ") and listed.endswith(", shock_cut_metal, shock_cut_magnet")
    assert "demand_base" not in listed and "demand_growth" not in listed
    with pytest.raises(SettingError) as err:
        parse_settings(["toll_korea.partner_spar=0.4"], TWO)
    assert str(err.value) == ("--set 'toll_korea.partner_spar=0.4': unknown parameter 'partner_spar' (did you mean "
                              f"'partner_spare'?); the parameters are: {listed}")
    with pytest.raises(SettingError) as err:
        parse_settings(["toll_korea.zzz=1"], TWO)
    assert str(err.value) == f"--set 'toll_korea.zzz=1': unknown parameter 'zzz'; the parameters are: {listed}"


def test_parse_settings_twice_and_the_option_named():
    with pytest.raises(SettingError) as err:
        parse_settings(["toll_korea.partner_spare=0.4", "toll_korea.partner_spare=0.5"], TWO)
    assert str(err.value) == "--set 'toll_korea.partner_spare=0.5': toll_korea.partner_spare is set twice; give it once"
    with pytest.raises(SettingError) as err:  # the short form and the long form name the same setting
        parse_settings(["partner_spare=0.4", "toll_korea.partner_spare=0.4"], ["toll_korea"])
    assert str(err.value) == "--set 'toll_korea.partner_spare=0.4': toll_korea.partner_spare is set twice; give it once"
    with pytest.raises(SettingError) as err:
        parse_settings(["toll_korea.partner_spare=2"], TWO, option="--deal-set")
    assert str(err.value) == ("--deal-set 'toll_korea.partner_spare=2': 2 is outside [0, 1], the range of partner_spare "
                              "(share: share of the partner's capacity free for India's oxide)")


def test_parse_settings_short_form_without_deals():
    with pytest.raises(SettingError) as err:
        parse_settings(["partner_spare=0.4"], [])
    assert str(err.value) == ("--set 'partner_spare=0.4': this run has 0 deals (); name the one to change as "
                              "DEAL.partner_spare=0.4")


def test_setting_error_is_a_rekit_error():
    from rekit.errors import RekitError

    assert issubclass(SettingError, RekitError) and issubclass(SettingError, ValueError)


# --- with_settings, settings_label, settings_note --------------------------------------------------------------------

def test_with_settings_changes_only_the_named_deal(book):
    assert with_settings(book, {}) is book
    new = with_settings(book, {"toll_korea": {"partner_spare": 0.4, "scheme_allocation": 1200.0}})
    korea, before = new.get("toll_korea"), book.get("toll_korea")
    assert korea.params["partner_spare"] == Schedule.constant(Quantity.point(0.4, "share", "user override"))
    assert korea.params["scheme_allocation"] == Schedule.constant(Quantity.point(1200.0, "t magnet/yr", "user override"))
    assert before.params["partner_spare"].quantities[0].value == 0.2  # the book given is unchanged (0.2, 0.05-0.5)
    assert {k: v for k, v in korea.params.items() if k not in ("partner_spare", "scheme_allocation")} == \
        {k: v for k, v in before.params.items() if k not in ("partner_spare", "scheme_allocation")}
    assert korea.partner_plants == before.partner_plants and korea.shares is before.shares
    assert all(new.deals[n] is book.deals[n] for n in book.deals if n != "toll_korea")  # the others the same objects
    assert list(new.deals) == list(book.deals)
    assert (new.bases, new.demands, new.default_demand, new.partners, new.specs) == \
        (book.bases, book.demands, book.default_demand, book.partners, book.specs)
    with pytest.raises(DealError, match=r"^unknown deal 'toll_kora' \(did you mean 'toll_korea'\?\)"):
        with_settings(book, {"toll_kora": {"partner_spare": 0.4}})
    with pytest.raises(ModelError, match=r"^partner_spare: 2 is outside \[0, 1\]"):
        with_settings(book, {"toll_korea": {"partner_spare": 2.0}})


def test_settings_label():
    assert settings_label({}) == "" and settings_label({"toll_korea": {}}) == ""
    assert settings_label({"toll_korea": {"partner_spare": 0.4, "scheme_allocation": 1200.0},
                           "toll_japan": {"w_dy": 1e-5}}) == \
        "toll_korea.partner_spare=0.4; toll_korea.scheme_allocation=1200; toll_japan.w_dy=1e-05"


def test_settings_note(own_book):
    assert settings_note(own_book, ["toll_korea", "toll_japan", "mine"]) == ""  # no extends, nothing by hand
    assert settings_note(own_book, []) == ""
    assert settings_note(own_book, ["korea_free", "toll_japan"]) == "Deals of your own: korea_free extends toll_korea."
    assert settings_note(own_book, ["korea_free", "korea_cheap"]) == \
        "Deals of your own: korea_free extends toll_korea; korea_cheap extends korea_free."
    set_ = with_settings(own_book, {"toll_korea": {"partner_spare": 0.4, "scheme_allocation": 1200.0},
                                    "korea_free": {"retained_share": 0.25}, "mine": {"w_dy": 1e-5}})
    assert settings_note(set_, ["toll_korea"]) == "Set by hand: toll_korea partner_spare 0.4, scheme_allocation 1200."
    # the parameters in the deal's order (retained_share before partner_spare), the deals in the order given
    assert settings_note(set_, ["mine", "toll_korea", "korea_free"]) == (
        "Deals of your own: korea_free extends toll_korea. "
        "Set by hand: mine w_dy 1e-05; toll_korea partner_spare 0.4, scheme_allocation 1200; korea_free retained_share 0.25.")


def test_settings_note_reads_only_one_point_set_by_hand_and_deals_built_in_code(book):
    hand = Quantity.point(0.4, "share", "user override")
    two = Schedule(((2024.0, hand), (2026.0, Quantity.point(0.5, "share", "user override"))))
    korea = book.get("toll_korea")
    coded = dataclasses.replace(korea, name="coded", params={**korea.params, "partner_spare": two})
    custom = dataclasses.replace(book, deals={**book.deals, "coded": coded})
    assert settings_note(custom, ["coded"]) == ""  # two points: a schedule, not one value set by hand; no spec: no extends
    one = dataclasses.replace(coded, params={**korea.params, "partner_spare": Schedule.constant(hand)})
    custom = dataclasses.replace(book, deals={**book.deals, "coded": one})
    assert settings_note(custom, ["coded"]) == "Set by hand: coded partner_spare 0.4."


# --- no_effect -------------------------------------------------------------------------------------------------------

def q(value: float, high: float | None = None) -> Quantity:
    return Quantity(value, value, value if high is None else high, "share", "assumption: test")


def c(value: float, high: float | None = None) -> Schedule:
    return Schedule.constant(q(value, high))


def by_year(**points: float) -> Schedule:
    """by_year(y2024=0, y2026=0.5): a share at those years."""
    return Schedule(tuple((float(k[1:]), q(v)) for k, v in points.items()))


def deal(shares: dict | None = None, rest: str | None = "stock", plants: tuple = (), **params: Schedule) -> Deal:
    return Deal(name="mine", description="d", assumptions=(), partner=None, shares=shares or {}, rest=rest,
                params=params, partner_plants=plants)


PLANTS = (("star_group", "vietnam"),)
NO_TOLL = "deal 'mine': {} has no effect: shares.toll is 0 in every year, so no oxide goes to the partner"
NO_PARTNER = ("deal 'mine': shares.toll has no effect: the deal has no partners and partner_capacity 0, so the tolled oxide "
              "makes no magnets (it is stocked); name partners or give a partner_capacity")
NO_STOCK = "deal 'mine': stock_draw has no effect: there is no stock (stock_initial 0 and no share stocked)"
NO_MAKER = ("deal 'mine': stock_draw has no effect: no magnet maker in India draws it (domestic_capacity 0 and no "
            "scheme_beneficiaries)")


def test_no_effect_of_the_bundled_presets(book):
    assert no_effect(book.get("toll_korea")) == []  # partners and a tolled share from 2026
    assert no_effect(book.get("repm_scheme")) == []  # a stock draw, a stock of 500 t and five beneficiaries
    assert no_effect(book.get("status_quo")) == []
    # shares given for 2024, 2025, 2026, 2028 and 2029
    assert no_effect(book.get("china_suspension_lapse")) == [
        "deal 'china_suspension_lapse': shares skip 2027: interpolated linearly between the shares of 2026 and 2028"]


def test_no_effect_partners_without_a_tolled_share():
    assert no_effect(deal({"toll": c(0)}, plants=PLANTS, partner_capacity=c(8000))) == [NO_TOLL.format("partners")]
    assert no_effect(deal({}, plants=PLANTS)) == [NO_TOLL.format("partners")]  # no toll share, partners alone
    assert no_effect(deal({"toll": c(0)}, partner_capacity=c(500))) == [NO_TOLL.format("partner_capacity")]
    assert no_effect(deal({"toll": c(0)}, partner_capacity=c(0, high=500))) == [NO_TOLL.format("partner_capacity")]
    assert no_effect(deal({"toll": c(0)}, partner_capacity=c(0))) == []  # neither partner nor toll
    assert no_effect(deal({"toll": c(0)}, partner_capacity=c(0.5))) == [NO_TOLL.format("partner_capacity")]  # any t counts


def test_no_effect_a_tolled_share_without_partners():
    assert no_effect(deal({"toll": c(0.5)}, partner_capacity=c(0))) == [NO_PARTNER]
    assert no_effect(deal({"toll": c(0, high=0.2)})) == [NO_PARTNER]  # tolled in some draws (its high end)
    assert no_effect(deal({"toll": None}, rest="toll")) == [NO_PARTNER]  # toll takes the rest
    assert no_effect(deal({"toll": by_year(y2024=0, y2025=0.5)})) == [NO_PARTNER]  # the highest year counts
    assert no_effect(deal({"toll": by_year(y2024=0.5, y2025=0)})) == [NO_PARTNER]
    # with a partner it has an effect: plants, or a capacity reached in some draws
    assert no_effect(deal({"toll": by_year(y2024=0, y2025=0.5)}, plants=PLANTS, partner_capacity=c(0))) == []
    assert no_effect(deal({"toll": c(0.5)}, partner_capacity=c(0, high=100))) == []
    assert no_effect(deal({"toll": None}, rest="toll", plants=PLANTS)) == []
    assert no_effect(deal({"toll": Schedule(())}, plants=PLANTS)) == [NO_TOLL.format("partners")]  # no point: 0


def test_no_effect_a_stock_draw():
    makers = {"domestic_capacity": c(100)}
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2))) == [NO_MAKER]  # a stock, no one to draw it
    assert no_effect(deal({}, rest="stock", stock_draw=c(0, high=0.2))) == [NO_MAKER]
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2), domestic_capacity=c(0), scheme_beneficiaries=c(0))) == [NO_MAKER]
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2), **makers)) == []
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2), domestic_capacity=c(0, high=50))) == []
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2), scheme_beneficiaries=c(5))) == []
    assert no_effect(deal({}, rest="stock", stock_draw=c(0.2), domestic_capacity=c(0.5))) == []  # any t counts
    # no stock: nothing stocked (domestic takes the rest) and stock_initial 0
    assert no_effect(deal({"stock": c(0)}, rest="domestic", stock_draw=c(0.2), stock_initial=c(0), **makers)) == [NO_STOCK]
    assert no_effect(deal({}, rest="domestic", stock_draw=c(0.2))) == [NO_STOCK]  # the stock message first
    assert no_effect(deal({"stock": c(0, high=0.1)}, rest="domestic", stock_draw=c(0.2), **makers)) == []
    assert no_effect(deal({"stock": by_year(y2024=0.3, y2025=0)}, rest="domestic", stock_draw=c(0.2), **makers)) == []
    assert no_effect(deal({}, rest="domestic", stock_draw=c(0.2), stock_initial=c(0, high=500), **makers)) == []
    assert no_effect(deal({}, rest="domestic", stock_draw=c(0.2), stock_initial=c(0.5), **makers)) == []  # half a t
    assert no_effect(deal({}, rest="domestic", stock_draw=c(0), stock_initial=c(0))) == []  # nothing drawn
    assert no_effect(deal({}, rest="domestic", stock_draw=Schedule(()))) == []  # no point: 0
    assert no_effect(deal({}, rest="domestic")) == []  # no stock_draw at all


def test_no_effect_shares_that_skip_years():
    assert no_effect(deal({"export": by_year(y2024=0.3, y2025=0.3, y2026=0)})) == []  # consecutive years
    assert no_effect(deal({"export": by_year(y2024=0.3, y2026=0)})) == [
        "deal 'mine': shares skip 2025: interpolated linearly between the shares of 2024 and 2026"]
    # the years of every share together (a constant, year 0, has no year): 2024, 2025 | 2028 | 2032
    assert no_effect(deal({"export": by_year(y2024=0.3, y2025=0.3), "domestic": c(0), "stock": None,
                           "toll": by_year(y2028=0, y2032=0)}, rest="stock")) == [
        "deal 'mine': shares skip 2026-2027: interpolated linearly between the shares of 2025 and 2028",
        "deal 'mine': shares skip 2029-2031: interpolated linearly between the shares of 2028 and 2032"]
    assert no_effect(deal({"other": by_year(y2024=0, y2030=0)})) == []  # only the four shares are read


def test_no_effect_every_warning_in_order():
    d = deal({"toll": None, "export": by_year(y2024=0.2, y2027=0)}, rest="toll", stock_draw=c(0.2))
    # toll takes the rest with no partner; the stock draw has no stock (toll, not stock, takes the rest); 2025-2026 skipped
    assert no_effect(d) == [NO_PARTNER, NO_STOCK,
                            "deal 'mine': shares skip 2025-2026: interpolated linearly between the shares of 2024 and 2027"]
    named = dataclasses.replace(d, name="korea_free")
    assert no_effect(named)[0].startswith("deal 'korea_free': shares.toll has no effect: ")
