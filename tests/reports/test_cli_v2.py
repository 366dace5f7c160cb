"""The report options of the command line: `rekit cite SOURCE --format F`, `rekit cite --kit`,
`rekit run/reports --deals FILE`, `rekit reports --force`, `rekit run --self-contained`. Bad input
exits 2 with one line naming the value and what is allowed, no traceback. Nothing here runs a kernel."""

from __future__ import annotations

import pytest

from rekit.cli.app import main as cli


def run(args, capsys):
    code = cli(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.parametrize("fmt,start", [("text", "U.S. Geological Survey (2026-02)."), ("short", "Mineral Commodity Summaries 2026"),
                                       ("bibtex", "@online{usgs_mcs_2026,")])
def test_cite_a_source_in_each_format(fmt, start, capsys):
    code, out, err = run(["cite", "usgs_mcs_2026", "--format", fmt], capsys)
    assert code == 0 and out.startswith(start), (out, err)


def test_cite_the_kit(capsys):
    import rekit
    from rekit.reports.citation import data_version

    code, out, _ = run(["cite", "--kit"], capsys)
    assert code == 0 and f"Version {rekit.__version__}, data version {data_version()}, commit " in out
    code, out, _ = run(["cite", "--kit", "--format", "bibtex"], capsys)
    assert code == 0 and out.startswith("@software{rekit")


def test_cite_refuses_nothing_to_cite(capsys):
    """(An unknown source or format: tests/cli/test_bad_input.py, one row each.)"""
    code, out, err = run(["cite"], capsys)
    assert (code, out) == (2, "") and err == (
        "rekit: error: name a SOURCE_ID to cite (see data/sources.csv), or give --kit to cite the kit\n")


def test_deals_option_names_a_missing_or_invalid_file(tmp_path, capsys):
    code, _, err = run(["run", "self_sufficiency", "--deals", str(tmp_path / "nope.yml"), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and f"--deals: {tmp_path / 'nope.yml'}: no such file" in err
    bad = tmp_path / "bad.yml"
    bad.write_text("deals: [not, a, mapping]\n", encoding="utf-8")
    code, _, err = run(["reports", "--deals", str(bad), "--out", str(tmp_path / "o"), "-q"], capsys)
    assert code == 2 and f"--deals: {bad}: " in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.html"))


def test_options_are_listed_in_help(capsys):
    for args, opts in ((["run", "--help"], ("--deals", "--self-contained")), (["reports", "--help"], ("--deals", "--force")),
                       (["cite", "--help"], ("--format", "--kit"))):
        code, out, err = run(args, capsys)
        assert (code, err) == (0, ""), (args, err)  # help is an answer, not an error
        for o in opts:
            assert o in out, (args, o)
