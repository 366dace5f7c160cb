"""Partners company by company: each tolling deal names its partners, each partner's plants carry a
sourced, dated capacity, and the difference between two partner deals traces to those figures.
Expected values are worked by hand from the rows of data/observations.csv named in the comments."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import lru_cache

import pytest

from rekit.data.dataset import load
from rekit.model.deals import DealError, load_deals
from rekit.model.simulation import simulate
from rekit.paths import BUNDLED_DATA


@lru_cache(maxsize=1)
def book():
    return load_deals(ds=load())


def assumption(x):
    return {"value": x, "source": "assumption: test"}


def test_toll_japan_names_its_partners_and_sums_their_plants():
    # shin_etsu_takefu_magnet_capacity_2014_derived: 2000 / (1.5 - 1) = 4000 t/yr (2014)
    # shin_etsu_vietnam_magnet_capacity_2018_target: 2200 (2018), low 1100 (the 2017 figure)
    # proterial_china_magnet_output_2025_mint: 'more than 2,000' -> 2000, high 2500 (2025)
    # daido_japan_magnet_output_2013_derived: 1000 / 0.5 - 1000 = 1000; daido_china_magnet_output_2013_target: 1000
    # value 4000 + 2200 + 2000 + 1000 + 1000 = 10,200; low 4000 + 1100 + 2000 + 1000 + 1000 = 9,100;
    # high 4000 + 2200 + 2500 + 1000 + 1000 = 10,700 t magnet/yr
    b = book()
    q = b.get("toll_japan").params["partner_capacity"].quantities[0]
    assert (q.value, q.low, q.high) == (10200, 9100, 10700)
    terms = [(p, k, plant.date) for p, k, plant in b.partner_capacity_terms("toll_japan")]
    assert terms == [("shin_etsu", "takefu", "2014"), ("shin_etsu", "hai_phong", "2018"), ("proterial", "china", "2025"),
                     ("daido", "japan", "2013"), ("daido", "china", "2013")]
    assert "obs:shin_etsu_takefu_magnet_capacity_2014_derived" in q.source
    assert "japan_ndfeb_alloy_production_2020_adamas" not in " ".join(b.get("toll_japan").sources())


def test_toll_korea_counts_star_groups_vietnam_plant():
    # star_group_magnet_output_2023_reuters 3000 (Korea and China, 2023) + star_group_vietnam_magnet_capacity_2025_target
    # 5000 (low 4000, other reports of the plant) = 8,000 t/yr, low 3000 + 4000 = 7,000
    b = book()
    q = b.get("toll_korea").params["partner_capacity"].quantities[0]
    assert (q.value, q.low, q.high) == (8000, 7000, 8000)
    assert [k for _, k, _ in b.partner_capacity_terms("toll_korea")] == ["korea_china", "vietnam"]


def test_the_free_share_is_a_wide_labelled_assumption():
    q = book().get("toll_japan").params["partner_spare"].quantities[0]
    assert (q.low, q.value, q.high) == (0.05, 0.2, 0.5)
    assert q.source.startswith("assumption") and "reported for no partner" in q.source
    assert book().get("toll_korea").params["partner_spare"].quantities[0] == q


def test_the_difference_between_japan_and_korea_traces_to_the_partners_plants():
    # basis capacity: 400 t oxide a year, 0.9 tolled = 360 t oxide -> 360 * 2.1525 = 774.9 t magnet wanted.
    # With 5% of capacity free both partners bind: Japan 10,200 * 0.05 = 510 t, Korea 8,000 * 0.05 = 400 t.
    # The 110 t between them is (4000 + 2200 + 2000 + 1000 + 1000 - 3000 - 5000) * 0.05 = 2200 * 0.05.
    res = simulate(book(), ["toll_japan", "toll_korea"], years=(2024, 2035), draws=0, basis="capacity",
                   overrides={"partner_spare": 0.05})
    i = list(res.years).index(2030)
    made = dict(zip(res.deals, res.flows["made_T"][:, i, 0], strict=True))
    assert made["toll_japan"] == pytest.approx(510, rel=1e-9)
    assert made["toll_korea"] == pytest.approx(400, rel=1e-9)
    plants = {d: sum(p.capacity.value for _, _, p in book().partner_capacity_terms(d)) for d in res.deals}
    assert made["toll_japan"] - made["toll_korea"] == pytest.approx((plants["toll_japan"] - plants["toll_korea"]) * 0.05)


def test_at_central_values_neither_partner_binds_and_the_deals_agree():
    # 774.9 t magnet wanted < Korea's 8,000 * 0.2 = 1,600 t < Japan's 10,200 * 0.2 = 2,040 t: the deals give the same
    res = simulate(book(), ["toll_japan", "toll_korea"], years=(2030, 2030), draws=0, basis="capacity")
    made = res.flows["made_T"][:, 0, 0]
    assert made[0] == pytest.approx(360 * 2.1525, rel=1e-3)
    assert made[0] == pytest.approx(made[1], rel=1e-12)


def _deal(partners):
    return {"deals": {"mine": {
        "description": "a tolling deal naming its partners",
        "shares": {"export": assumption(0), "toll": assumption(1), "domestic": assumption(0), "stock": "rest"},
        "partners": partners,
    }}}


def test_a_deal_may_choose_plants():
    # Star Group's Vietnam plant alone: 5,000 t/yr
    b = load_deals(_deal({"star_group": ["vietnam"]}), ds=load())
    assert b.get("mine").params["partner_capacity"].quantities[0].value == 5000


def test_an_unknown_partner_is_refused_with_the_known_ones():
    with pytest.raises(DealError, match=r"unknown partner 'star_grop' \(did you mean 'star_group'\?\); "
                                        r"the known partners are: shin_etsu, proterial, daido, tdk, star_group"):
        load_deals(_deal(["star_grop"]), ds=load())


def test_an_unknown_plant_is_refused_with_the_partners_plants():
    with pytest.raises(DealError, match=r"partner 'shin_etsu' has no plant 'fukui'.*its plants are: takefu, hai_phong"):
        load_deals(_deal({"shin_etsu": ["fukui"]}), ds=load())


def test_a_partner_without_a_sourced_capacity_cannot_carry_a_deal():
    with pytest.raises(DealError,
                       match=r"partner 'tdk' has no plant with a sourced capacity \(magnet capacity not reported as of 2026-12-03"):
        load_deals(_deal(["tdk"]), ds=load())


def test_partners_and_partner_capacity_together_are_refused():
    doc = _deal(["star_group"])
    doc["deals"]["mine"]["partner_capacity"] = assumption(100)
    with pytest.raises(DealError, match="give either 'partners'.*or 'partner_capacity', not both"):
        load_deals(doc, ds=load())


def _check(tmp_path, old: str, new: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data)
    text = (data / "deals.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (data / "deals.yml").write_text(text.replace(old, new), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "rekit.cli", "data", "check", "--quick", str(data)],
                          capture_output=True, text=True, timeout=300)


def test_data_check_refuses_a_partner_capacity_without_a_date(tmp_path):
    out = _check(tmp_path, "        date: 2023\n", "")
    assert out.returncode == 1
    assert "partner 'star_group', plant 'korea_china': the capacity needs a date" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_data_check_refuses_a_partner_capacity_without_a_source(tmp_path):
    out = _check(tmp_path, "        capacity: {obs: daido_china_magnet_output_2013_target}\n",
                 "        capacity: {value: 1000}\n")
    assert out.returncode == 1
    assert "partner 'daido', plant 'china', key 'capacity': value 1000 has no source" in out.stdout


def test_the_command_line_refuses_an_unknown_partner_with_the_known_ones(tmp_path):
    import yaml

    path = tmp_path / "mine.yml"
    path.write_text(yaml.safe_dump(_deal(["shin_etsu", "hitachi"])), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "simulate", "--deals", str(path), "--deal", "mine", "--draws", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert ("mine.yml: deal 'mine', key 'partners': unknown partner 'hitachi'; "
            "the known partners are: shin_etsu, proterial, daido, tdk, star_group") in out.stderr
    assert "Traceback" not in out.stderr


def test_a_users_file_may_add_a_partner_and_name_it():
    # a partner of one's own: one plant of 1,500 t/yr (an assumption of the test) -> partner_capacity 1,500
    doc = _deal(["my_maker"])
    doc["partners"] = {"my_maker": {"company": "My Magnets", "country": "India",
                                    "plants": {"pune": {"where": "Pune", "capacity": assumption(1500), "date": 2026}}}}
    b = load_deals(doc, ds=load())
    assert b.get("mine").params["partner_capacity"].quantities[0].value == 1500
    assert [(p, k, plant.date) for p, k, plant in b.partner_capacity_terms("mine")] == [("my_maker", "pune", "2026")]
    assert "shin_etsu" in b.partners  # the bundled partners stay
