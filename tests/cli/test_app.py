"""The `rekit` command as a whole: every command's help, the exit statuses of the one error
handler, what each command imports, CSV output that a spreadsheet cannot run, and the memory
check of the model commands."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
import yaml

import rekit.cli.data
from conftest import as_foreground, first_row, set_cell
from rekit.cli import model as cli_model
from rekit.cli.app import main
from rekit.cli.common import choose, neutralise, write_csv
from rekit.errors import (EXIT_BUG, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, FailedError, RekitError,
                          Terminated, UsageError)

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    (): ["data", "cite", "deals", "simulate", "demand", "sensitivity", "concentration", "goal", "images", "explore",
         "run", "reports", "notebooks", "teach"],
    ("data",): ["check", "show", "conflicts", "summary"],
    ("data", "check"): ["--quick", "DIR"],
    ("data", "show"): ["INDICATOR", "--entity", "--partner", "--format", "--data"],
    ("data", "conflicts"): ["--indicator", "--format", "--data"],
    ("data", "summary"): ["--markdown", "--data"],
    ("cite",): ["SOURCE_ID", "--format", "--kit"],
    ("deals",): ["--deals", "--data"],
    ("simulate",): ["--deal", "--years", "--draws", "--seed", "--basis", "--deals", "--demand", "--metric", "--format", "--data"],
    ("demand",): ["--deals", "--data"],
    ("sensitivity",): ["--deal", "--metric", "--year", "--vs", "--method", "--n", "--seed", "--groups", "--format"],
    ("concentration",): ["--edition", "--format"],
    ("goal",): ["--deal", "--metric", "--target", "--year"],
    ("explore",): ["--serve", "--port", "--deal", "--basis", "--demand", "--framing", "--deals", "--data"],
    ("images",): ["--out", "--format", "--scale", "--deal", "--draws"],
    ("run",): ["NOTEBOOK", "-p, --param NAME VALUE", "--out", "--show-input", "--list-params", "--timeout", "--keep-ipynb"],
    ("reports",): ["--jobs", "--only", "--out", "--batch", "--show-input", "--timeout", "--keep-ipynb", "--quiet", "--scheduler"],
    ("notebooks",): ["refresh", "check"],
    ("notebooks", "refresh"): ["NAME", "--timeout"],
    ("notebooks", "check"): ["NAME"],
}


def run(args, capsys):
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "rekit")
def test_every_command_has_help_naming_its_options(path, capsys):
    code, out, err = run([*path, "--help"], capsys)
    assert code == 0 and err == ""
    assert out.startswith(f"Usage: {' '.join(['rekit', *path])} ")
    for word in COMMANDS[path]:
        assert word in out, word
    code, short, _ = run([*path, "-h"], capsys)
    assert code == 0 and short == out


def test_rekit_alone_shows_the_help_and_exits_2(capsys):
    code, out, err = run([], capsys)
    assert code == EXIT_USAGE and out == ""
    assert "Usage: rekit " in err and "simulate" in err


def test_timeout_default_in_the_help_is_the_runners():
    from rekit.cli.reports import DEFAULT_TIMEOUT_TEXT
    from rekit.reports.runner import DEFAULT_TIMEOUT

    assert float(DEFAULT_TIMEOUT_TEXT) == DEFAULT_TIMEOUT


# --- the error handler ------------------------------------------------------------------------

def test_every_error_class_of_the_kit_is_a_rekit_error_with_its_status():
    from rekit.data.periods import PeriodError
    from rekit.data.problems import DataError, Problem
    from rekit.data.schema import SchemaError
    from rekit.data.yamlfile import YamlFileError
    from rekit.explore.state import ExploreError
    from rekit.figures.images import ImageExportError
    from rekit.model.deals import DealError
    from rekit.model.simulation import ModelError
    from rekit.reports.jobs import ReportError
    from rekit.parameters.registry import ParameterError
    from rekit.reports.stored import RefreshError

    usage = [PeriodError, YamlFileError, ExploreError, ImageExportError, DealError, ModelError, ReportError, ParameterError]
    failed = [DataError, SchemaError, RefreshError]
    for cls in usage:
        assert issubclass(cls, RekitError) and cls("x").exit_code == EXIT_USAGE == 2, cls
    for cls in failed:
        assert issubclass(cls, FailedError), cls
    assert DataError([Problem("a.csv", 2, "b", "c")]).exit_code == EXIT_FAILED == 1
    assert issubclass(DealError, ValueError) and issubclass(ModelError, ValueError)  # callers catching ValueError still do
    assert (EXIT_INTERRUPTED, EXIT_TERMINATED) == (128 + 2, 128 + 15)


@pytest.mark.parametrize("raised, code, message", [
    (UsageError("--x: 3 is not allowed"), 2, "rekit: error: --x: 3 is not allowed\n"),
    (FailedError("two problems\n  a.csv:2: b: c"), 1, "rekit: error: two problems\nrekit: error:   a.csv:2: b: c\n"),
    (KeyboardInterrupt(), 130, "rekit: error: interrupted\n"),
    (Terminated(), 143, "rekit: error: terminated\n"),
    (RuntimeError("boom"), EXIT_BUG, "rekit: error: unexpected RuntimeError: boom (a bug in rekit; REKIT_DEBUG=1 shows the traceback)\n"),
])
def test_one_handler_maps_every_error_to_a_line_and_a_status(raised, code, message, monkeypatch, capsys):
    def fail(*_args, **_kwargs):
        raise raised

    monkeypatch.delenv("REKIT_DEBUG", raising=False)
    monkeypatch.setattr(rekit.cli.data, "load_data", fail)
    got, out, err = run(["cite", "usgs_mcs_2026"], capsys)
    assert (got, out, err) == (code, "", message)


def test_rekit_debug_shows_the_traceback_of_a_bug(monkeypatch):
    def fail(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setenv("REKIT_DEBUG", "1")
    monkeypatch.setattr(rekit.cli.data, "load_data", fail)
    with pytest.raises(RuntimeError, match="boom"):
        main(["cite", "usgs_mcs_2026"])


def test_data_problems_exit_1(data_copy, capsys):
    """(Bad arguments, exit 2: tests/cli/test_bad_input.py, one row each.)"""
    set_cell(data_copy, "observations.csv", 0, "value", "x")
    code, out, err = run(["cite", "usgs_mcs_2026", "--data", str(data_copy)], capsys)  # load() refuses the data
    assert code == 1 and "observations.csv:2: value: 'x' is not a number" in err and err.startswith("rekit: error: ")


def test_data_check_reads_the_deals_file_and_the_rows_it_points_at(data_copy, capsys):
    deals = data_copy / "deals.yml"
    deals.write_text(deals.read_text(encoding="utf-8").replace("obs: irel_nd_2025_reported_taste_of_capital,", "obs: no_such_row,", 1),
                     encoding="utf-8")
    code, out, err = run(["data", "check", str(data_copy), "--quick"], capsys)
    assert code == 1, out + err
    # named by file and place (which basis holds the row is the data's business)
    assert out.startswith("deals.yml: production basis '") and "obs 'no_such_row' is not an id in observations.csv" in out


def test_names_match_without_case_and_suggest_the_closest():
    assert choose("IREL", ["IREL", "India"], "entity") == "IREL"
    assert choose("irel", ["IREL", "India"], "entity") == "IREL"
    with pytest.raises(UsageError, match=r"unknown entity 'irl' \(did you mean IREL\?\); allowed: IREL, India"):
        choose("irl", ["IREL", "India"], "entity")
    with pytest.raises(UsageError, match=r"^unknown metric 'zzz'; allowed: a, b$"):
        choose("zzz", ["a", "b"], "metric")


def test_show_matches_an_entity_without_case(capsys):
    code, out, err = run(["data", "show", "nd_production", "--entity", "irel"], capsys)
    assert code == 0 and err == ""
    assert "clocking about 20-40 tonnes" in out


# --- CSV output -------------------------------------------------------------------------------

def test_text_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_numbers(capsys):
    table = pd.DataFrame({"name": ["=1+2", "+SUM(A1)", "-2+3", "@x", "\tx", "plain", None],
                          "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 7.0, 8.0]})
    write_csv(table)
    text = capsys.readouterr().out
    assert text.splitlines()[:5] == ["name,value", "'=1+2,-1.5", "'+SUM(A1),2", "'-2+3,-3", "'@x,4"]  # -1.5 stays a number
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[5:] == [["'\tx", "5"], ["plain", "7"], ["", "8"]]
    assert neutralise("\rx") == "'\rx"
    assert neutralise(-2.0) == -2.0 and neutralise("a=b") == "a=b"


def test_data_show_csv_neutralises_a_formula_in_the_data(data_copy, capsys):
    i = first_row(data_copy, "observations.csv", indicator="nd_production", entity="IREL")
    set_cell(data_copy, "observations.csv", i, "scope", '=HYPERLINK("http://example.com","x")')
    code, out, err = run(["data", "show", "nd_production", "--entity", "IREL", "--format", "csv", "--data", str(data_copy)], capsys)
    assert code == 0, err
    rows = pd.read_csv(io.StringIO(out))
    assert '\'=HYPERLINK("http://example.com","x")' in set(rows["scope"])
    assert not rows["scope"].str.startswith("=").any()
    assert pd.api.types.is_numeric_dtype(rows["value"])


def test_simulate_csv_keeps_its_columns_and_numbers(capsys):
    code, out, err = run(["simulate", "--deal", "toll_japan", "--years", "2024-2025", "--draws", "20", "--format", "csv",
                          "--metric", "oxide_production"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    # the columns the issue keeps, the demand basis used, the structural envelope and its ends, the data version
    assert lines[0] == ("deal,year,metric,unit,mean,p05,p50,p95,demand,envelope_p05,envelope_p95,low_scenario,high_scenario,"
                        "data_version") and len(lines) == 1 + 2
    assert lines[1].startswith("toll_japan,2024,oxide_production,t NdPr oxide,")
    # the default demand basis and the data version as the data folder states them (their values are the data's: tests/data)
    version = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))["version"]
    default_demand = yaml.safe_load((ROOT / "data" / "deals.yml").read_text(encoding="utf-8"))["default_demand"]
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["demand"], row["data_version"]) == (default_demand, version)


# --- memory -----------------------------------------------------------------------------------

def test_a_run_too_large_is_refused_with_the_estimate_the_limit_and_what_fits(monkeypatch):
    monkeypatch.setattr(cli_model, "memory_limit", lambda: (10**9, "a test limit"))
    # 7 deals x 12 years = 84 cells a draw; x 700 bytes = 58,800 bytes a draw;
    # 1,000,000 draws: 58.8e9 bytes = 58.8 GB; 1e9 / 58,800 = 17,006.8 -> 17,006 draws fit
    assert cli_model.PEAK_BYTES_PER_CELL == 700
    with pytest.raises(UsageError) as exc:
        cli_model.check_memory(7, (2024, 2035), 1_000_000)
    assert str(exc.value) == ("--draws: 1,000,000 draws of 7 deals over 12 years would take about 58.8 GB of memory; "
                              "the limit is 1.0 GB (a test limit); give --draws 17,006 or fewer, or fewer deals or years")
    cli_model.check_memory(7, (2024, 2035), 17_006)  # fits: 17,006 x 58,800 = 999,952,800 bytes <= 1e9


def test_the_memory_estimate_covers_a_real_run():
    """The peak tracemalloc sees for simulate + summary stays within PEAK_BYTES_PER_CELL a cell: the
    estimate is an upper bound (how far below it a run stays depends on numpy and the model, not asserted:
    benchmarks/bench_memory.py measures it)."""
    from rekit.data.dataset import load
    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    ds = load()
    book = load_deals(None, ds=ds)
    tracemalloc.start()
    try:
        simulate(book, ["toll_japan", "repm_scheme"], years=(2024, 2035), draws=3000, seed=1).summary()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cells = 2 * 12 * 3000
    assert peak <= cli_model.PEAK_BYTES_PER_CELL * cells, f"{peak / cells:.0f} bytes a cell"


def test_memory_limit_is_read_from_proc_meminfo():
    limit, how = cli_model.memory_limit()
    if Path("/proc/meminfo").exists():
        kib = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemAvailable:"))
        assert abs(limit - kib * 1024 * cli_model.MEMORY_SHARE) < 0.2 * kib * 1024  # memory moves between the two reads
        assert how == "50% of the memory available now"
    else:
        assert limit == cli_model.FALLBACK_LIMIT


# --- what each command imports ----------------------------------------------------------------

HEAVY = ("pandas", "numpy", "plotly", "papermill", "nbformat", "nbconvert", "jupyter_client", "jsonschema",
         "frictionless", "pydantic", "rich")


def imported_by(args: list[str]) -> tuple[int, set[str]]:
    """(exit status, the HEAVY packages in sys.modules) after `rekit ARGS` in a fresh interpreter."""
    code = ("import contextlib, io, json, sys\n"
            "from rekit.cli.app import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    status = main({args!r})\n"
            f"print(json.dumps([status, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "REKIT_DATA"})
    assert out.returncode == 0, out.stderr
    status, mods = json.loads(out.stdout.splitlines()[-1])
    return status, set(mods)


#: What only the report commands need. No package the other commands use (pandas, numpy,
#: frictionless, pydantic) imports any of these, so finding one means rekit imported it too early.
REPORT_STACK = {"papermill", "nbformat", "nbconvert", "jupyter_client", "plotly"}
#: The data layer imports frictionless only for the full check (rekit.data.validate).
NOT_FOR_DATA = REPORT_STACK | {"frictionless"}


# Each row names what the command must not import: rekit's own choices (imports deferred into the
# commands that use them), not what a third-party package happens to import (frictionless brings
# jsonschema and pydantic, typer may bring rich: not asserted).
@pytest.mark.parametrize("args, status, forbidden", [
    (["--help"], 0, set(HEAVY) - {"rich"}),
    (["simulate", "--help"], 0, set(HEAVY) - {"rich"}),
    # refused before papermill, even before pandas (the parameter specs check values with pydantic)
    (["run", "self_sufficiency", "-p", "draws", "-5"], 2, NOT_FOR_DATA | {"pandas", "numpy"}),
    (["run", "self_sufficiency", "--list-params"], 0, NOT_FOR_DATA),
    (["data", "check", "--quick"], 0, NOT_FOR_DATA),
    (["data", "check"], 0, REPORT_STACK),
    (["data", "show", "nd_production"], 0, NOT_FOR_DATA),
    (["cite", "usgs_mcs_2026"], 0, NOT_FOR_DATA),
    (["deals"], 0, NOT_FOR_DATA),
    (["simulate", "--deal", "toll_japan", "--draws", "10"], 0, NOT_FOR_DATA),
    (["concentration"], 0, NOT_FOR_DATA),
])
def test_commands_import_only_what_they_use(args, status, forbidden):
    got, mods = imported_by(args)
    assert got == status
    assert not mods & forbidden, f"rekit {' '.join(args)} imported {sorted(mods & forbidden)}"


def test_declared_parameters_match_papermills_reading(tmp_path):
    """rekit.parameters.registry.declared reads the parameters cell without papermill; same answer."""
    from papermill.inspection import inspect_notebook

    from rekit.parameters.registry import declared

    fixtures = [p for p in sorted((ROOT / "tests" / "fixtures" / "notebooks").glob("*.ipynb")) if p.stem != "truncated"]
    notebooks = sorted((ROOT / "notebooks").rglob("*.ipynb")) + fixtures  # (truncated.ipynb is not a notebook)
    assert len(notebooks) > 5
    for nb in notebooks:
        pm = inspect_notebook(str(nb))
        ours = declared(nb)
        assert list(ours) == list(pm), nb
        for name, d in ours.items():
            assert (d.source, d.help) == (pm[name]["default"], pm[name]["help"]), (nb, name)
    # a definition over several lines, a skipped line with two '=', a comment line
    text = ('x = [1,  # first\n     2]  # the list; 1..5\n# a comment\ny = "a=b"\nz: int = 3  # three\n')
    cell = {"id": "parameters", "cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": text, "outputs": [],
            "execution_count": None}
    path = tmp_path / "multi.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
                                "nbformat": 4, "nbformat_minor": 5}))
    pm = inspect_notebook(str(path))
    ours = declared(path)
    assert {n: (d.source, d.help) for n, d in ours.items()} == {n: (p["default"], p["help"]) for n, p in pm.items()}
    assert list(ours) == ["x", "z"]


# --- Ctrl-C while the command starts ---------------------------------------------------------

TRIP = """
import importlib.abc, os, signal, sys

class Trip(importlib.abc.MetaPathFinder):  # Ctrl-C (a real SIGINT to this process) as MODULE starts to load
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Trip())
from rekit.cli import main  # what the `rekit` script runs
sys.exit(main({args!r}))
"""


@pytest.mark.parametrize("module", ["typer", "rekit.cli.common", "rekit.cli.model", "pandas", "rekit.model.simulation"])
def test_ctrl_c_while_the_command_is_still_loading_says_interrupted_not_a_traceback(module):
    """SIGINT while the command's modules load (the first second or so): typer and the command
    modules before rekit's error handler exists, pandas and the model inside the command. Each ends
    with the one line `rekit: error: interrupted` and status 130, never a traceback.

    CPython 3.11 marks a KeyboardInterrupt as unhandled when it passes through an `exec` of a
    string (dataclasses and typing build methods that way while modules load), even when rekit
    handles it, and then ends the process by the signal itself after rekit's message: -SIGINT
    here, which a shell shows as 130 just the same."""
    import signal

    code = TRIP.format(module=module, args=["simulate", "--deal", "toll_japan", "--draws", "10"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         preexec_fn=as_foreground)
    assert "Traceback" not in out.stderr
    assert out.returncode in (EXIT_INTERRUPTED, -signal.SIGINT), out.stderr
    assert out.stderr.strip().splitlines()[-1] == "rekit: error: interrupted"


# --- the collector while a command runs ------------------------------------------------------

COUNT_COLLECTIONS = """
import atexit, gc, sys
runs = []
gc.callbacks.append(lambda phase, info: runs.append(info["generation"]) if phase == "start" else None)
import rekit.cli
before = len(runs)  # counted from here: what the command itself costs
atexit.register(lambda: print("collections", len(runs) - before, "frozen", gc.get_freeze_count(), file=sys.stderr))
sys.argv = ["rekit", "data", "check", "--quick"]
{run}
"""


@pytest.mark.parametrize("run, paused", [("from rekit.cli import script; script()", True),
                                         ("from rekit.cli.app import main; sys.exit(main())", False)])
def test_the_rekit_executable_runs_with_the_collector_paused_and_frees_nothing_at_exit(run, paused):
    """`rekit data check --quick` builds many long-lived objects: the plain app (collector on) collects
    on the way; the executable collects none and freezes what is alive, so shutdown does not trace it
    again. (How many objects and collections depends on the data and the libraries: not asserted.)"""
    out = subprocess.run([sys.executable, "-c", COUNT_COLLECTIONS.format(run=run)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = out.stderr.strip().splitlines()[-1].split()
    collections, frozen = int(counts[1]), int(counts[3])
    if paused:
        assert (collections, frozen > 0) == (0, True)
    else:  # thousands of new objects, a young collection every 700 (CPython's default threshold)
        assert (collections > 0, frozen) == (True, 0)


def test_main_in_process_restores_the_collector_as_it_found_it(capsys):
    """A caller in the same process (a notebook, a test) gets the collector back on after the command,
    and it did not run during the command."""
    import gc

    from rekit.cli import main as entry

    runs: list[int] = []

    def count(phase, info):
        if phase == "start":
            runs.append(info["generation"])

    gc.callbacks.append(count)
    try:
        assert gc.isenabled()
        assert entry(["data", "check", "--quick"]) == 0
        assert (runs, gc.isenabled()) == ([], True)
        gc.disable()
        assert entry(["deals"]) == 0
        assert gc.isenabled() is False  # off before, off after
    finally:
        gc.enable()
        gc.callbacks.remove(count)
    assert "quick check passed" in capsys.readouterr().out
