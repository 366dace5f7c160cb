"""Kept so that ``rekit.params.check`` (the call at the top of every notebook) keeps working.

The parameter specs live in :mod:`rekit.reports.params`.
"""

from rekit.reports.params import ParameterError, check, declared, defaults

__all__ = ["ParameterError", "check", "declared", "defaults"]
