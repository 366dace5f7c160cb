"""The README's parameter tables are the ones data/deals.yml renders to."""

from __future__ import annotations

from rekit.model.docs import END, START, parameter_table, readme_block
from rekit.paths import ROOT


def test_readme_parameter_tables_match_deals_yml():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert START in text and END in text, "the README has no parameter-table block"
    block = text[text.index(START): text.index(END) + len(END)]
    assert block == readme_block(), "README's parameter table is out of date: paste rekit.model.docs.readme_block()"


def test_every_ranged_default_shows_its_range_and_source():
    table = parameter_table()
    row = next(line for line in table.splitlines() if line.startswith("| `eta_magnet`"))
    # the machining yield comes from the vendor row: 0.7 within 0.6-0.8
    assert "| 0.7 | 0.6–0.8 | obs:machining_yield_himagnet |" in row
    assert "| `toll_korea` | `partner_capacity` | 3,000 |" in table
