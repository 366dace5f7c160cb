"""rekit/__init__.py: importing the kit defers jsonschema's IRI grammar until an IRI is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import rekit
import nbformat, plotly.io  # both import jsonschema, which imports rfc3987_syntax for its IRI checks
loaded_early = getattr(sys.modules.get("rfc3987_syntax"), "__file__", None) is not None
from jsonschema import Draft202012Validator, FormatChecker
v = Draft202012Validator({"type": "string", "format": "iri"}, format_checker=FormatChecker())
verdicts = [v.is_valid("https://example.org/d\\u00e9p\\u00f4t"), v.is_valid("no scheme here")]
loaded_late = getattr(sys.modules.get("rfc3987_syntax"), "__file__", None) is not None
print(json.dumps([loaded_early, verdicts, loaded_late]))
"""


def test_the_iri_grammar_loads_only_when_an_iri_is_checked_and_checks_as_before():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    early, verdicts, late = json.loads(out.stdout.splitlines()[-1])
    assert early is False  # nbformat and plotly loaded without compiling the grammar
    assert verdicts == [True, False]  # an IRI with accents passes, a string with no scheme fails: the real check
    assert late is True  # the real package took over at the first check
