"""rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals).

Importing rekit defers two slow imports for every process that uses the kit: jsonschema (which
nbformat, papermill, plotly's renderers and Frictionless import) loads the rfc3987-syntax and
rfc3986-validator packages, when installed, only for its "iri"/"iri-reference" and
"uri"/"uri-reference" format checks, and rfc3987-syntax compiles a grammar at import: 1.5-3 s
of CPU here, more than the rest of a notebook kernel's start or of `rekit data check`. A
stand-in module takes each one's place until its check is first used, when the real package
loads and checks as before. Nothing changes when jsonschema is already imported or a package is
not installed.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

#: Packages jsonschema imports for format checks, and the functions it takes from them.
DEFERRED = {"rfc3987_syntax": "is_valid_syntax", "rfc3986_validator": "validate_rfc3986"}


def _defer(module: str, function: str) -> None:
    """Put a stand-in for `module` in sys.modules whose `function` imports the real module on first call."""
    if "jsonschema" in sys.modules or module in sys.modules:
        return
    import importlib.util
    import types

    try:
        if importlib.util.find_spec(module) is None:
            return
    except (ImportError, ValueError):
        return
    stand_in = types.ModuleType(module, "stand-in until its check is first used (see rekit/__init__.py)")

    def call(*args, **kwargs):
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]
        real = getattr(importlib.import_module(module), function)
        setattr(stand_in, function, real)
        return real(*args, **kwargs)

    setattr(stand_in, function, call)
    sys.modules[module] = stand_in


for _module, _function in DEFERRED.items():
    _defer(_module, _function)
