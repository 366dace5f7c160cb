"""rekit/__init__.py: importing the kit defers jsonschema's IRI grammar and URI validator until a check
uses them, and the checks give the same verdicts as without the kit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
{setup}
loaded_early = getattr(sys.modules.get({module!r}), "__file__", None) is not None
from jsonschema import Draft202012Validator, FormatChecker
v = Draft202012Validator({{"type": "string", "format": {fmt!r}}}, format_checker=FormatChecker())
print(json.dumps([loaded_early, [v.is_valid({good!r}), v.is_valid({bad!r})]]))
"""

WITH_KIT = "import rekit\nimport nbformat, plotly.io  # what a report's kernel imports"
WITHOUT_KIT = "pass"


def probe(setup: str, module: str, fmt: str, good: str) -> tuple[bool, list[bool]]:
    code = PROBE.format(setup=setup, module=module, fmt=fmt, good=good, bad="no scheme here")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    early, verdicts = json.loads(out.stdout.splitlines()[-1])
    return early, verdicts


@pytest.mark.parametrize("module, fmt, good", [
    ("rfc3987_syntax", "iri", "https://example.org/dépôt"),  # an IRI with accents
    ("rfc3986_validator", "uri", "https://example.org/depot"),
])
def test_a_format_package_is_not_loaded_by_the_kit_and_checks_as_without_it(module, fmt, good):
    early, verdicts = probe(WITH_KIT, module, fmt, good)
    assert early is False  # the kit, nbformat and plotly loaded without it
    # the verdicts are jsonschema's own, as in a process that never imported the kit (which package
    # jsonschema uses for a format is its business: not asserted)
    assert verdicts == probe(WITHOUT_KIT, module, fmt, good)[1]
    assert verdicts[1] is False  # a string with no scheme is neither an IRI nor a URI


@pytest.mark.parametrize("module", ["rfc3987_syntax", "rfc3986_validator"])
def test_the_stand_in_is_still_needed(module):
    """Without the kit, importing nbformat (as every report kernel does) loads the format package
    itself: the stand-in still has an import to save (its cost is measured in
    benchmarks/bench_cli.py, rows "without the stand-in"). When jsonschema stops loading it at
    import, this fails: drop `rekit._defer` then."""
    code = f"import sys, nbformat; print(getattr(sys.modules.get({module!r}), '__file__', None) is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "True"
