"""Escaping, value by value: what the report pages and the CSV files make of hostile text.

The HTML side is rekit.reports.html's code outside the templates (the offline rewrite of a page, the
inlined script, the interrupted banner, a source's link) and the template environment itself
(autoescape, strict undefined values); the CSV side is rekit.csvcells (OWASP's formula injection
rule and the quoting of line breaks). Every expected text is written out by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup

from rekit import csvcells
from rekit.data.dataset import Dataset
from rekit.reports import html as H

HOSTILE = "<script>alert('x')</script> & \"q\""
#: HOSTILE as html.escape and jinja2 write it: < > & ' " as entities
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;q&#34;"
ESCAPED_PY = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;"  # Python's html.escape


@pytest.fixture
def fresh_env(monkeypatch):
    """The template environment is kept per thread; each test here builds its own."""
    monkeypatch.setattr(H, "_local", type(H._local)())


# -- the template environment -----------------------------------------------------------------


def test_templates_escape_every_value_and_refuse_an_undefined_one(fresh_env):
    env = H.templates()
    assert env.from_string("{{ x }}").render(x=HOSTILE) == ESCAPED
    assert env.from_string('<a title="{{ x }}">').render(x='" onmouseover="1') == '<a title="&#34; onmouseover=&#34;1">'
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    # blocks keep their line breaks (trim_blocks off): the pages' whitespace is as written
    assert env.from_string("{% if 1 %}\na{% endif %}").render() == "\na"
    assert H.templates() is env  # built once per thread


def test_a_rendered_template_is_markup_with_its_values_escaped(fresh_env):
    page = H.render("figure.html.j2", k=2, alt=HOSTILE, plot=Markup("<div id='p'></div>"), note="a < b", refs=[1, 3],
                    csv="chart-2.csv")
    assert isinstance(page, Markup)
    assert f'<div class="rekit-plot" role="img" aria-label="{ESCAPED}"><div id=\'p\'></div></div>' in page
    assert '<span class="rekit-note">a &lt; b</span>' in page
    assert '<a href="#src-1">[1]</a>, <a href="#src-3">[3]</a>.' in page
    assert f"<p>{ESCAPED}</p>" in page


# -- the offline rewrite -----------------------------------------------------------------------


def test_an_offline_page_drops_what_a_browser_would_fetch_and_escapes_the_links_it_leaves():
    page = ('<head><script src="https://cdn.example/a.js"></script>'
            "<link rel='stylesheet' href=https://cdn.example/s.css>"
            '<link rel="icon" href="//cdn.example/i.png">'
            '<link rel="canonical" href="https://example.org/page">'
            '<style>@import url("https://fonts.example/f.css");</style></head>'
            '<body><IMG src="https://e.example/x.png?a=1&b=<i" alt="">'
            '<iframe src="https://v.example/embed"></iframe><p>text</p></body>')
    out, removed = H.make_offline(page)
    assert out == ('<head><link rel="canonical" href="https://example.org/page"><style></style></head>'
                   '<body><a href="https://e.example/x.png?a=1&amp;b=&lt;i">[img: https://e.example/x.png?a=1&amp;b=&lt;i]</a>'
                   '<a href="https://v.example/embed">[iframe: https://v.example/embed]</a><p>text</p></body>')
    assert removed == ["https://cdn.example/a.js", "https://cdn.example/s.css", "//cdn.example/i.png",
                       "https://e.example/x.png?a=1&b=<i", "https://v.example/embed", "https://fonts.example/f.css"]


@pytest.mark.parametrize("rel", ["stylesheet", "preload", "modulepreload", "icon", "prefetch", "dns-prefetch", "preconnect"])
def test_every_fetching_link_is_dropped(rel):
    out, removed = H.make_offline(f'<link rel="{rel}" href="https://cdn.example/x">')
    assert (out, removed) == ("", ["https://cdn.example/x"])


def test_an_unquoted_css_import_is_dropped_alone():
    out, removed = H.make_offline("<style>@import url(https://f.example/f.css);\nbody{color:red;}</style><p>keep; this</p>")
    assert (out, removed) == ("<style>\nbody{color:red;}</style><p>keep; this</p>", ["https://f.example/f.css"])



def test_a_css_import_of_a_quoted_string_is_dropped_and_named():
    # the second form of @import, a string without url(): the URL is the pattern's second group
    out, removed = H.make_offline("<style>@import 'https://f.example/g.css' screen;\np{margin:0}</style>")
    assert (out, removed) == ("<style>\np{margin:0}</style>", ["https://f.example/g.css"])


def test_a_fetching_link_is_dropped_whatever_the_case_of_its_attributes():
    assert H.make_offline("<LINK REL=StyleSheet HREF='https://cdn.example/x'>") == ("", ["https://cdn.example/x"])


def test_an_offline_page_without_anything_to_fetch_is_unchanged():
    page = '<p><a href="https://example.org">a link is not fetched</a><img src="local.png"></p>'
    assert H.make_offline(page) == (page, [])


def test_inlined_script_text_cannot_close_its_element():
    assert H._inline_js("a('</script>');b('</SCRIPT >');c('<script>')") == "a('<\\/script>');b('<\\/SCRIPT >');c('<script>')"


# -- the interrupted banner --------------------------------------------------------------------


def banner(message: str, items: str = "") -> str:
    style = ("background:#fff3e0;border:1px solid #ef6c00;color:#bf360c;padding:8px 12px;margin:0 0 12px 0;"
             "font-weight:600")
    return f'<div class="interrupted" role="alert" style="{style}">{message}{items}</div>'


def test_the_interrupted_banner_escapes_its_message_and_items_and_goes_after_body(tmp_path):
    index = tmp_path / "index.html"
    index.write_text('<html><body class="b"><h1>Reports</h1></body></html>', encoding="utf-8")
    H.mark_interrupted(index, HOSTILE, ["a & b", "<i>c</i>"])
    items = '<ul style="font-weight:400"><li>a &amp; b</li><li>&lt;i&gt;c&lt;/i&gt;</li></ul>'
    assert index.read_text(encoding="utf-8") == f'<html><body class="b">{banner(ESCAPED_PY, items)}<h1>Reports</h1></body></html>'


def test_the_interrupted_banner_without_items_or_body_goes_first(tmp_path):
    index = tmp_path / "index.html"
    index.write_text("<p>x</p>", encoding="utf-8")
    H.mark_interrupted(index, "stopped")
    assert index.read_text(encoding="utf-8") == banner("stopped") + "<p>x</p>"


# -- a source's fields and link ----------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (None, ""), (float("nan"), ""), ("nan", ""), ("<NA>", ""), ("NaT", ""), (pd.NA, ""), (pd.NaT, ""),
    ("IBM", "IBM"), (2024, "2024"), (1.5, "1.5"), ("", ""),
])
def test_a_missing_field_is_empty_text(value, text):
    assert H._field({"x": value}, "x") == text
    assert H._field(pd.Series({"x": value}), "x") == text


def test_a_field_not_in_the_row_is_empty_text():
    assert H._field({"x": 1}, "y") == ""
    assert H._field(pd.Series({"x": 1}), "y") == ""
    assert H._field(("a",), 3) == ""  # a position past the end


def test_a_parameter_value_is_shown_as_json_text_keeping_its_letters():
    assert H._value_text("Straße") == '"Straße"'
    assert H._value_text(dt.date(2024, 4, 1)) == '"2024-04-01"'
    assert H._value_text([1, None]) == "[1, null]"


def test_only_an_http_source_address_becomes_a_link():
    columns = ["source_id", "title", "publisher", "date", "url", "accessed", "tier", "reports_on"]
    sources = pd.DataFrame([
        ["s1", "T1", "P1", "2024", " https://example.org/a ", "2025-01-02", "official", None],
        ["s2", HOSTILE, "P2", "2024-03", "javascript:alert(1)", None, "official", "Reuters"],
    ], columns=columns)
    empty = pd.DataFrame()
    ds = Dataset(observations=empty, sources=sources, events=empty, indicators=empty, path=Path("data"))
    s = H.Sources(ds)
    assert (s.number("s2"), s.number("s1"), s.number("s2")) == (1, 2, 1)
    assert s.entries() == [
        {"id": "s2", "title": HOSTILE, "publisher": "P2", "date": "2024-03", "reports_on": "Reuters", "accessed": "",
         "url": "javascript:alert(1)", "link": ""},
        {"id": "s1", "title": "T1", "publisher": "P1", "date": "2024", "reports_on": "", "accessed": "2025-01-02",
         "url": " https://example.org/a ", "link": "https://example.org/a"},
    ]


# -- CSV cells (rekit.csvcells) ----------------------------------------------------------------


@pytest.mark.parametrize("text, dangerous", [
    ("=1", True), ("+1+1", True), ("-2+3", True), ("@A1", True), ("\t1", True), ("\r1", True),
    ("-", False),        # a lone minus: the mark for "none"
    ("-3.5", False), ("+2", False), ("-1e-3", False), ("+.5", False), ("-5.", False), ("-1E+3", False),
    ("-1e", True), ("--1", True), ("-1-", True), ("-.", True), ("+", True),
    ("-\uff13", True),   # a full-width digit is no plain ASCII number
    ("a=1", False), ("", False), (" =1", False),
])
def test_what_a_spreadsheet_would_run(text, dangerous):
    assert csvcells.is_dangerous(text) is dangerous


def test_neutralising_puts_a_quote_before_dangerous_text_only():
    assert csvcells.neutralise("=1") == "'=1"
    assert csvcells.neutralise("-") == "-"
    assert csvcells.neutralise(None) is None
    assert csvcells.neutralise(-2) == -2 and csvcells.neutralise(np.float64(-2.5)) == -2.5
    d = dt.date(2024, 1, 1)
    assert csvcells.neutralise(d) is d  # its text, 2024-01-01, is safe: the object itself is kept
    assert csvcells.neutralise_row(["=1", 2, "x", None]) == ["'=1", 2, "x", None]
    # a number is never text, even one whose text would be neutralised
    assert csvcells.neutralise(float("-inf")) == float("-inf") and csvcells.neutralise(np.float64("-inf")) == float("-inf")

    class Formula:
        def __str__(self) -> str:
            return "=1+1"

    assert csvcells.neutralise(Formula()) == "'=1+1"  # judged by the text the writer will write


def test_the_writer_quotes_line_breaks_and_ends_lines_as_asked():
    buf = io.StringIO()
    w = csvcells.writer(buf)
    w.writerow(["a\rb", "=1", 'say "hi"'])
    w.writerows([[1, None], ["x,y"]])
    assert buf.getvalue() == '"a\rb",\'=1,"say ""hi"""\n1,\nx,y\n'.replace("x,y", '"x,y"')
    crlf = io.StringIO()
    csvcells.writer(crlf, lineterminator="\r\n", delimiter=";").writerow(["a;b", "c"])
    assert crlf.getvalue() == '"a;b";c\r\n'
    safe = io.StringIO()
    csvcells._Writer(safe, cells_are_safe=True).writerow(["=1", "b"])
    assert safe.getvalue() == "=1,b\n"


def test_csv_text_neutralises_every_row():
    assert csvcells.csv_text([["name", "value"], ["=cmd", -1.5], ["-", "+2"]]) == "name,value\n'=cmd,-1.5\n-,+2\n"
    assert csvcells.csv_text([]) == ""


def test_a_frame_neutralises_its_names_and_text_but_not_its_numbers():
    frame = pd.DataFrame({"=name": ["=1", "ok", None], "n": [-1, 2, 3], "x": [-0.5, float("nan"), 1.25]})
    assert csvcells.frame_csv(frame) == "'=name,n,x\n'=1,-1,-0.5\nok,2,\n,3,1.25\n"
    assert csvcells.frame_csv(frame, float_format="%.1f") == "'=name,n,x\n'=1,-1,-0.5\nok,2,\n,3,1.2\n"
    stream = io.StringIO()
    assert csvcells.frame_csv(frame, stream) is None
    assert stream.getvalue() == "'=name,n,x\n'=1,-1,-0.5\nok,2,\n,3,1.25\n"
    assert list(frame.columns) == ["=name", "n", "x"] and frame.iloc[0, 0] == "=1"  # the frame itself is left alone


def test_a_frame_neutralises_a_text_column_after_a_number_column_and_keeps_numbers_as_numbers():
    frame = pd.DataFrame({"n": [1.5, float("-inf")], "a": ["=1", None], "b": [None, "y"]})
    assert csvcells.frame_csv(frame) == "n,a,b\n1.5,'=1,\n-inf,,y\n"
    # an empty first cell is no text to look for a carriage return in
    assert csvcells.frame_csv(pd.DataFrame({"a": [None, "=x"], "n": [1, 2]})) == "a,n\n,1\n'=x,2\n"


def test_a_frame_with_a_carriage_return_keeps_its_numbers_and_their_format():
    frame = pd.DataFrame({"a": ["x\r", "y"], "b": [1.25, float("-inf")]})
    assert csvcells.frame_csv(frame, float_format="%.1f") == 'a,b\n"x\r",1.2\ny,-inf\n'
    stream = io.StringIO()
    csvcells.frame_csv(frame, stream, float_format="%.1f")
    assert stream.getvalue() == 'a,b\n"x\r",1.2\ny,-inf\n'


def test_a_frame_with_a_carriage_return_quotes_that_cell():
    frame = pd.DataFrame({"a": ["x\r=1", "y"], "b": [1.5, 2.0]})
    text = csvcells.frame_csv(frame)
    assert text == 'a,b\n"x\r=1",1.5\ny,2.0\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a", "b"], ["x\r=1", "1.5"], ["y", "2.0"]]
    stream = io.StringIO()
    assert csvcells.frame_csv(frame, stream) is None and stream.getvalue() == text
    header = pd.DataFrame({"a\rb": [1]})
    assert csvcells.frame_csv(header) == '"a\rb"\n1\n'
    neutralised = pd.DataFrame({"a": ["\r=1"]})
    assert csvcells.frame_csv(neutralised) == "a\n\"'\r=1\"\n"
