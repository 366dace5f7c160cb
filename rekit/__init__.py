"""rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals).

Importing rekit defers one slow import for every process that uses the kit: jsonschema (which
nbformat, papermill, plotly's renderers and Frictionless import) loads the rfc3987-syntax
package, when installed, only for its "iri" and "iri-reference" format checks, and that package
compiles a grammar at import: 1.5-3 s of CPU here, more than the rest of a notebook kernel's
start or of `rekit data check`. A stand-in module takes its place until the check is first
used, when the real package loads and checks as before. Nothing changes when jsonschema is
already imported or the package is not installed.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"


def _defer_iri_grammar() -> None:
    """Put a stand-in for rfc3987_syntax in sys.modules whose `is_valid_syntax` imports the real one on first call."""
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    import importlib.util
    import types

    try:
        if importlib.util.find_spec("rfc3987_syntax") is None:
            return
    except (ImportError, ValueError):
        return
    stand_in = types.ModuleType("rfc3987_syntax", "stand-in until an IRI is first checked (see rekit/__init__.py)")

    def is_valid_syntax(*args, **kwargs):
        if sys.modules.get("rfc3987_syntax") is stand_in:
            del sys.modules["rfc3987_syntax"]
        real = importlib.import_module("rfc3987_syntax")
        stand_in.is_valid_syntax = real.is_valid_syntax
        return real.is_valid_syntax(*args, **kwargs)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules["rfc3987_syntax"] = stand_in


_defer_iri_grammar()
