"""The model page's parameter tables (docs/model.md, once the README's) are the ones data/deals.yml renders to."""

from __future__ import annotations

from rekit.model.docs import END, START, parameter_table, readme_block
from rekit.paths import ROOT


def test_readme_parameter_tables_match_deals_yml():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert START in text and END in text, "docs/model.md has no parameter-table block"
    block = text[text.index(START): text.index(END) + len(END)]
    assert block == readme_block(), "docs/model.md's parameter table is out of date: paste rekit.model.docs.readme_block()"


def test_every_ranged_default_shows_its_range_and_source():
    table = parameter_table()
    row = next(line for line in table.splitlines() if line.startswith("| `eta_magnet`"))
    # the machining yield comes from the vendor row: 0.7 within 0.6-0.8
    assert "| 0.7 | 0.6–0.8 | obs:machining_yield_himagnet |" in row
    assert "| `toll_korea` | `partner_capacity` | 8,000 | 7,000–8,000 |" in table  # Star Group: 3,000 + 5,000 (4,000 low)


# --- the methods page, generated from the model --------------------------------------------------

import ast
import html as html_lib
import re

import numpy as np
import pytest


def evaluate(formula: str, values: dict[str, float | np.ndarray]):
    """Evaluate a printed formula ('(own + R) / D') with + - * / and parentheses only, by walking its syntax tree."""
    tree = ast.parse(formula.replace("−", "-").replace("·", "*").replace("×", "*"), mode="eval")

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b}
            return ops[type(node.op)]()
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        raise ValueError(f"not an arithmetic formula: {ast.dump(node)}")

    return walk(tree)


def test_the_methods_page_lets_a_reader_redo_a_headline_number(tmp_path):
    """Read methods.html as written for the reports: the printed formula with the printed inputs gives the
    printed value, and that value is the model's own (central values) for the same deal and year."""
    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate
    from rekit.reports.html import write_assets

    write_assets(tmp_path)
    page = (tmp_path / "methods.html").read_text(encoding="utf-8")
    formula = html_lib.unescape(re.search(r'<code class="rekit-formula">([^<]+)</code>', page).group(1))
    metric, _, expr = (t.strip() for t in formula.partition("="))
    example = page[page.index('id="rekit-worked-example"'):]
    cells = re.findall(r'<td class="rekit-symbol"><code>([^<]+)</code></td><td><code>([^<]+)</code></td>'
                       r'<td class="num rekit-value">([^<]+)</td>', example)
    deal, year = re.search(r"<code>([a-z_]+)</code> in (\d{4}) at central values", example).groups()
    values = {sym: float(v) for sym, _, v in cells}
    assert set(values) == {"own", "R", "D"} and metric == "own_feedstock_coverage"
    by_hand = evaluate(expr, values)
    printed = float(re.search(r'<span class="rekit-reported">([^<]+)</span>', example).group(1))
    assert by_hand == pytest.approx(printed, rel=1e-9)
    model = simulate(load_deals(), [deal], years=(2024, int(year)), draws=0).at(metric, deal, int(year))[0]
    assert printed == pytest.approx(model, rel=1e-9)
    # and the page lists every parameter with its unit, and the structural choices
    assert "<code>partner_spare</code>" in page and "t magnet/yr" in page and "<code>officials</code>" in page


def test_every_printed_formula_is_what_the_model_computes():
    """For each metric whose formula reads only metrics (simulation.FORMULAS, symbols in docs.SYMBOLS), the
    formula applied to those metrics' draws gives the metric's draws, for every deal, year and draw."""
    from rekit.model.deals import load_deals
    from rekit.model.docs import SYMBOLS, formula_symbols, headline_formulas
    from rekit.model.simulation import simulate

    res = simulate(load_deals(), ["toll_korea", "repm_scheme", "china_shock_2030"], years=(2024, 2035), draws=200, seed=2)
    checked = 0
    for row in headline_formulas():
        syms = formula_symbols(row["formula"])
        if not all(SYMBOLS[s][0] for s in syms):
            continue  # reads q, which is not a metric
        got = evaluate(row["formula"], {s: np.asarray(res.arrays[SYMBOLS[s][0]], dtype=float) for s in syms})
        np.testing.assert_allclose(got, res.arrays[row["metric"]], rtol=1e-9, atol=1e-12, err_msg=row["metric"])
        checked += 1
    assert checked >= 4  # own-feedstock coverage, FAO self-sufficiency, import dependency, JRC import reliance


def test_a_reports_methods_section_prints_the_models_formulas():
    from rekit.model.docs import headline_formulas
    from rekit.reports.html import render

    section = str(render("report_footer.html.j2", sources=[], params=[], assumptions=[], deals_file=None, methods="methods.html",
                         info={"rekit_version": "x", "data_version": "y", "commit": "z", "built": "w"}, citation="c",
                         bibtex="b", downloads=[], formulas=headline_formulas()))
    assert "<code>own_feedstock_coverage</code> = <code>(own + R) / D</code>" in section
    assert "<code>magnet_self_sufficiency</code> = <code>G / D</code>" in section
