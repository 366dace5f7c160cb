"""Every bad input to the `rekit` command: a message naming the value and what is allowed, a
non-zero exit status, and no traceback. Each case runs the command line in the test's process
(conftest.rekit_in_process, held to a real `python -m rekit.cli` by tests/cli/test_in_process.py).

Where a broken check would let a long command run (a batch of reports, images), the case adds a
second bad argument that is checked later, so the command still stops at once and the test fails
on the message instead of building anything.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import rekit_in_process

ROOT = Path(__file__).resolve().parents[2]
MISSING = "/nonexistent/rekit-data"
# rows of the bundled sources.csv (its header aside): the count the message names
N_SOURCES = sum(1 for _ in csv.DictReader(open(ROOT / "data" / "sources.csv", encoding="utf-8")))

# (command line, extra environment, expected exit status, fragment of stderr)
CASES = [
    # simulate
    (["simulate", "--metric", "nosuch"], {}, 2, "unknown metric 'nosuch'; allowed: production, exports"),
    (["simulate", "--metric", "self_suficiency"], {}, 2, "(did you mean self_sufficiency"),
    (["simulate", "--framing", "official"], {}, 2, "--framing: unknown value 'official' (did you mean officials?)"),
    (["simulate", "--seed", "-1"], {}, 2, "--seed: -1 is not allowed; give a whole number >= 0"),
    (["simulate", "--draws", "0"], {}, 2, "--draws: 0 is not allowed; give a whole number >= 1"),
    (["simulate", "--draws", "many"], {}, 2, "--draws: 'many' is not a whole number"),
    # simulate runs every structural scenario for its envelope: 13 deals x 27 years x 10,000,000 draws = 3.51e9 cells;
    # a group's runs 3.51e9 x 700 bytes x 4 demand bases = 9.83e12, the pooled draws of the table's 3 metrics
    # 4 bytes x 3 x 3.51e9 x 96 scenarios (4 x 4 x 2 x 3 partner alternatives) = 4.04e12: 1.39e13 bytes = 13.9 TB
    (["simulate", "--years", "2024-2050", "--draws", "10000000"], {}, 2, "would take about 13.9 TB of memory; the limit is"),
    (["simulate", "--demand", "hopes"], {}, 2, "unknown demand basis 'hopes'; allowed: official, industry, imports"),
    (["sensitivity", "--deal", "toll_korea", "--method", "fast"], {}, 2, "--method: unknown value 'fast'; allowed: sobol, morris"),
    (["sensitivity", "--deal", "toll_mars"], {}, 2, "unknown deal 'toll_mars' (did you mean"),
    (["sensitivity", "--deal", "toll_korea", "--metric", "nosuch"], {}, 2, "unknown metric 'nosuch'"),
    (["sensitivity", "--deal", "toll_korea", "--n", "1"], {}, 2, "--n: 1 is not allowed; give a whole number >= 2"),
    (["sensitivity", "--deal", "toll_korea", "--vs", "toll_korea"], {}, 2, "is the deal itself"),
    (["sensitivity", "--deal", "toll_korea", "--year", "2060"], {}, 2, "years: 2060-2060 is outside the data's reach, 2024-2050"),
    (["sensitivity", "--deal", "toll_korea", "--seed", "-3"], {}, 2, "--seed: -3 is not allowed; give a whole number >= 0"),
    # 1 deal x 12 years (each run covers 2024-2035, the default --years) x (43 parameters + 4 shares + 8 paths, factors
    # and choices + 2 = 57 runs a sample) x 10**10 samples x 700 bytes = 4.788e15 bytes
    (["sensitivity", "--deal", "toll_korea", "--n", "10000000000"], {}, 2,
     "--n: 10,000,000,000 samples of 1 deal over 12 years would take about 4,788.0 TB"),
    (["sensitivity", "--deal", "toll_korea", "--jobs", "0"], {}, 2, "--jobs: 0 is not allowed; give a whole number >= 1"),
    (["sensitivity", "--deal", "toll_korea", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], {}, 2,
     "--scheduler tcp://127.0.0.1:1 and --jobs 2: give one"),
    (["sensitivity", "--deal", "toll_korea", "--scheduler", "127.0.0.1:8786"], {}, 2,
     "--scheduler: '127.0.0.1:8786' is not allowed; give a Dask scheduler address, tcp://HOST:PORT"),
    (["sensitivity", "--deal", "toll_korea", "--save-samples", "s.npz", "--jobs", "2"], {}, 2,
     "--save-samples, --analyse and --jobs/--scheduler: give one"),
    (["sensitivity", "--deal", "toll_korea", "--analyse", "no_such_results.npz"], {}, 2, "--analyse no_such_results.npz: no such file"),
    (["simulate", "--deal", "toll_mars"], {}, 2, "unknown deal 'toll_mars' (did you mean"),
    (["simulate", "--grid", "--metric", "own_feedstock_covrage"], {}, 2, "(did you mean own_feedstock_coverage"),
    (["goal", "--deal", "repm_scheme", "--metric", "own_feedstock_coverage", "--target", "0.3", "--year", "2032",
      "--lever", "scheme"], {}, 2,
     "unknown lever 'scheme'; allowed: irel_output, partner_free_capacity, scheme_utilisation, domestic_capacity, oxide_imports"),
    (["goal", "--deal", "repm_scheme", "--metric", "export_share", "--target", "2", "--year", "2032", "--lever", "irel_output"], {}, 2,
     "target: 2 is outside the range of export_share (share), [0, 1]"),
    (["goal", "--deal", "repm_scheme", "--metric", "own_feedstock_coverage", "--target", "0.3", "--year", "2051",
      "--lever", "irel_output"], {}, 2,
     "year: 2051 is outside the model's span, 2024-2050"),
    (["simulate", "--years", "2030-2024"], {}, 2, "years: 2030-2024 is reversed"),
    (["simulate", "--years", "2024-2100"], {}, 2, "outside the data's reach, 2024-2050"),
    (["simulate", "--years", "soon"], {}, 2, "--years: 'soon' is not START-END"),
    (["simulate", "--basis", "hopes"], {}, 2, "unknown production basis 'hopes'; allowed: output, capacity"),
    (["simulate", "--format", "xml"], {}, 2, "--format: unknown value 'xml'; allowed: table, csv, json"),
    (["simulate", "--data", MISSING], {}, 2, f"no data folder at {MISSING} (--data): it does not exist"),
    (["simulate", "--deals", MISSING + ".yml"], {}, 2, f"--deals: no file at {MISSING}.yml"),
    (["simulate", "--nosuch"], {}, 2, "No such option: --nosuch"),
    (["deals", "--deals", MISSING + ".yml"], {}, 2, f"--deals: no file at {MISSING}.yml"),
    (["concentration", "--edition", "usgs_mcs_1999"], {}, 2, "no mine production in edition(s) usgs_mcs_1999"),
    # data
    (["data", "show", "neodymium"], {}, 2, "unknown indicator 'neodymium'"),
    (["data", "show", "nd_productin"], {}, 2, "unknown indicator 'nd_productin' (did you mean nd_production"),
    (["data", "show", "nd_production", "--entity", "IRELL"], {}, 2, "unknown entity for nd_production 'IRELL' (did you mean IREL?)"),
    (["data", "show", "nd_production", "--partner", "Mars"], {}, 2, "unknown partner for nd_production 'Mars'"),
    (["data", "show", "nd_production", "--data", MISSING], {}, 2, f"no data folder at {MISSING} (--data)"),
    (["data", "check"], {"REKIT_DATA": MISSING}, 2, f"no data folder at {MISSING} (REKIT_DATA): it does not exist"),
    (["data", "check", MISSING], {}, 2, f"no data folder at {MISSING} (DIR)"),
    (["data", "conflicts", "--indicator", "nosuch"], {}, 2, "unknown indicator 'nosuch'"),
    (["data", "nosuch"], {}, 2, "No such command 'nosuch'"),
    (["cite", "nope"], {}, 2, f"unknown source 'nope'; the {N_SOURCES} sources are in"),
    (["cite", "usgs_mcs_2026", "--style", "long"], {}, 2, "unknown citation format 'long'; allowed: text, short, bibtex"),
    (["cite", "usgs_mcs_2026", "--format", "long"], {}, 2, "unknown citation format 'long'; allowed: text, short, bibtex"),
    # reports
    (["run", "nosuch"], {}, 2, "unknown notebook 'nosuch'; the notebooks are: "),
    (["run", "self_sufficency"], {}, 2, "unknown notebook 'self_sufficency' (did you mean self_sufficiency?)"),
    (["run", "self_sufficiency", "-p", "draws", "-5"], {}, 2, "parameter 'draws': got -5; allowed: an integer from 1 to 100000"),
    (["run", "self_sufficiency", "-p", "draws"], {}, 2, "requires 2 arguments"),
    (["run", "self_sufficiency", "--out", "", "-p", "draws", "-5"], {}, 2, "--out: an empty folder name is not allowed"),
    (["run", "self_sufficiency", "--timeout", "0", "-p", "draws", "-5"], {}, 2, "--timeout: 0 is not allowed; it must be > 0 seconds"),
    (["run", "self_sufficiency", "-p", "draws", "5"], {"REKIT_DATA": MISSING}, 2, f"no data folder at {MISSING} (REKIT_DATA)"),
    (["reports", "--out", "", "--only", "nosuch"], {}, 2, "--out: an empty folder name is not allowed"),
    (["reports", "--jobs", "0", "--only", "nosuch"], {}, 2, "--jobs: 0 is not allowed; give a whole number >= 1"),
    (["reports", "--timeout", "-1", "--only", "nosuch"], {}, 2, "--timeout: -1 is not allowed; it must be > 0 seconds"),
    (["reports", "--only", "nosuch"], {"REKIT_DATA": MISSING}, 2, f"no data folder at {MISSING} (REKIT_DATA)"),
    (["reports", "--only", "nosuch"], {}, 2, "--only nosuch: not in batch.yml"),
    (["reports", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1", "--only", "nosuch"], {}, 2,
     "--jobs 2 and --scheduler tcp://127.0.0.1:1: give one"),
    (["teach", "grade", "x.ipynb", "--jobs", "0"], {}, 2, "--jobs: 0 is not allowed; give a whole number >= 1"),
    (["notebooks", "check", "nd_flow"], {}, 2, "unknown notebook 'nd_flow' (did you mean nd_flows?)"),
    # figures
    (["images", "--out", "", "--deal", "toll_mars"], {}, 2, "--out: an empty folder name is not allowed"),
    (["images", "--scale", "0", "--deal", "toll_mars"], {}, 2, "--scale: 0 is not allowed; give a number > 0"),
    # the root
    (["nosuch"], {}, 2, "No such command 'nosuch'"),
]


@pytest.mark.parametrize("args, env, code, fragment", CASES, ids=[" ".join(c[0]) or "(none)" for c in CASES])
def test_bad_input_is_refused_with_a_message(args, env, code, fragment, tmp_path):
    out = rekit_in_process(args, env=env, cwd=ROOT)
    assert out.returncode == code, out.stdout + out.stderr
    assert fragment in out.stderr, out.stderr
    assert "rekit: error: " in out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert out.stdout == ""  # nothing that looks like a result


@pytest.mark.parametrize("command", [["run", "self_sufficiency", "-p", "draws", "-5"], ["reports", "--only", "nosuch"]],
                         ids=["run", "reports"])
def test_the_option_that_no_longer_does_anything_says_so(command):
    """--keep-ipynb is accepted (older scripts pass it) and says it is not needed: the executed notebook is
    always written beside its report. The command then goes on as without it (here: refused, exit 2)."""
    out = rekit_in_process([*command, "--keep-ipynb"], cwd=ROOT)
    assert out.returncode == 2, out.stderr
    assert "note: --keep-ipynb is no longer needed: each report's executed notebook (REPORT.ipynb) is always written" in out.stderr
