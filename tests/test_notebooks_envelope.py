"""The structural envelope reaches the report and its landing-page card: one real `rekit run` of the
self-sufficiency notebook for one deal (a few draws), its page and card checked against the envelope
that rekit.model.scenarios.envelope gives for the same deal, draws and seed (not the report's own code)."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rekit.model.deals import load_deals
from rekit.model.scenarios import envelope
from rekit.reports.html import write_index
from rekit.reports.jobs import make_job

ROOT = Path(__file__).resolve().parents[1]
DEAL, DRAWS, YEAR = "repm_scheme", 20, 2030  # the notebook's headline year and seed (0) stay at their defaults


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("envelope")
    proc = subprocess.run([sys.executable, "-m", "rekit.cli", "run", "self_sufficiency", "-p", "deals", DEAL,
                           "-p", "draws", str(DRAWS), "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    job = make_job("self_sufficiency", {"deals": [DEAL], "draws": DRAWS})
    return out, job


@pytest.fixture(scope="module")
def span():
    """repm_scheme's own-feedstock coverage in 2030 over every structural scenario: p05 and p95 as the report prints them."""
    env = envelope(load_deals(), [DEAL], years=(2024, 2035), draws=DRAWS, seed=0, metrics=["own_feedstock_coverage"])
    row = env[env["year"] == YEAR].iloc[0]
    lo, hi = float(row["envelope_p05"]), float(row["envelope_p95"])
    assert 0 <= lo < hi  # the scenarios differ for this deal: a band, not a point (else the check below proves little)
    return f"{lo * 100:.1f}%–{hi * 100:.1f}% under {DEAL}"  # a ratio as a percentage, one decimal


def test_the_report_shows_the_envelope_in_its_table_and_finding(built, span):
    out, job = built
    page = (out / job.file).read_text(encoding="utf-8")
    assert "envelope p05 (%)" in page and "envelope p95 (%)" in page and "lowest with" in page
    assert f"own-feedstock coverage in {YEAR} spans {span} (p05–p95)" in html.unescape(page)
    assert "every structural scenario, p05–p95" in page  # the chart's lighter band, in its legend and description


def test_the_index_card_shows_the_envelope_under_the_finding(built, span):
    out, job = built
    card = json.loads((out / f".{job.stem}.card.json").read_text(encoding="utf-8"))
    assert span in card["envelope"]
    index = write_index(out, [job], {}, {}, thumbnails=False).read_text(encoding="utf-8")
    [paragraph] = [p for p in index.split("<p ") if p.startswith('class="envelope">')]
    text = html.unescape(paragraph.split(">", 1)[1].split("</p>", 1)[0])
    assert span in text and ". Lowest with " in text and "; highest with " in text
