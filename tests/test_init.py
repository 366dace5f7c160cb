"""rekit/__init__.py: importing the kit defers jsonschema's IRI grammar and URI validator until a check uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import rekit
import nbformat, plotly.io  # both import jsonschema, which imports the package for its {fmt} checks
loaded_early = getattr(sys.modules.get({module!r}), "__file__", None) is not None
from jsonschema import Draft202012Validator, FormatChecker
v = Draft202012Validator({{"type": "string", "format": {fmt!r}}}, format_checker=FormatChecker())
verdicts = [v.is_valid({good!r}), v.is_valid({bad!r})]
loaded_late = getattr(sys.modules.get({module!r}), "__file__", None) is not None
print(json.dumps([loaded_early, verdicts, loaded_late]))
"""


@pytest.mark.parametrize("module, fmt, good", [
    ("rfc3987_syntax", "iri", "https://example.org/dépôt"),  # an IRI with accents
    ("rfc3986_validator", "uri", "https://example.org/depot"),
])
def test_a_format_package_loads_only_when_its_check_runs_and_checks_as_before(module, fmt, good):
    code = PROBE.format(module=module, fmt=fmt, good=good, bad="no scheme here")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    early, verdicts, late = json.loads(out.stdout.splitlines()[-1])
    assert early is False  # nbformat and plotly loaded without it
    assert verdicts == [True, False]  # the real check: a good value passes, a string with no scheme fails
    assert late is True  # the real package took over at the first check
